"""claude_usage._fastjson gives the json package's results and errors,
without importing it (the render path's import cost)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claude_usage import _fastjson

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@given(values)
def test_dumps_is_json_dumps_with_compact_separators(value: Any) -> None:
    assert _fastjson.dumps(value) == json.dumps(value, separators=(",", ":"))


@given(values)
def test_loads_reads_back_what_json_writes(value: Any) -> None:
    text = json.dumps(value, indent=1, ensure_ascii=False)
    assert _fastjson.loads(text) == json.loads(text)
    assert _fastjson.loads(text.encode()) == json.loads(text.encode())


@given(st.text(alphabet=' \t\n\r{}[]",:0123456789.eE+-truefalsnNIyi\\u\u00e9\ud800x', max_size=30))
def test_any_text_gives_json_loads_result_or_its_error(text: str) -> None:
    try:
        expected: Any = json.loads(text)
    except ValueError as exc:
        message = str(exc)
        with pytest.raises(type(exc)) as raised:
            _fastjson.loads(text)
        assert str(raised.value) == message
    else:
        got = _fastjson.loads(text)
        assert got == expected or (isinstance(got, float) and math.isnan(got) and math.isnan(expected))


@pytest.mark.parametrize(
    "data",
    [b"\xef\xbb\xbf{}", '{"a": 1}'.encode("utf-16"), b'{"a": 1} x', b"  [1, 2]\n", b"", b"NaN", b'"\\ud83d\\ude00"'],
)
def test_bytes_edge_cases_match_json(data: bytes) -> None:
    try:
        expected: Any = json.loads(data)
    except ValueError as exc:
        with pytest.raises(type(exc)):
            _fastjson.loads(data)
    else:
        got = _fastjson.loads(data)
        assert got == expected or (isinstance(got, float) and math.isnan(got))


def test_unencodable_values_raise_json_dumps_error() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        _fastjson.dumps({"a": object()})
    circular: list[Any] = []
    circular.append(circular)
    with pytest.raises(ValueError, match="Circular reference"):
        _fastjson.dumps(circular)


def test_deep_nesting_raises_recursion_error_as_json_does() -> None:
    with pytest.raises(RecursionError):
        _fastjson.loads("[" * 100_000 + "]" * 100_000)


def test_valid_json_never_imports_the_json_package() -> None:
    code = (
        "import sys\n"
        "from claude_usage import _fastjson\n"
        'value = _fastjson.loads(b\' {"a": [1, 2.5, null, true, "\\\\u00e9"]}\\n\')\n'
        "assert value == {'a': [1, 2.5, None, True, 'é']}\n"
        "assert _fastjson.dumps({'a': [1, 2.5, None, True, 'é']}) == '{\"a\":[1,2.5,null,true,\"\\\\u00e9\"]}'\n"
        "assert 'json' not in sys.modules and 're' not in sys.modules, sorted(sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
