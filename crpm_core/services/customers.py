"""Customers: add, view, update, deactivate/reactivate, delete."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from crpm_core.domain import Customer, Page, staff
from crpm_core.domain import search as folding
from crpm_core.domain import validation as v
from crpm_core.errors import Conflict
from crpm_core.persistence import mappers
from crpm_core.persistence.tables import customers, purchases
from crpm_core.services._common import (
    UNSET,
    fetch_one,
    order_clause,
    refuse_if_used,
    set_active,
)
from crpm_core.services.unit_of_work import Scope

ORDERABLE = {
    "name": customers.c.name,
    "email": customers.c.email_key,
    "created_at": customers.c.created_at,
    "id": customers.c.id,
}


def new_row(*, name: object, email: object, phone: object, created_at: datetime) -> dict[str, Any]:
    """A new customer's row, every field checked: the one rule for ``add`` and the importer."""
    clean_name = v.name(name)
    address = v.email(email)
    clean_phone = v.phone(phone)
    return {
        "name": clean_name,
        "email": address,
        "email_key": v.email_key(address),
        "phone": clean_phone,
        "active": True,
        "created_at": created_at,
        "search_key": folding.key(clean_name, address, phone=clean_phone),
    }


def email_taken(email: str) -> Conflict:
    """The refusal of an address another customer has (compared ignoring case)."""
    return Conflict(f"the email {email} is already used by another customer", field="email")


class Customers:
    """``crm.customers``: every method is one unit of work."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def add(self, *, name: str, email: str, phone: str | None = None) -> Customer:
        """Add a customer; the email must not be in use, ignoring case."""
        self._scope.require("customers.add")
        with self._scope() as uow:
            values = new_row(name=name, email=email, phone=phone, created_at=uow.now())
            _ensure_email_free(uow.conn, values["email_key"], values["email"], None)
            try:
                result = uow.conn.execute(insert(customers).values(**values))
            except IntegrityError:
                raise email_taken(values["email"]) from None
            added = _get(uow.conn, mappers.inserted_id(result))
            uow.audit("add", "customer", added.id, staff.changes(None, audited(added)))
            return added

    def get(self, customer_id: int) -> Customer:
        self._scope.require("customers.read")
        cid = v.record_id(customer_id, "customer_id")
        with self._scope(write=False) as uow:
            return _get(uow.conn, cid)

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
        """One page of customers; ``search`` matches name, email or phone, ignoring case and
        accents (a phone also by its digits alone, however they are spaced)."""
        self._scope.require("customers.read")
        off, lim = v.paging(offset, limit)
        wanted = v.flag(active, "active")
        order = order_clause(
            ORDERABLE, order_by, descending, customers.c.id, dialect_name=self._scope.dialect_name
        )
        text = v.search(search)
        query = select(customers)
        if text:
            query = query.where(mappers.search_match(customers.c.search_key, text))
        if wanted is not None:
            query = query.where(customers.c.active == wanted)
        with self._scope(write=False) as uow:
            return mappers.paged(
                uow.conn, query, order=order, offset=off, limit=lim, convert=mappers.customer
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
        self._scope.require("customers.update")
        cid = v.record_id(customer_id, "customer_id")
        values: dict[str, object] = {}
        if name is not UNSET:
            values["name"] = v.name(name)
        if email is not UNSET:
            values["email"] = v.email(email)
            values["email_key"] = v.email_key(values["email"])  # type: ignore[arg-type]
        if phone is not UNSET:
            values["phone"] = v.phone(phone)
        with self._scope() as uow:
            conn = uow.conn
            before = _get(conn, cid, for_update=True)
            if "email_key" in values:
                _ensure_email_free(conn, str(values["email_key"]), str(values["email"]), cid)
            if values:
                after = {"name": before.name, "email": before.email, "phone": before.phone}
                after.update(values)  # type: ignore[arg-type]
                values["search_key"] = folding.key(
                    after["name"], after["email"], phone=after["phone"]
                )
                try:
                    conn.execute(update(customers).where(customers.c.id == cid).values(values))
                except IntegrityError:
                    raise email_taken(str(values["email"])) from None
            changed = _get(conn, cid)
            uow.audit("update", "customer", cid, staff.changes(audited(before), audited(changed)))
            return changed

    def deactivate(self, customer_id: int) -> Customer:
        """Keep the customer and their history, but allow no new purchases."""
        self._scope.require("customers.deactivate")
        return set_active(
            self._scope, customers, customer_id, False, "customer", mappers.customer, "deactivate"
        )

    def reactivate(self, customer_id: int) -> Customer:
        self._scope.require("customers.reactivate")
        return set_active(
            self._scope, customers, customer_id, True, "customer", mappers.customer, "reactivate"
        )

    def delete(self, customer_id: int) -> None:
        """Remove a customer who never bought; one with purchases is refused (deactivate)."""
        self._scope.require("customers.delete")
        cid = v.record_id(customer_id, "customer_id")
        with self._scope() as uow:
            gone = _get(uow.conn, cid, for_update=True)
            refuse_if_used(
                uow.conn,
                purchases.c.customer_id,
                cid,
                f"customer {cid} has purchases and cannot be deleted; deactivate instead",
            )
            uow.conn.execute(customers.delete().where(customers.c.id == cid))
            uow.audit("delete", "customer", cid, staff.changes(audited(gone), None))


def audited(c: Customer) -> dict[str, object]:
    """The fields of a customer the audit trail records."""
    return {"name": c.name, "email": c.email, "phone": c.phone, "active": c.active}


def _get(conn: Connection, cid: int, *, for_update: bool = False) -> Customer:
    return fetch_one(conn, customers, cid, "customer", mappers.customer, for_update=for_update)


def _ensure_email_free(conn: Connection, key: str, email: str, own_id: int | None) -> None:
    query = select(customers.c.id).where(customers.c.email_key == key)
    if own_id is not None:
        query = query.where(customers.c.id != own_id)
    if conn.execute(query).first() is not None:
        raise email_taken(email)
