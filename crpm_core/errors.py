"""The errors of CRPM.

Every error a call of :mod:`crpm_core` raises on purpose is a :class:`CRPMError`.
A refused call changes nothing: each call is one transaction, rolled back on error.
The edges (the app, the command line) turn these into messages; the core never prints.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationFailed",
    "Busy",
    "CRPMError",
    "Conflict",
    "InactiveRecord",
    "InsufficientStock",
    "NotFound",
    "PermissionDenied",
    "StorageError",
    "ValidationError",
]


class CRPMError(Exception):
    """Base class of every error CRPM raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(CRPMError):
    """A value given to a call is not acceptable; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class NotFound(CRPMError):
    """No record has the given id."""

    def __init__(self, entity: str, record_id: object) -> None:
        super().__init__(f"{entity} {record_id} does not exist")
        self.entity = entity
        self.record_id = record_id


class Conflict(CRPMError):
    """The call clashes with the data as it is (a duplicate, a record with history)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InsufficientStock(CRPMError):
    """A purchase asks for more units than the product has in stock."""

    def __init__(self, product_id: int, requested: int, available: int) -> None:
        super().__init__(f"product {product_id} has {available} in stock; {requested} requested")
        self.product_id = product_id
        self.requested = requested
        self.available = available


class InactiveRecord(CRPMError):
    """The customer or product is deactivated and cannot take part in a purchase. The
    message names the record as people know it (``customer Zoë O'Brien is inactive``) when
    its ``name`` is known, else by its id."""

    def __init__(self, entity: str, record_id: int, *, name: str | None = None) -> None:
        super().__init__(f"{entity} {name or record_id} is inactive")
        self.entity = entity
        self.record_id = record_id
        self.name = name


class Busy(CRPMError):
    """Another writer held the database for longer than the busy timeout; nothing was
    changed, and trying again later may succeed."""

    def __init__(
        self, message: str = "the database is busy with another change; try again"
    ) -> None:
        super().__init__(message)


class StorageError(CRPMError):
    """The database refused or could not carry out the call for a reason of its own (it is
    unreachable, or a value broke one of its limits); nothing was changed."""


class PermissionDenied(CRPMError):
    """The acting user's role may not do ``action`` (or the user is unknown or inactive);
    nothing was changed."""

    def __init__(self, action: str, message: str | None = None) -> None:
        super().__init__(message or f"your role may not {action.replace('.', ' ')}")
        self.action = action


class AuthenticationFailed(CRPMError):
    """A login failed: the same message for an unknown user and a wrong password; ``locked``
    says the account is locked after too many failures (until ``locked_until``)."""

    def __init__(self, *, locked_until: object = None) -> None:
        locked = locked_until is not None
        super().__init__(
            "Wrong username or password"
            + ("; the account is locked for 15 minutes after 5 failed attempts" if locked else "")
        )
        self.locked = locked
        self.locked_until = locked_until
