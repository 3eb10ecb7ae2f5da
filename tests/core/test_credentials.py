"""Claude Code's credentials blob, Credentials and SecretToken: every
published shape, and no way for the token to leak through an error, a repr,
a pickle or a copy."""

from __future__ import annotations

import copy
import json
import pickle
import secrets
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import support
from claude_usage import (
    ClaudeUsageError,
    Credentials,
    CredentialsError,
    CredentialsNotFoundError,
    InvalidCredentialsError,
    LoginEndedError,
    SecretToken,
    parse_claude_code_credentials,
)

UTC = timezone.utc
SOURCE = "/home/tester/.claude/.credentials.json"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def make_refresh_token() -> str:
    return "sk-ant-ort01-" + secrets.token_urlsafe(72)


def capture(func: Callable[..., object], *args: Any, **kwargs: Any) -> BaseException:
    """Call ``func`` and return what it raised (the test fails if nothing)."""
    try:
        func(*args, **kwargs)
    except Exception as exc:
        return exc
    raise AssertionError(f"{getattr(func, '__name__', func)} raised nothing")


def frames_below_caller(error: BaseException) -> list[Any]:
    """The frames of ``error``'s traceback below the one that caught it."""
    frames = [frame for frame, _ in traceback.walk_tb(error.__traceback__)]
    assert frames, "the error has no traceback at all"
    assert frames[0].f_code is capture.__code__
    return frames[1:]


def assert_clean_error(error: BaseException, *secrets_: str) -> None:
    """No secret in the text, no chained exception, no deep frames."""
    assert isinstance(error, ClaudeUsageError)
    text = f"{error}\n{error!r}\n{error.args!r}"
    for secret in secrets_:
        assert secret not in text
        support.assert_no_token(text, secret)
    assert error.__context__ is None
    assert error.__cause__ is None
    below = frames_below_caller(error)
    assert len(below) <= 1, [frame.f_code.co_name for frame in below]
    for frame in below:
        for name, value in frame.f_locals.items():
            shown = repr(value)
            for secret in secrets_:
                assert secret not in shown, name
                support.assert_no_token(shown, secret)
    formatted = "".join(traceback.format_exception(error))
    for secret in secrets_:
        support.assert_no_token(formatted, secret)


def parse(data: str | bytes) -> Credentials:
    return parse_claude_code_credentials(data, source=SOURCE)


def encode(blob: Any) -> str:
    return json.dumps(blob)


# -- published shapes ----------------------------------------------------------------


@pytest.mark.parametrize("as_bytes", [False, True])
def test_full_blob(token: str, as_bytes: bool) -> None:
    text = encode(support.credentials_blob(token, expires_at_ms=1_785_793_317_600))
    credentials = parse(text.encode() if as_bytes else text)
    assert isinstance(credentials, Credentials)
    assert credentials.access_token == SecretToken(token)
    assert credentials.access_token != SecretToken(support.make_token())
    assert credentials.expires_at == EPOCH + timedelta(milliseconds=1_785_793_317_600)
    assert credentials.expires_at is not None
    assert credentials.expires_at.tzinfo is UTC
    assert credentials.scopes == ("user:inference", "user:profile", "user:sessions:claude_code")
    assert credentials.subscription_type == "max"
    assert credentials.rate_limit_tier == "default_claude_max_20x"
    assert credentials.is_expired(datetime(2026, 1, 1, tzinfo=UTC)) is False
    assert credentials.is_expired(datetime(2027, 1, 1, tzinfo=UTC)) is True


def test_blob_from_domain_md_verbatim() -> None:
    text = """{
      "claudeAiOauth": {
        "accessToken": "sk-ant-oat01-abcdefghijklmnopqrstuvwxyz0123456789",
        "refreshToken": "sk-ant-ort01-zyxwvutsrqponmlkjihgfedcba9876543210",
        "expiresAt": 1785793317600,
        "scopes": ["user:inference", "user:profile", "user:sessions:claude_code"],
        "subscriptionType": "max",
        "rateLimitTier": "default_claude_max_20x"
      },
      "mcpOAuth": {"<server>|<hash>": {"...": "..."}}
    }"""
    credentials = parse(text)
    assert credentials.access_token == SecretToken("sk-ant-oat01-abcdefghijklmnopqrstuvwxyz0123456789")
    assert credentials.expires_at == datetime(2026, 8, 3, 21, 41, 57, 600000, tzinfo=UTC)


