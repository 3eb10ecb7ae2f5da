"""JSON for the statusline render path, without importing the json package.

The json package's Python layer imports ``re`` (and with it ``enum``,
``functools`` and ``collections``) and compiles seven patterns: about 8 ms of
a 30 ms render, measured with ``python -X importtime``. Its C accelerator,
``_json``, is what the json package itself runs to scan and to encode, and
costs 0.2 ms to import. ``loads`` and ``dumps`` call it directly and hand
anything they do not take (other encodings, an error to report, a missing
``_json`` as on PyPy) to the json package, so a result is always the json
package's result and an error always its error.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

try:
    import _json
except ImportError:  # pragma: no cover - CPython always has it
    _json = None  # type: ignore[assignment]

__all__ = ["dumps", "loads"]

#: The json package's own whitespace (``json.decoder.WHITESPACE``).
_WHITESPACE = " \t\n\r"
_CONSTANTS = {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}


class _Context:
    """The attributes ``_json.make_scanner`` reads, as ``json.loads`` sets them."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = _CONSTANTS.__getitem__


_scan: Callable[[str, int], tuple[Any, int]] | None = None
if _json is not None:
    try:
        _scan = _json.make_scanner(_Context())  # type: ignore[arg-type]  # typeshed wants a scanner here; the C code reads these attributes
    except (AttributeError, TypeError):  # pragma: no cover - an interpreter we do not know
        _scan = None


def _unencodable(value: object) -> object:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def loads(data: bytes | str) -> Any:
    """``json.loads(data)``."""
    if _scan is not None:
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
        except UnicodeDecodeError:
            pass  # another encoding json detects, or an error it reports
        else:
            start = len(text) - len(text.lstrip(_WHITESPACE))
            try:
                value, end = _scan(text, start)
            except RecursionError:
                raise
            except Exception:  # noqa: S110 - json.loads below reports it
                pass
            else:
                if not text[end:].strip(_WHITESPACE):
                    return value
    import json

    return json.loads(data)


def dumps(value: object) -> str:
    """``json.dumps(value, separators=(",", ":"))``."""
    if _json is not None:
        try:
            encode = _json.make_encoder(
                {}, _unencodable, _json.encode_basestring_ascii, None, ":", ",", False, False, True
            )
            return "".join(encode(value, 0))
        except RecursionError:
            raise
        except Exception:  # noqa: S110 - json.dumps below reports it
            pass
    import json

    return json.dumps(value, separators=(",", ":"))
