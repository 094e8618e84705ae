"""How results and errors meet the user: notifications, inline field errors, no tracebacks."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ParamSpec, TypeVar

from nicegui import run, ui

from crpm_core import errors

__all__ = [
    "DATABASE_DOWN",
    "GENERIC_MESSAGE",
    "db",
    "field_error",
    "guarded",
    "message_of",
    "report",
    "success",
]

log = logging.getLogger("crpm_ui")

GENERIC_MESSAGE = "Something went wrong and was logged. Please try again."
DATABASE_DOWN = "The database cannot be reached. Please try again in a moment."

P = ParamSpec("P")
T = TypeVar("T")


async def db(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run one crpm_core call in a worker thread, off the event loop."""

    def call() -> tuple[T]:
        return (fn(*args, **kwargs),)

    boxed = await run.io_bound(call)
    if boxed is None:  # NiceGUI answers None when the app shuts down: the page is gone
        raise asyncio.CancelledError
    return boxed[0]


def message_of(exc: errors.CRPMError) -> str:
    """A plain sentence for an error of crpm_core."""
    if isinstance(exc, errors.StorageError):
        return DATABASE_DOWN
    if isinstance(exc, errors.PermissionDenied):
        return denied(exc.action)
    if isinstance(exc, errors.ValidationError):
        text = f"{exc.field.replace('_', ' ')}: {exc.message}"
    elif isinstance(exc, errors.InsufficientStock):
        text = f"only {exc.available} in stock; {exc.requested} requested"
    else:
        text = exc.message
    return text[:1].upper() + text[1:]


def denied(action: str) -> str:
    """``customers.delete`` → "Your role may not delete customers"."""
    noun, _, verb = action.partition(".")
    words = f"{verb.replace('_', ' ')} {noun}" if verb else noun
    return f"Your role may not {words}"


def report(exc: BaseException) -> None:
    """Tell the user what went wrong: CRPM's own errors plainly, anything else generically
    (and logged for the maintainer)."""
    if isinstance(exc, errors.CRPMError):
        ui.notify(message_of(exc), type="negative", multi_line=True)
    else:
        log.error("unexpected error in the app", exc_info=exc)
        ui.notify(GENERIC_MESSAGE, type="negative")


def success(message: str) -> None:
    ui.notify(message, type="positive")


def field_error(exc: errors.CRPMError, fields: Mapping[str, Any]) -> bool:
    """Show ``exc`` under the form field it names; ``False`` if it names none of ``fields``."""
    name = getattr(exc, "field", None)
    if isinstance(exc, errors.InsufficientStock):
        name = "quantity"
    target = fields.get(name) if isinstance(name, str) else None
    if target is None:
        return False
    target.error = (
        message_of(exc) if name == "quantity" else exc.message[:1].upper() + exc.message[1:]
    )
    return True


def guarded(handler: Callable[P, Awaitable[None]]) -> Callable[P, Awaitable[None]]:
    """Wrap an event handler so that no error escapes as a traceback."""

    @functools.wraps(handler)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await handler(*args, **kwargs)
        except Exception as exc:
            report(exc)

    return wrapper
