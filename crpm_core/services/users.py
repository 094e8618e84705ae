"""Staff accounts: add, authenticate (with a lockout), roles, passwords, API tokens.

Passwords are stored only as Argon2 hashes (argon2-cffi); API tokens only as SHA-256 hashes
(a token is 32 random bytes, so a fast hash is as safe as a slow one). Neither a password, a
hash nor a token is ever returned, logged or written to the audit trail.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from crpm_core.domain import Page, User, staff
from crpm_core.domain import validation as v
from crpm_core.errors import AuthenticationFailed, Conflict, NotFound, PermissionDenied
from crpm_core.persistence import mappers
from crpm_core.persistence.tables import api_tokens, users
from crpm_core.services._common import fetch_one
from crpm_core.services.unit_of_work import Scope

_HASHER = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified when the username is unknown, so a wrong name takes as long as a wrong
    password. Made on the first login, not on import (Argon2 takes 64 MB for a moment,
    which every process that only reports would keep)."""
    return _HASHER.hash("not the password of anyone at all")


TOKEN_PREFIX = "crpm_"  # noqa: S105 - the prefix, not a token


def _user(row: Any) -> User:
    return User(
        id=int(row["id"]),
        username=row["username"],
        role=row["role"],
        active=bool(row["active"]),
        created_at=row["created_at"],
    )


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def active_role(conn: Connection, username: str) -> str | None:
    """The role of an active user, ``None`` when unknown or deactivated."""
    row = conn.execute(
        select(users.c.role, users.c.active).where(users.c.username == username)
    ).first()
    return None if row is None or not row.active else str(row.role)


