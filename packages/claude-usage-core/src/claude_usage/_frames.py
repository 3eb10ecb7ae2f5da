"""Keep the token out of tracebacks.

A traceback references every frame it passed through, and a frame
references its local variables: the credentials blob, a ``SecretToken``, the
``requests`` objects that carry the Authorization header. Error reporters
that record locals (Sentry, rich's ``show_locals``) would ship them. Public
entry points that may hold a secret further down are wrapped in
:func:`detached`, which re-raises our errors with only the wrapper's own frame
and no chained exceptions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from claude_usage.errors import ClaudeUsageError

__all__ = ["detach", "detached"]

P = ParamSpec("P")
R = TypeVar("R")


def detach(error: BaseException) -> BaseException:
    """Strip the traceback and every chained exception from ``error``."""
    error.__traceback__ = None
    error.__cause__ = None
    error.__context__ = None
    error.__suppress_context__ = True
    return error


def detached(func: Callable[P, R]) -> Callable[P, R]:
    """Wrap ``func`` so the :class:`ClaudeUsageError` it raises carries no
    frame below the wrapper and no chained exception."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ClaudeUsageError as exc:
            error = detach(exc)
        # The arguments may be the secret itself: this frame stays on the
        # traceback, so it must not keep them.
        del args, kwargs
        raise error

    wrapper.__claude_usage_detached__ = True  # type: ignore[attr-defined]
    return wrapper