def test_utf8_bom_is_accepted(token: str) -> None:
    data = b"\xef\xbb\xbf" + encode(support.credentials_blob(token)).encode()
    assert parse(data).access_token == SecretToken(token)


def test_blob_without_scopes(token: str) -> None:
    blob = support.credentials_blob(token)
    del blob["claudeAiOauth"]["scopes"]
    credentials = parse(encode(blob))
    assert credentials.access_token == SecretToken(token)
    assert credentials.scopes is None
    assert credentials.expires_at == EPOCH + timedelta(milliseconds=support.FAR_FUTURE_MS)


def test_blob_with_only_access_token(token: str) -> None:
    credentials = parse(encode({"claudeAiOauth": {"accessToken": token}}))
    assert credentials == Credentials(access_token=token)
    assert credentials.expires_at is None
    assert credentials.scopes is None
    assert credentials.subscription_type is None
    assert credentials.rate_limit_tier is None
    assert credentials.is_expired() is False


def test_blob_with_nulls_everywhere_but_the_token(token: str) -> None:
    blob = {
        "claudeAiOauth": {
            "accessToken": token,
            "refreshToken": None,
            "expiresAt": None,
            "scopes": None,
            "subscriptionType": None,
            "rateLimitTier": None,
        },
        "mcpOAuth": None,
    }
    assert parse(encode(blob)) == Credentials(access_token=token)


def test_unknown_fields_ignored(token: str) -> None:
    blob = support.credentials_blob(token)
    blob["claudeAiOauth"]["organizationUuid"] = "x"
    blob["somethingNew"] = {"a": [1, 2]}
    assert parse(encode(blob)).access_token == SecretToken(token)


def test_refresh_token_never_read(token: str) -> None:
    refresh = make_refresh_token()
    credentials = parse(encode(support.credentials_blob(token, refresh_token=refresh)))
    assert "refresh" not in " ".join(attrs.fields_dict(Credentials)).lower()
    for value in attrs.astuple(credentials, recurse=False):
        support.assert_no_token(repr(value), refresh)
    support.assert_no_token(repr(credentials), refresh)


# -- expiresAt, scopes and the other metadata ----------------------------------------------


@pytest.mark.parametrize(
    "millis",
    [support.FAR_FUTURE_MS, support.PAST_MS, 1_785_793_317_600, 0, 1_785_793_317_600.0, 1_785_793_317_600.5],
)
def test_expires_at_is_epoch_milliseconds(token: str, millis: float) -> None:
    credentials = parse(encode({"claudeAiOauth": {"accessToken": token, "expiresAt": millis}}))
    assert credentials.expires_at is not None
    assert credentials.expires_at.tzinfo is UTC
    expected = EPOCH + timedelta(milliseconds=millis)
    assert abs(credentials.expires_at - expected) <= timedelta(microseconds=1)


def test_past_expires_at_is_expired(token: str) -> None:
    credentials = parse(encode(support.credentials_blob(token, expires_at_ms=support.PAST_MS)))
    assert credentials.expires_at == datetime(2020, 9, 13, 12, 26, 40, tzinfo=UTC)
    assert credentials.is_expired() is True


@pytest.mark.parametrize(
    "raw",
    [
        "'1785793317600'",
        "true",
        "false",
        "[1785793317600]",
        '{"ms": 1}',
        "NaN",
        "Infinity",
        "-Infinity",
        "1" + "0" * 400,
        "-1" + "0" * 30,
        "1e400",
        "1e300",
    ],
)
def test_wrong_typed_expires_at_is_ignored(token: str, raw: str) -> None:
    raw = raw.replace("'", '"')
    text = '{"claudeAiOauth": {"accessToken": "' + token + '", "expiresAt": ' + raw + "}}"
    credentials = parse(text)
    assert credentials.access_token == SecretToken(token)
    assert credentials.expires_at is None


