"""The one module that touches the raw value of an access token.

Everything else handles a :class:`SecretToken`, whose ``repr``/``str`` are
redacted and which refuses to be pickled or copied. The raw value leaves this
module only inside the ``Authorization`` header that :class:`BearerAuth`
writes onto an outgoing request, and in :func:`scrub`'s comparison. A test
parses every other module of the package and fails if one reads ``_value``.

Python strings are immutable and cannot be wiped; what the library can do is
keep the token's lifetime short: it is read from the store, wrapped here,
used for one request and then nothing refers to it any more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from requests import PreparedRequest

__all__ = ["BearerAuth", "SecretToken", "scrub"]

_REDACTED = "SecretToken('<redacted>')"


class SecretToken:
    """An OAuth access token that does not show, pickle or copy itself.

    The value must be non-empty printable ASCII without spaces: anything
    else could not be sent in an HTTP header, and letting ``requests`` reject
    it would put the value in its error message.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("a token must be a str")
        # Printable ASCII without spaces: checked with str methods, which run
        # in C, because this runs for every request.
        if not value or not (value.isascii() and value.isprintable()) or " " in value:
            # Deliberately says nothing about the content or its length.
            raise ValueError("the token is empty or contains characters that cannot be sent in an HTTP header")
        self._value = value

    def __repr__(self) -> str:
        return _REDACTED

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return _REDACTED

    def __reduce__(self) -> NoReturn:
        raise TypeError("a SecretToken cannot be pickled or copied: tokens are never serialised")

    def __copy__(self) -> NoReturn:
        self.__reduce__()

    def __deepcopy__(self, memo: object) -> NoReturn:
        self.__reduce__()

    def __eq__(self, other: object) -> bool:
        # Constant-time, so that comparing tokens leaks nothing through timing.
        if not isinstance(other, SecretToken):
            return NotImplemented
        import hmac

        return hmac.compare_digest(self._value.encode(), other._value.encode())

    __hash__ = None  # type: ignore[assignment]  # equal tokens must not become dict keys


class BearerAuth:
    """A ``requests`` auth callable that writes ``Authorization: Bearer ...``.

    Passing it as ``auth=`` (rather than in ``headers=``) also stops
    ``requests`` from replacing our header with credentials from ``~/.netrc``.
    """

    __slots__ = ("_token",)

    def __init__(self, token: SecretToken) -> None:
        self._token = token

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request.headers["Authorization"] = "Bearer " + self._token._value
        return request

    def __repr__(self) -> str:
        return "BearerAuth(<redacted>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("BearerAuth cannot be pickled or copied")


def scrub(text: str, token: SecretToken) -> str:
    """Return ``text``, or a placeholder when it holds any 8-character slice
    of the token.

    Used on text that came from the server before it goes into an error
    message: a hostile or broken server could echo the Authorization header,
    whole or in part.
    """
    value = token._value
    width = min(8, len(value))
    if any(value[i : i + width] in text for i in range(len(value) - width + 1)):
        return "<withheld: the server's text contained part of the token>"
    return text
