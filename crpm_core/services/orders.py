"""Orders: a sale of one or more lines, placed all or nothing; cancelled whole or line by line.

The rules of a sale live here once: ``crm.purchases.record`` is a one-line order.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from crpm_core.domain import Order, Page, Purchase, from_minor, rules, staff
from crpm_core.domain import validation as v
from crpm_core.errors import Conflict, NotFound
from crpm_core.persistence import mappers
from crpm_core.persistence.tables import customers, orders, products, purchases
from crpm_core.services import ledger, rollups
from crpm_core.services._common import in_range
from crpm_core.services.unit_of_work import Scope, UnitOfWork

# The customer is share-locked (it cannot be deleted or deactivated before the order commits)
# and the products locked for update in the order of their ids, so two orders that list the
# same products in different orders queue instead of deadlocking. SQLite's BEGIN IMMEDIATE
# already excludes every other writer; there the clauses are left out.
_CUSTOMER = (
    select(customers.c.active, customers.c.name)
    .where(customers.c.id == bindparam("cid"))
    .with_for_update(read=True)
)
_PRODUCT = (
    select(
        products.c.id, products.c.active, products.c.stock, products.c.price_minor, products.c.name
    )
    .where(products.c.id == bindparam("pid"))
    .with_for_update()
)
_PRODUCTS = (
    select(
        products.c.id, products.c.active, products.c.stock, products.c.price_minor, products.c.name
    )
    .where(products.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(products.c.id)
    .with_for_update()
)
_TAKE_STOCK = (
    update(products)
    .where(
        products.c.id == bindparam("pid"), products.c.active, products.c.stock >= bindparam("qty")
    )
    .values(stock=products.c.stock - bindparam("qty"))
)
_INSERT_ORDER = insert(orders).values(
    ref=bindparam("ref"),
    customer_id=bindparam("cid"),
    placed_at=bindparam("at", type_=orders.c.placed_at.type),
    note=bindparam("note"),
)
_INSERT_LINE = insert(purchases).values(
    order_id=bindparam("oid"),
    customer_id=bindparam("cid"),
    product_id=bindparam("pid"),
    quantity=bindparam("qty"),
    unit_price_minor=bindparam("price"),
    total_minor=bindparam("total"),
    purchased_at=bindparam("at", type_=purchases.c.purchased_at.type),
)
_LINES_OF = (
    select(purchases)
    .where(purchases.c.order_id.in_(bindparam("oids", expanding=True)))
    .order_by(purchases.c.id)
)
NEWEST_FIRST = [orders.c.placed_at.desc(), orders.c.id.desc()]


def insert_lines(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Write an order's lines; their ids in the order given. (A step of its own, so the
    tests can inject a failure between taking the stock and writing the lines.)"""
    if len(rows) == 1:
        return [mappers.inserted_id(conn.execute(_INSERT_LINE, rows[0]))]
    statement = _INSERT_LINE.returning(purchases.c.id, sort_by_parameter_order=True)
    return [int(pid) for pid in conn.execute(statement, list(rows)).scalars()]


def place_order(
    uow: UnitOfWork,
    *,
    customer_id: int,
    lines: Sequence[tuple[int, int]],
    purchased_at: datetime | None,
    note: str | None,
    ref: str | None,
) -> Order:
    """Place an order whose arguments are already checked: lock, check every line with
    :func:`rules.check_order`, take each product's stock once for all its lines, write the
    order, its lines at the prices read under the lock, and a ledger row per line.
    Returns the order as stored (built from what was written: no read back)."""
    conn = uow.conn
    totals: dict[int, int] = {}
    for pid, qty in lines:
        totals[pid] = totals.get(pid, 0) + qty
    buyer = conn.execute(_CUSTOMER, {"cid": customer_id}).first()
    if len(totals) == 1:
        (only,) = totals
        found = {r.id: r for r in conn.execute(_PRODUCT, {"pid": only})}
    else:
        found = {r.id: r for r in conn.execute(_PRODUCTS, {"ids": sorted(totals)})}
    rules.check_order(
        customer_id,
        None if buyer is None else rules.Party(bool(buyer.active), name=buyer.name),
        [(pid, _party(found.get(pid)), units) for pid, units in totals.items()],
    )
    if ref is not None and conn.execute(select(orders.c.id).where(orders.c.ref == ref)).first():
        raise _ref_taken(ref)
    now = uow.now()
    at = purchased_at or now
    try:
        order_id = mappers.inserted_id(
            conn.execute(_INSERT_ORDER, {"ref": ref, "cid": customer_id, "at": at, "note": note})
        )
    except IntegrityError:
        raise _ref_taken(str(ref)) from None
    takes = [{"pid": pid, "qty": totals[pid]} for pid in sorted(totals)]
    taken = conn.execute(_TAKE_STOCK, takes[0] if len(takes) == 1 else takes)
    sane = len(takes) == 1 or conn.dialect.supports_sane_multi_rowcount
    if sane and taken.rowcount != len(takes):  # pragma: no cover - locked since the check
        raise Conflict("a product changed during the sale; nothing was sold, try again")
    rows: list[dict[str, Any]] = []
    for pid, qty in lines:
        price = int(found[pid].price_minor)
        rows.append(
            {
                "oid": order_id,
                "cid": customer_id,
                "pid": pid,
                "qty": qty,
                "price": price,
                "total": price * qty,
                "at": at,
            }
        )
    line_ids = insert_lines(conn, rows)
    left = {pid: int(found[pid].stock) for pid in totals}
    moves: list[dict[str, Any]] = []
    for (pid, qty), line_id in zip(lines, line_ids, strict=True):
        left[pid] -= qty
        moves.append(
            {
                "product_id": pid,
                "kind": "sale",
                "change": -qty,
                "stock_after": left[pid],
                "at": now,
                "purchase_id": line_id,
            }
        )
    if len(moves) == 1:
        ledger.record(uow, **moves[0])
    else:
        ledger.record_many(uow, [ledger.movement(uow, **m) for m in moves])
    rollups.sale(conn, customer_id, at, [(r["pid"], r["qty"], r["total"]) for r in rows])
    sold = tuple(
        Purchase(
            id=line_id,
            customer_id=customer_id,
            product_id=row["pid"],
            quantity=row["qty"],
            unit_price=from_minor(row["price"]),
            total=from_minor(row["total"]),
            purchased_at=at,
            cancelled_at=None,
            order_id=order_id,
            returned_quantity=0,
        )
        for row, line_id in zip(rows, line_ids, strict=True)
    )
    return Order(
        id=order_id,
        ref=ref,
        customer_id=customer_id,
        placed_at=at,
        lines=sold,
        total=sum((line.total for line in sold), from_minor(0)),
        cancelled_at=None,
        note=note,
    )