@pytest.mark.parametrize("scopes", [5, True, {"user:profile": True}])
def test_wrong_typed_scopes_are_ignored(token: str, scopes: Any) -> None:
    credentials = parse(encode({"claudeAiOauth": {"accessToken": token, "scopes": scopes}}))
    assert credentials.scopes is None


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        ("user:inference user:profile", ("user:inference", "user:profile")),
        ("  user:inference   user:profile\t", ("user:inference", "user:profile")),
        ("user:inference", ("user:inference",)),
        ("", ()),
        ([], ()),
        (["user:inference"], ("user:inference",)),
    ],
)
def test_scopes_shapes(token: str, scopes: Any, expected: tuple[str, ...]) -> None:
    credentials = parse(encode({"claudeAiOauth": {"accessToken": token, "scopes": scopes}}))
    assert credentials.scopes == expected
    assert isinstance(credentials.scopes, tuple)


@pytest.mark.parametrize("value", [5, True, ["max"], {"a": 1}])
def test_wrong_typed_subscription_fields_are_ignored(token: str, value: Any) -> None:
    blob = {"claudeAiOauth": {"accessToken": token, "subscriptionType": value, "rateLimitTier": value}}
    credentials = parse(encode(blob))
    assert credentials.subscription_type is None
    assert credentials.rate_limit_tier is None


# -- no Claude credentials ------------------------------------------------------------------


@pytest.mark.parametrize(
    "make_blob",
    [
        lambda token, refresh: support.credentials_blob(None),
        lambda token, refresh: {"claudeAiOauth": None, "mcpOAuth": {"srv|1": {"accessToken": token}}},
        lambda token, refresh: {"claudeAiOauth": None},
        lambda token, refresh: {},
        lambda token, refresh: {"mcpOAuth": {"srv|1": {"accessToken": token, "refreshToken": refresh}}},
    ],
    ids=["mcp-only", "oauth-null-with-mcp", "oauth-null", "empty-object", "mcp-only-with-tokens"],
)
@pytest.mark.parametrize("as_bytes", [False, True])
def test_no_claude_credentials_is_not_found(token: str, make_blob: Callable[[str, str], Any], as_bytes: bool) -> None:
    refresh = make_refresh_token()
    text = encode(make_blob(token, refresh))
    error = capture(parse_claude_code_credentials, text.encode() if as_bytes else text, source=SOURCE)
    assert isinstance(error, CredentialsNotFoundError)
    assert not isinstance(error, InvalidCredentialsError)
    assert isinstance(error, LookupError)
    assert SOURCE in str(error)
    assert_clean_error(error, token, refresh)


def test_mcp_only_says_so(token: str) -> None:
    error = capture(parse, encode(support.credentials_blob(None)))
    assert isinstance(error, CredentialsNotFoundError)
    assert "MCP" in str(error)


# -- unusable blobs -----------------------------------------------------------------------


def _with_oauth(oauth: Any) -> Callable[[str, str], str]:
    return lambda token, refresh: encode({"claudeAiOauth": oauth(token, refresh), "mcpOAuth": {}})