class Users:
    """``crm.users``: owners manage users; owners and managers list them; every user may
    change their own password."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def add(self, *, username: str, password: str, role: str) -> User:
        self._scope.require("users.manage")
        name = staff.username(username)
        secret = staff.password(password)
        kind = staff.role(role)
        digest = _HASHER.hash(secret)
        with self._scope() as uow:
            if uow.conn.execute(select(users.c.id).where(users.c.username == name)).first():
                raise _taken(name)
            try:
                result = uow.conn.execute(
                    insert(users).values(
                        username=name,
                        password_hash=digest,
                        role=kind,
                        active=True,
                        created_at=uow.now(),
                    )
                )
            except IntegrityError:
                raise _taken(name) from None
            added = _get(uow.conn, mappers.inserted_id(result))
            uow.audit("add", "user", added.id, staff.changes(None, _audited(added)))
            return added

    def get(self, user_id: int) -> User:
        uid = v.record_id(user_id, "user_id")
        with self._scope(write=False) as uow:
            found = _get(uow.conn, uid)
            if found.username != self._scope.actor:
                self._scope.require("users.list")
            return found

    def get_by_username(self, username: str) -> User:
        """The user called ``username`` (``NotFound`` if there is none)."""
        with self._scope(write=False) as uow:
            row = (
                uow.conn.execute(select(users).where(users.c.username == str(username)))
                .mappings()
                .first()
            )
        if row is None:
            raise NotFound("user", username)
        found = _user(row)
        if found.username != self._scope.actor:
            self._scope.require("users.list")
        return found

    def list(self, *, active: bool | None = None, offset: int = 0, limit: int = 50) -> Page[User]:
        """Every user, by username."""
        self._scope.require("users.list")
        off, lim = v.paging(offset, limit)
        wanted = v.flag(active, "active")
        query = select(users)
        if wanted is not None:
            query = query.where(users.c.active == wanted)
        with self._scope(write=False) as uow:
            return mappers.paged(
                uow.conn,
                query,
                order=[users.c.username, users.c.id],
                offset=off,
                limit=lim,
                convert=_user,
            )

    def set_role(self, user_id: int, role: str) -> User:
        self._scope.require("users.manage")
        uid = v.record_id(user_id, "user_id")
        kind = staff.role(role)
        return self._change(uid, "set_role", role=kind)

    def deactivate(self, user_id: int) -> User:
        """The user can no longer log in or act; their history stays."""
        self._scope.require("users.manage")
        return self._change(v.record_id(user_id, "user_id"), "deactivate", active=False)

    def reactivate(self, user_id: int) -> User:
        self._scope.require("users.manage")
        return self._change(v.record_id(user_id, "user_id"), "reactivate", active=True)

    def set_password(self, user_id: int, password: str) -> User:
        """Owners set anyone's password; every user may change their own. A new password
        also lifts a lockout."""
        uid = v.record_id(user_id, "user_id")
        secret = staff.password(password)
        with self._scope(write=False) as uow:
            own = _get(uow.conn, uid).username == self._scope.actor
        if not own:
            self._scope.require("users.manage")
        digest = _HASHER.hash(secret)
        return self._change(
            uid,
            "set_password",
            password_hash=digest,
            failed_logins=0,
            first_failure_at=None,
            locked_until=None,
        )

    def issue_token(self, user_id: int, *, name: str) -> str:
        """A new API token for the user, returned once (only its hash is kept)."""
        self._scope.require("users.manage")
        uid = v.record_id(user_id, "user_id")
        label = v.name(name, "name")[:100]
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._scope() as uow:
            holder = _get(uow.conn, uid, for_update=True)
            if not holder.active:
                raise Conflict(f"user {holder.username} is deactivated", field="user_id")
            uow.conn.execute(
                insert(api_tokens).values(
                    user_id=uid, name=label, token_hash=_token_hash(token), created_at=uow.now()
                )
            )
            uow.audit("issue_token", "user", uid, {"token": [None, label]})
        return token

    def revoke_token(self, token: str) -> None:
        """The token no longer authenticates; its holder or an owner may revoke it."""
        with self._scope() as uow:
            row = uow.conn.execute(
                select(api_tokens.c.id, api_tokens.c.user_id, api_tokens.c.name, users.c.username)
                .join(users, users.c.id == api_tokens.c.user_id)
                .where(
                    api_tokens.c.token_hash == _token_hash(str(token)),
                    api_tokens.c.revoked_at.is_(None),
                )
            ).first()
            if row is None:
                raise NotFound("token", "(given)")
            if row.username != self._scope.actor:
                self._scope.require("users.manage")
            uow.conn.execute(
                update(api_tokens).where(api_tokens.c.id == row.id).values(revoked_at=uow.now())
            )
            uow.audit("revoke_token", "user", int(row.user_id), {"token": [row.name, None]})

    def authenticate(self, username: str, password: str) -> User:
        """The user, if ``password`` is theirs. Any failure is the same
        ``AuthenticationFailed`` (unknown user or wrong password), after the same work. Five
        failures within 15 minutes lock the account for 15 minutes, even with the right
        password; attempts while locked do not extend the lock; a success clears the count."""
        name = username if isinstance(username, str) else ""
        secret = password if isinstance(password, str) else ""
        with self._scope() as uow:
            now = uow.now()
            row = (
                uow.conn.execute(select(users).where(users.c.username == name).with_for_update())
                .mappings()
                .first()
            )
            if row is None or not row["active"]:
                _verify(_dummy_hash(), secret)
                raise AuthenticationFailed()
            locked_until = row["locked_until"]
            if locked_until is not None and locked_until > now:
                _verify(_dummy_hash(), secret)
                raise AuthenticationFailed(locked_until=locked_until)
            if _verify(row["password_hash"], secret):
                values: dict[str, Any] = {
                    "failed_logins": 0,
                    "first_failure_at": None,
                    "locked_until": None,
                }
                if _HASHER.check_needs_rehash(row["password_hash"]):
                    values["password_hash"] = _HASHER.hash(secret)
                uow.conn.execute(update(users).where(users.c.id == row["id"]).values(values))
                return _user(row)
        # A failure is counted in a transaction of its own: the caller gets the error, and
        # the count must stay.
        with self._scope() as uow:
            _count_failure(uow.conn, int(row["id"]), uow.now())
            locked = uow.conn.execute(
                select(users.c.locked_until).where(users.c.id == row["id"])
            ).scalar()
        raise AuthenticationFailed(locked_until=locked)

    def authenticate_token(self, token: str) -> User:
        """The active user a live API token belongs to (``AuthenticationFailed`` otherwise)."""
        if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            raise AuthenticationFailed()
        with self._scope(write=False) as uow:
            row = (
                uow.conn.execute(
                    select(users)
                    .join(api_tokens, api_tokens.c.user_id == users.c.id)
                    .where(
                        api_tokens.c.token_hash == _token_hash(token),
                        api_tokens.c.revoked_at.is_(None),
                    )
                )
                .mappings()
                .first()
            )
        if row is None or not row["active"]:
            raise AuthenticationFailed()
        return _user(row)

    def _change(self, uid: int, action: str, **values: Any) -> User:
        with self._scope() as uow:
            before = _get(uow.conn, uid, for_update=True)
            uow.conn.execute(update(users).where(users.c.id == uid).values(values))
            after = _get(uow.conn, uid)
            changed = staff.changes(_audited(before), _audited(after))
            uow.audit(action, "user", uid, changed)
            return after


def _count_failure(conn: Connection, uid: int, now: datetime) -> None:
    row = conn.execute(
        select(users.c.failed_logins, users.c.first_failure_at).where(users.c.id == uid)
    ).one()
    window = timedelta(minutes=staff.FAILURE_WINDOW_MINUTES)
    fresh = row.first_failure_at is None or now - row.first_failure_at > window
    count = 1 if fresh else int(row.failed_logins) + 1
    values: dict[str, Any] = {
        "failed_logins": count,
        "first_failure_at": now if fresh else row.first_failure_at,
    }
    if count >= staff.LOCK_AFTER:
        values.update(
            locked_until=now + timedelta(minutes=staff.LOCK_MINUTES),
            failed_logins=0,
            first_failure_at=None,
        )
    conn.execute(update(users).where(users.c.id == uid).values(values))


def _verify(digest: str, secret: str) -> bool:
    try:
        return _HASHER.verify(digest, secret)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _audited(u: User) -> dict[str, object]:
    return {"username": u.username, "role": u.role, "active": u.active}


def _get(conn: Connection, uid: int, *, for_update: bool = False) -> User:
    return fetch_one(conn, users, uid, "user", _user, for_update=for_update)


def _taken(name: str) -> Conflict:
    return Conflict(f"the username {name} is already taken", field="username")


def user_role(conn: Connection, username: str) -> str:
    """``as_user``: the role of an active user, else ``PermissionDenied``."""
    role = active_role(conn, username)
    if role is None:
        raise PermissionDenied("act", f"there is no active user {username!r}")
    return role