def audited(order: Order) -> dict[str, object]:
    """The fields of an order the audit trail records (its lines as line id, product,
    quantity, unit price)."""
    return {
        "customer_id": order.customer_id,
        "ref": order.ref,
        "note": order.note,
        "placed_at": order.placed_at,
        "lines": [
            [line.id, line.product_id, line.quantity, line.unit_price] for line in order.lines
        ],
        "total": order.total,
    }


def _party(row: Any) -> rules.Party | None:
    return None if row is None else rules.Party(bool(row.active), int(row.stock), row.name)


def _ref_taken(ref: str) -> Conflict:
    return Conflict(f"an order with the number {ref} is already stored", field="ref")


def cancel_lines(uow: UnitOfWork, rows: Sequence[Any], *, order_closed: bool) -> None:
    """Cancel live lines: each gives back the units not yet returned (when it took stock),
    with a ``cancel`` ledger row, and leaves the rollups (with its order, when
    ``order_closed``: these were its last live lines). ``rows`` are purchase rows locked by
    the caller."""
    now = uow.now()
    conn = uow.conn
    for row in rows:
        done = conn.execute(
            update(purchases)
            .where(purchases.c.id == row["id"], purchases.c.cancelled_at.is_(None))
            .values(cancelled_at=now)
        )
        if done.rowcount != 1:
            raise Conflict(f"purchase {row['id']} is already cancelled")
        back = int(row["quantity"]) - int(row["returned_quantity"])
        if row["stock_moved"] and back:  # history imported as such gives no stock back
            conn.execute(
                update(products)
                .where(products.c.id == row["product_id"])
                .values(stock=products.c.stock + back)
            )
            ledger.record(
                uow,
                product_id=int(row["product_id"]),
                kind="cancel",
                change=back,
                stock_after=ledger.stock_of(conn, int(row["product_id"])),
                at=now,
                purchase_id=int(row["id"]),
            )
    _unroll(uow, rows, order_closed=order_closed)  # after the stock, as a sale does


def _unroll(uow: UnitOfWork, rows: Sequence[Any], *, order_closed: bool) -> None:
    """Take cancelled lines off the rollups; their customers' are counted again."""
    conn = uow.conn
    if not rows:
        return
    lines = [
        rollups.Line(
            row["purchased_at"],
            int(row["customer_id"]),
            int(row["product_id"]),
            -1,
            -(int(row["quantity"]) - int(row["returned_quantity"])),
            -int(row["returned_quantity"]),
            -int(row["total_minor"]),
        )
        for row in rows
    ]
    closed = [(rows[0]["purchased_at"], -1)] if order_closed else []
    rollups.add(conn, rollups.shop_zone(conn), lines, orders=closed)


def last_live_lines(conn: Connection, order_id: int, cancelling: int) -> bool:
    """Whether cancelling ``cancelling`` live lines leaves the order with none."""
    live = conn.execute(
        select(func.count())
        .select_from(purchases)
        .where(purchases.c.order_id == order_id, purchases.c.cancelled_at.is_(None))
    ).scalar_one()
    return int(live) <= cancelling


def close_if_all_cancelled(uow: UnitOfWork, order_id: int) -> None:
    """An order whose every line is cancelled is cancelled itself."""
    conn = uow.conn
    live = conn.execute(
        select(func.count())
        .select_from(purchases)
        .where(purchases.c.order_id == order_id, purchases.c.cancelled_at.is_(None))
    ).scalar_one()
    if not live:
        conn.execute(
            update(orders)
            .where(orders.c.id == order_id, orders.c.cancelled_at.is_(None))
            .values(cancelled_at=uow.now())
        )