INVALID: dict[str, Callable[[str, str], str | bytes]] = {
    "not-json": lambda token, refresh: "this is not json " + token,
    "truncated-json": lambda token, refresh: encode(support.credentials_blob(token, refresh_token=refresh))[:-40],
    "truncated-in-token": lambda token, refresh: '{"claudeAiOauth": {"accessToken": "' + token,
    "token-as-bare-word": lambda token, refresh: "{" + token + "}",
    "trailing-garbage": lambda token, refresh: encode(support.credentials_blob(token)) + " x" + refresh,
    "empty-str": lambda token, refresh: "",
    "empty-bytes": lambda token, refresh: b"",
    "whitespace": lambda token, refresh: "  \n\t \r\n",
    "whitespace-bytes": lambda token, refresh: b"   \n",
    "binary": lambda token, refresh: b"\xff\xfe\x00" + token.encode() + b"\x80\x81" + refresh.encode(),
    "latin-1": lambda token, refresh: encode(support.credentials_blob(token + "é")).encode("latin-1"),
    "json-list": lambda token, refresh: encode([support.credentials_blob(token, refresh_token=refresh)]),
    "json-null": lambda token, refresh: "null",
    "json-string": lambda token, refresh: encode(token),
    "json-number": lambda token, refresh: "42",
    "deeply-nested": lambda token, refresh: "[" * 100_000 + encode(token) + "]" * 100_000,
    "deeply-nested-objects": lambda token, refresh: '{"a":' * 100_000 + encode(token) + "}" * 100_000,
    "oauth-string": _with_oauth(lambda token, refresh: token),
    "oauth-list": _with_oauth(lambda token, refresh: [token, refresh]),
    "oauth-number": _with_oauth(lambda token, refresh: 5),
    "oauth-true": _with_oauth(lambda token, refresh: True),
    "token-missing": _with_oauth(lambda token, refresh: {"refreshToken": refresh, "expiresAt": 1}),
    "token-null": _with_oauth(lambda token, refresh: {"accessToken": None, "refreshToken": refresh}),
    "token-number": _with_oauth(lambda token, refresh: {"accessToken": 12345678901234567890}),
    "token-true": _with_oauth(lambda token, refresh: {"accessToken": True}),
    "token-list": _with_oauth(lambda token, refresh: {"accessToken": [token], "refreshToken": refresh}),
    "token-object": _with_oauth(lambda token, refresh: {"accessToken": {"value": token}}),
    "token-with-space": _with_oauth(
        lambda token, refresh: {"accessToken": token[:30] + " " + token[30:], "refreshToken": refresh}
    ),
    "token-with-newline": _with_oauth(lambda token, refresh: {"accessToken": token + "\n", "refreshToken": refresh}),
    "token-with-inner-newline": _with_oauth(lambda token, refresh: {"accessToken": token[:25] + "\r\n" + token[25:]}),
    "token-with-tab": _with_oauth(lambda token, refresh: {"accessToken": "\t" + token}),
    "token-only-space": _with_oauth(lambda token, refresh: {"accessToken": " "}),
    "token-non-ascii": _with_oauth(lambda token, refresh: {"accessToken": token + "é"}),
    "token-nul": _with_oauth(lambda token, refresh: {"accessToken": token + "\x00"}),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_unusable_blob_is_invalid(token: str, case: str) -> None:
    refresh = make_refresh_token()
    data = INVALID[case](token, refresh)
    error = capture(parse_claude_code_credentials, data, source=SOURCE)
    assert isinstance(error, InvalidCredentialsError), f"{type(error).__name__}: {error}"
    assert isinstance(error, ValueError)
    assert isinstance(error, CredentialsError)
    assert not isinstance(error, CredentialsNotFoundError)
    assert SOURCE in str(error)
    assert_clean_error(error, token, refresh)


@pytest.mark.parametrize("case", ["token-with-space", "token-with-newline", "token-only-space", "token-missing"])
def test_invalid_bytes_and_str_agree(token: str, case: str) -> None:
    refresh = make_refresh_token()
    data = INVALID[case](token, refresh)
    assert isinstance(data, str)
    from_str = capture(parse, data)
    from_bytes = capture(parse, data.encode())
    assert type(from_str) is type(from_bytes) is InvalidCredentialsError
    assert str(from_str) == str(from_bytes)


@pytest.mark.parametrize(
    "oauth",
    [
        {"accessToken": "", "refreshToken": "", "expiresAt": 0, "loginEnded": "time_limit"},
        {"accessToken": "", "refreshToken": "", "expiresAt": 0, "scopes": ["user:inference", "user:profile"]},
        {"accessToken": ""},
    ],
    ids=["time-limit", "logged-out", "bare"],
)
def test_an_ended_login_says_log_in_again(oauth: dict[str, Any]) -> None:
    """Claude Code keeps a login that is over as empty tokens: that is "log in
    again" (exit 3), not a corrupt store."""
    error = capture(parse_claude_code_credentials, encode({"claudeAiOauth": oauth}), source=SOURCE)
    assert type(error) is LoginEndedError
    assert isinstance(error, CredentialsError)
    assert not isinstance(error, (InvalidCredentialsError, CredentialsNotFoundError))
    text = str(error)
    assert SOURCE in text and "has ended" in text and "log in again" in text
    assert ("time limit" in text) == ("loginEnded" in oauth)


def test_source_is_quoted_not_the_content(token: str) -> None:
    error = capture(parse_claude_code_credentials, "garbage " + token, source="Keychain item 'Claude Code-credentials'")
    assert "Keychain item 'Claude Code-credentials'" in str(error)
    assert "garbage" not in str(error)


def test_json_error_message_gives_position_only(token: str) -> None:
    error = capture(
        parse_claude_code_credentials, '{\n  "claudeAiOauth": {"accessToken": ' + token + "}}", source=SOURCE
    )
    assert isinstance(error, InvalidCredentialsError)
    assert "line 2" in str(error)
    assert_clean_error(error, token)


# -- Credentials -----------------------------------------------------------------------------


def test_credentials_repr_hides_the_token(token: str) -> None:
    credentials = Credentials(
        access_token=token,
        expires_at=datetime(2030, 1, 1, tzinfo=UTC),
        scopes=["user:profile"],
        subscription_type="max",
    )
    for text in (repr(credentials), str(credentials), f"{credentials}", f"{credentials!r}", "%s" % (credentials,)):  # noqa: UP031
        assert token not in text
        support.assert_no_token(text, token)
        assert "redacted" in text
    assert "max" in repr(credentials)
    assert isinstance(credentials.access_token, SecretToken)
    assert credentials.scopes == ("user:profile",)


def test_credentials_accept_a_secret_token(token: str) -> None:
    secret = SecretToken(token)
    credentials = Credentials(access_token=secret)
    assert credentials.access_token is secret
    assert credentials == Credentials(access_token=token)
    assert credentials != Credentials(access_token=support.make_token())


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_credentials_refuse_to_pickle(token: str, protocol: int) -> None:
    credentials = Credentials(access_token=token)
    with pytest.raises(TypeError) as caught:
        pickle.dumps(credentials, protocol=protocol)
    support.assert_no_token(str(caught.value), token)
    with pytest.raises(TypeError):
        pickle.dumps(credentials.access_token, protocol=protocol)
    with pytest.raises(TypeError):
        pickle.dumps({"nested": [credentials.access_token]}, protocol=protocol)


def test_credentials_refuse_to_copy(token: str) -> None:
    credentials = Credentials(access_token=token)
    with pytest.raises(TypeError):
        copy.copy(credentials)
    with pytest.raises(TypeError):
        copy.deepcopy(credentials)


@pytest.mark.parametrize("value", ["", " ", "a b", "tok\n", "tok\r\nX-Other: 1", "é", "\x00"])
def test_credentials_reject_unusable_token(value: str) -> None:
    error = capture(Credentials, access_token=value)
    assert isinstance(error, InvalidCredentialsError)
    assert error.__context__ is None
    assert error.__cause__ is None
    if len(value) >= 2:
        assert value not in str(error)


def test_credentials_reject_a_secret_that_is_not_a_str() -> None:
    error = capture(Credentials, access_token=12345)
    assert isinstance(error, InvalidCredentialsError)
    assert error.__context__ is None


def test_credentials_token_with_space_not_echoed(token: str) -> None:
    spaced = token[:30] + " " + token[30:]
    error = capture(Credentials, access_token=spaced)
    assert isinstance(error, InvalidCredentialsError)
    support.assert_no_token(str(error), token)
    support.assert_no_token(repr(error), token)


def test_is_expired() -> None:
    now = datetime(2026, 7, 8, 12, 0, tzinfo=UTC)
    token = support.make_token()
    assert Credentials(access_token=token).is_expired(now) is False
    assert Credentials(access_token=token).is_expired() is False
    assert Credentials(access_token=token, expires_at=now + timedelta(seconds=1)).is_expired(now) is False
    assert Credentials(access_token=token, expires_at=now).is_expired(now) is True
    assert Credentials(access_token=token, expires_at=now - timedelta(seconds=1)).is_expired(now) is True
    past = datetime.now(UTC) - timedelta(minutes=1)
    future = datetime.now(UTC) + timedelta(hours=1)
    assert Credentials(access_token=token, expires_at=past).is_expired() is True
    assert Credentials(access_token=token, expires_at=future).is_expired() is False
    # Another offset, same instant.
    plus_two = timezone(timedelta(hours=2))
    assert Credentials(access_token=token, expires_at=datetime(2026, 7, 8, 14, 0, tzinfo=plus_two)).is_expired(now)


def test_credentials_are_frozen(token: str) -> None:
    credentials = Credentials(access_token=token)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        credentials.access_token = SecretToken(support.make_token())  # type: ignore[misc]


# -- SecretToken ----------------------------------------------------------------------------


def test_secret_token_str_and_format_redacted(token: str) -> None:
    secret = SecretToken(token)
    shown = [
        str(secret),
        repr(secret),
        f"{secret}",
        f"{secret!s}",
        f"{secret!r}",
        f"{secret:>200}",
        f"{secret:s}",
        format(secret, ""),
        "%s" % secret,  # noqa: UP031
        "%r" % secret,  # noqa: UP031
        "{}".format(secret),  # noqa: UP032
        str([secret]),
        str({"token": secret}),
    ]
    for text in shown:
        assert token not in text
        support.assert_no_token(text, token)
        assert "redacted" in text


def test_secret_token_copy_and_pickle_raise(token: str) -> None:
    secret = SecretToken(token)
    with pytest.raises(TypeError):
        copy.copy(secret)
    with pytest.raises(TypeError):
        copy.deepcopy(secret)
    with pytest.raises(TypeError):
        copy.deepcopy([secret])
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        with pytest.raises(TypeError):
            pickle.dumps(secret, protocol=protocol)


def test_secret_token_equality_and_no_hash(token: str) -> None:
    assert SecretToken(token) == SecretToken(token)
    assert SecretToken(token) != SecretToken(token + "x")
    assert SecretToken(token) != token  # a raw string is not a token
    with pytest.raises(TypeError):
        hash(SecretToken(token))
    with pytest.raises(TypeError):
        {SecretToken(token)}


def test_secret_token_has_no_dict(token: str) -> None:
    secret = SecretToken(token)
    assert not hasattr(secret, "__dict__")
    with pytest.raises(AttributeError):
        secret.other = 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("value", "error"), [("", ValueError), ("a b", ValueError), (b"tok", TypeError), (5, TypeError)]
)
def test_secret_token_rejects(value: Any, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        SecretToken(value)
    if isinstance(value, str) and value:
        assert value not in str(caught.value)


# -- property test -------------------------------------------------------------------------

_json_values: st.SearchStrategy[Any] = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=10**300, max_value=10**500),
        st.integers(min_value=-(10**500), max_value=-(10**300)),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.text(max_size=8), st.sampled_from(["claudeAiOauth", "accessToken", "mcpOAuth"])),
            children,
            max_size=4,
        ),
    ),
    max_leaves=20,
)
_FIELDS = ["accessToken", "refreshToken", "expiresAt", "scopes", "subscriptionType", "rateLimitTier"]


