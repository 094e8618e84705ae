"""Customers: add, view, update, deactivate/reactivate, delete."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from crpm_core.domain import Customer, Page
from crpm_core.domain import validation as v
from crpm_core.errors import Conflict
from crpm_core.persistence import mappers
from crpm_core.persistence.database import Database
from crpm_core.persistence.tables import customers, purchases
from crpm_core.services._common import (
    UNSET,
    Clock,
    fetch_one,
    order_clause,
    refuse_if_used,
    set_active,
)

ORDERABLE = {
    "name": customers.c.name,
    "email": customers.c.email_key,
    "created_at": customers.c.created_at,
    "id": customers.c.id,
}


class Customers:
    """``crm.customers``: every method is one transaction."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def add(self, *, name: str, email: str, phone: str | None = None) -> Customer:
        """Add a customer; the email must not be in use, ignoring case."""
        address = v.email(email)
        values = {
            "name": v.name(name),
            "email": address,
            "email_key": v.email_key(address),
            "phone": v.phone(phone),
            "active": True,
            "created_at": self._clock(),
        }
        with self._db.transaction() as conn:
            _ensure_email_free(conn, v.email_key(address), address, None)
            try:
                result = conn.execute(insert(customers).values(**values))
            except IntegrityError:
                raise _email_taken(address) from None
            return _get(conn, mappers.inserted_id(result))

    def get(self, customer_id: int) -> Customer:
        cid = v.record_id(customer_id, "customer_id")
        with self._db.transaction(write=False) as conn:
            return _get(conn, cid)

    def list(
        self,
        *,
        search: str | None = None,
        active: bool | None = None,
        offset: int = 0,
        limit: int = 50,
        order_by: str = "name",
        descending: bool = False,
    ) -> Page[Customer]:
        """One page of customers; ``search`` matches name, email or phone, ignoring case."""
        off, lim = v.paging(offset, limit)
        wanted = v.flag(active, "active")
        order = order_clause(
            ORDERABLE, order_by, descending, customers.c.id, dialect_name=self._db.dialect_name
        )
        text = v.search(search)
        with self._db.transaction(write=False) as conn:
            query = select(customers)
            if text:
                cols = [customers.c.name, customers.c.email, customers.c.phone]
                query = query.where(mappers.text_search(conn, cols, text))
            if wanted is not None:
                query = query.where(customers.c.active == wanted)
            return mappers.paged(
                conn, query, order=order, offset=off, limit=lim, convert=mappers.customer
            )

    def update(
        self,
        customer_id: int,
        *,
        name: object = UNSET,
        email: object = UNSET,
        phone: object = UNSET,
    ) -> Customer:
        """Change only the fields given; ``phone=None`` clears the phone."""
        cid = v.record_id(customer_id, "customer_id")
        values: dict[str, object] = {}
        if name is not UNSET:
            values["name"] = v.name(name)
        if email is not UNSET:
            values["email"] = v.email(email)
            values["email_key"] = v.email_key(values["email"])  # type: ignore[arg-type]
        if phone is not UNSET:
            values["phone"] = v.phone(phone)
        with self._db.transaction() as conn:
            _get(conn, cid, for_update=True)
            if "email_key" in values:
                _ensure_email_free(conn, str(values["email_key"]), str(values["email"]), cid)
            if values:
                try:
                    conn.execute(update(customers).where(customers.c.id == cid).values(values))
                except IntegrityError:
                    raise _email_taken(str(values["email"])) from None
            return _get(conn, cid)

    def deactivate(self, customer_id: int) -> Customer:
        """Keep the customer and their history, but allow no new purchases."""
        return set_active(self._db, customers, customer_id, False, "customer", mappers.customer)

    def reactivate(self, customer_id: int) -> Customer:
        return set_active(self._db, customers, customer_id, True, "customer", mappers.customer)

    def delete(self, customer_id: int) -> None:
        """Remove a customer who never bought; one with purchases is refused (deactivate)."""
        cid = v.record_id(customer_id, "customer_id")
        with self._db.transaction() as conn:
            _get(conn, cid, for_update=True)
            refuse_if_used(
                conn,
                purchases.c.customer_id,
                cid,
                f"customer {cid} has purchases and cannot be deleted; deactivate instead",
            )
            conn.execute(customers.delete().where(customers.c.id == cid))


def _get(conn: Connection, cid: int, *, for_update: bool = False) -> Customer:
    return fetch_one(conn, customers, cid, "customer", mappers.customer, for_update=for_update)


def _email_taken(email: str) -> Conflict:
    return Conflict(f"the email {email} is already used by another customer", field="email")


def _ensure_email_free(conn: Connection, key: str, email: str, own_id: int | None) -> None:
    query = select(customers.c.id).where(customers.c.email_key == key)
    if own_id is not None:
        query = query.where(customers.c.id != own_id)
    if conn.execute(query).first() is not None:
        raise _email_taken(email)