def load_orders(conn: Connection, rows: Sequence[Any]) -> list[Order]:
    """Order rows with their lines, read in one query."""
    if not rows:
        return []
    lines: dict[int, list[Purchase]] = {int(r["id"]): [] for r in rows}
    for line in conn.execute(_LINES_OF, {"oids": list(lines)}).mappings():
        lines[int(line["order_id"])].append(mappers.purchase(line))
    return [mappers.order(r, lines[int(r["id"])]) for r in rows]


def get_order(conn: Connection, order_id: int, *, for_update: bool = False) -> Order:
    query = select(orders).where(orders.c.id == order_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound("order", order_id)
    return load_orders(conn, [row])[0]


class Orders:
    """``crm.orders``: every method is one unit of work."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def place(
        self,
        *,
        customer_id: int,
        lines: object,
        purchased_at: datetime | None = None,
        note: str | None = None,
        ref: str | None = None,
    ) -> Order:
        """Sell several products at once, all or nothing.

        ``lines``: ``(product_id, quantity)`` pairs or ``{"product_id", "quantity"}``
        mappings; the same product on two lines counts against its stock once, in total
        (``InsufficientStock.requested`` is that total). One short, inactive or unknown
        product refuses the whole order and changes nothing. ``ref``: the shop's own order
        number, unique when given (``Conflict`` if it is already stored)."""
        self._scope.require("orders.place")
        cid = v.record_id(customer_id, "customer_id")
        checked = rules.order_lines(lines)
        at = v.optional_timestamp(purchased_at, "purchased_at")
        text = v.note(note)
        number = rules.order_ref(ref, "ref")
        with self._scope() as uow:
            placed = place_order(
                uow, customer_id=cid, lines=checked, purchased_at=at, note=text, ref=number
            )
            uow.audit("place", "order", placed.id, staff.changes(None, audited(placed)))
            return placed

    def get(self, order_id: int) -> Order:
        self._scope.require("orders.read")
        oid = v.record_id(order_id, "order_id")
        with self._scope(write=False) as uow:
            return get_order(uow.conn, oid)

    def list(
        self,
        *,
        customer_id: int | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page[Order]:
        """One page of orders, newest first, cancelled ones included (``cancelled_at`` set);
        ``start`` inclusive, ``end`` exclusive, on the time the order was placed."""
        self._scope.require("orders.read")
        off, lim = v.paging(offset, limit)
        conditions = []
        if customer_id is not None:
            conditions.append(orders.c.customer_id == v.record_id(customer_id, "customer_id"))
        lo = v.optional_timestamp(start, "start")
        hi = v.optional_timestamp(end, "end")
        conditions.extend(in_range(orders.c.placed_at, lo, hi))
        count = select(func.count()).select_from(orders).where(*conditions)
        page = select(orders).where(*conditions).order_by(*NEWEST_FIRST).offset(off).limit(lim)
        with self._scope(write=False) as uow:
            total = int(uow.conn.execute(count).scalar_one())
            items = load_orders(uow.conn, builtins.list(uow.conn.execute(page).mappings()))
        return Page(items=tuple(items), total=total, offset=off, limit=lim)

    def cancel(self, order_id: int) -> Order:
        """Cancel the whole order: every line not yet cancelled gives back the units not
        returned. It stays in the history, out of every report; a second cancel is a
        ``Conflict``."""
        self._scope.require("orders.cancel")
        oid = v.record_id(order_id, "order_id")
        with self._scope() as uow:
            conn = uow.conn
            order = get_order(conn, oid, for_update=True)
            if order.cancelled:
                raise Conflict(f"order {oid} is already cancelled")
            live = (
                conn.execute(
                    select(purchases)
                    .where(purchases.c.order_id == oid, purchases.c.cancelled_at.is_(None))
                    .order_by(purchases.c.product_id, purchases.c.id)
                    .with_for_update()
                )
                .mappings()
                .all()
            )
            cancel_lines(uow, live, order_closed=bool(live))
            rollups.rebuild_customers(conn, [order.customer_id])
            now = uow.now()
            conn.execute(update(orders).where(orders.c.id == oid).values(cancelled_at=now))
            uow.audit("cancel", "order", oid, {"cancelled_at": [None, staff.plain(now)]})
            return get_order(conn, oid)

    def receipt_pdf(self, order_id: int) -> bytes:
        """The order's receipt as a PDF: the shop's name, the order number (and ``ref``), the
        time placed in the shop's time zone, the customer, each line with the units returned
        and its total net of returns, the total in the shop's currency, and CANCELLED when
        the order is. ``NotFound`` for an unknown order."""
        self._scope.require("orders.read")
        oid = v.record_id(order_id, "order_id")
        with self._scope(write=False) as uow:
            from crpm_core.printing import receipt  # fpdf2 (22 MB) only when printing

            return receipt.render(uow.conn, get_order(uow.conn, oid))