def _parsed_or_credentials_error(data: str | bytes) -> Credentials | None:
    try:
        return parse_claude_code_credentials(data, source=SOURCE)
    except (CredentialsNotFoundError, InvalidCredentialsError) as exc:
        error = exc
    assert error.__context__ is None
    return None


@settings(max_examples=300, derandomize=True, deadline=None)
@given(_json_values)
def test_any_json_blob_parses_or_is_a_credentials_error(blob: Any) -> None:
    text = json.dumps(blob)
    _parsed_or_credentials_error(text)
    _parsed_or_credentials_error(text.encode())


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.dictionaries(st.sampled_from(_FIELDS[1:]), _json_values, max_size=5))
def test_any_metadata_keeps_a_good_token_usable(fields: dict[str, Any]) -> None:
    token = support.make_token()
    credentials = _parsed_or_credentials_error(json.dumps({"claudeAiOauth": {**fields, "accessToken": token}}))
    assert credentials is not None
    assert credentials.access_token == SecretToken(token)
    assert credentials.expires_at is None or credentials.expires_at.tzinfo is UTC
    assert credentials.scopes is None or all(isinstance(scope, str) for scope in credentials.scopes)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.binary(max_size=64))
def test_any_bytes_parse_or_are_a_credentials_error(data: bytes) -> None:
    _parsed_or_credentials_error(data)


@pytest.mark.parametrize("data", ["", b"", "   \n\t", b" \r\n ", b"\xef\xbb\xbf"])
def test_empty_store_says_it_is_empty(data: str | bytes) -> None:
    error = capture(parse_claude_code_credentials, data, source=SOURCE)
    assert isinstance(error, InvalidCredentialsError)
    assert "empty" in str(error)
    assert_clean_error(error)


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        ([1, 2], ()),
        (["user:inference", 7], ("user:inference",)),
        (["user:profile", None], ("user:profile",)),
        ([["a"]], ()),
    ],
)
def test_a_scope_list_with_non_strings_is_still_a_known_list(
    token: str, scopes: list[Any], expected: tuple[str, ...]
) -> None:
    """Known scopes without user:profile are never sent: a list whose entries
    are not strings must not pass for "scopes unknown"."""
    credentials = parse(encode({"claudeAiOauth": {"accessToken": token, "scopes": scopes}}))
    assert credentials.scopes == expected
