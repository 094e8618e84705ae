"""Staff: roles, what each may do, passwords, and the shape of an audit entry.

The permission matrix lives here once; the services ask it before every call (the app and
the API hide what a role may not do, but the core refuses it anyway).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final, Literal

from crpm_core.domain import validation as v
from crpm_core.errors import ValidationError

Role = Literal["owner", "manager", "clerk"]
ROLES: Final[tuple[Role, ...]] = ("owner", "manager", "clerk")
ROLE_NAMES: Final[dict[str, str]] = {"owner": "Owner", "manager": "Manager", "clerk": "Clerk"}

EVERYONE: Final = frozenset({"owner", "manager", "clerk"})
MANAGERS: Final = frozenset({"owner", "manager"})
OWNERS: Final = frozenset({"owner"})

PERMISSIONS: Final[Mapping[str, frozenset[str]]] = {
    # see customers and products; add and update customers; place orders
    "customers.read": EVERYONE,
    "customers.add": EVERYONE,
    "customers.update": EVERYONE,
    "products.read": EVERYONE,
    "orders.read": EVERYONE,
    "orders.place": EVERYONE,
    "settings.read": EVERYONE,
    # deactivate/reactivate customers; add, update, restock, correct, deactivate products
    "customers.deactivate": MANAGERS,
    "customers.reactivate": MANAGERS,
    "products.add": MANAGERS,
    "products.update": MANAGERS,
    "products.restock": MANAGERS,
    "products.set_stock": MANAGERS,
    "products.deactivate": MANAGERS,
    "products.reactivate": MANAGERS,
    # cancel orders, return items; reports and analytics; import and export
    "orders.cancel": MANAGERS,
    "purchases.cancel": MANAGERS,
    "purchases.return_items": MANAGERS,
    "reports.read": MANAGERS,
    "transfer.import": MANAGERS,
    "transfer.export": MANAGERS,
    # the audit trail; the list of users (the audit's "who" filter)
    "audit.read": MANAGERS,
    "users.list": MANAGERS,
    # delete customers or products; users; settings; backup and restore
    "customers.delete": OWNERS,
    "products.delete": OWNERS,
    "users.manage": OWNERS,
    "settings.update": OWNERS,
    "backup": OWNERS,
}
"""Who may do what: the contract's table, one permission per kind of call."""

ENTITIES: Final = ("customer", "product", "order", "purchase", "user", "settings")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
PASSWORD_MIN = 10
PASSWORD_MAX = 1024
LOCK_AFTER = 5
"""Failed logins within ``FAILURE_WINDOW`` that lock an account."""
FAILURE_WINDOW_MINUTES = 15
LOCK_MINUTES = 15


def may(role: str | None, permission: str) -> bool:
    """May ``role`` do ``permission``? ``None`` is the database's operator: everything."""
    if permission not in PERMISSIONS:  # pragma: no cover - a typo in the core
        raise KeyError(permission)
    return role is None or role in PERMISSIONS[permission]


def role(value: object, field: str = "role") -> Role:
    if value not in ROLES:
        raise ValidationError(field, "must be owner, manager or clerk")
    return value


def username(value: object, field: str = "username") -> str:
    """1-64 characters: lower-case letters, digits and ``. _ @ -``, starting with a letter or
    digit (compared as given: ``Alice`` is refused, not folded, so two spellings never meet)."""
    text = v.search(value, field)  # the shared text checks (Unicode, controls)
    if not text:
        raise ValidationError(field, "must not be empty")
    if not USERNAME.fullmatch(text):
        raise ValidationError(
            field, "may hold only lower-case letters, digits and . _ @ - (at most 64)"
        )
    return text


def password(value: object, field: str = "password") -> str:
    """At least 10 characters (any, spaces included; never trimmed), at most 1,024."""
    if not isinstance(value, str):
        raise ValidationError(field, "must be text")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value) or "\x00" in value:
        raise ValidationError(field, "must be valid Unicode text without NUL")
    if len(value) < PASSWORD_MIN:
        raise ValidationError(field, f"must be at least {PASSWORD_MIN} characters")
    if len(value) > PASSWORD_MAX:
        raise ValidationError(field, f"must be at most {PASSWORD_MAX:,} characters")
    return value


def plain(value: Any) -> Any:
    """A value as an audit entry stores it (JSON): money and times as text."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [plain(x) for x in value]
    return value


def changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> dict[str, list[Any]]:
    """Field → ``[before, after]`` for every field that differs (an add has ``before`` None,
    a delete ``after`` None)."""
    old = dict(before or {})
    new = dict(after or {})
    out: dict[str, list[Any]] = {}
    for key in [*old, *(k for k in new if k not in old)]:
        a, b = plain(old.get(key)), plain(new.get(key))
        if a != b or before is None or after is None:
            out[key] = [a if before is not None else None, b if after is not None else None]
    return out
