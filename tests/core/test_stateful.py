"""A Hypothesis state machine: random sequences of every operation, run against the real
store and a plain-Python model side by side, compared after every step."""

from __future__ import annotations

import io
import os
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from crpm_core import CRPM, errors, transfer
from crpm_core.persistence.tables import products, stock_movements
from tests.helpers import snapshot, wipe

# At least 1,000 sequences on SQLite per run; fewer on the servers (each step is a round trip).
EXAMPLES = {
    "sqlite": int(os.environ.get("CRPM_STATEFUL_EXAMPLES", "1000")),
    "postgresql": int(os.environ.get("CRPM_STATEFUL_SERVER_EXAMPLES", "100")),
    "mariadb": int(os.environ.get("CRPM_STATEFUL_SERVER_EXAMPLES", "100")),
}

NAMES = st.sampled_from(["Zoë O'Brien", "José Álvarez", "山田 太郎", "Ann", "Bob"])
EMAILS = st.sampled_from(["zoe@example.ie", "ZOE@example.ie", "jose@ex.es", "ann@x.com", "b@y.org"])
SKUS = st.sampled_from([None, "A-1", "B-2", "C-3"])
PRICES = st.sampled_from([Decimal("0.00"), Decimal("0.10"), Decimal("1.99"), Decimal("250.00")])
SMALL = st.integers(min_value=0, max_value=8)
QTY = st.integers(min_value=1, max_value=6)
MISSING = 2**40  # the id a refused add hands on: in range, and never a real record


@attrs.define
class ModelCustomer:
    email_key: str
    active: bool = True


@attrs.define
class ModelProduct:
    sku: str | None
    price: Decimal
    stock: int
    active: bool = True


@attrs.define
class ModelPurchase:
    customer_id: int
    product_id: int
    quantity: int
    unit_price: Decimal
    order_id: int
    returned: int = 0
    cancelled: bool = False
    stock_moved: bool = True  # history imported without moving stock gives none back

    @property
    def left(self) -> int:
        """Units still with the customer (what a return or a cancel may give back)."""
        return self.quantity - self.returned

    @property
    def revenue(self) -> Decimal:
        return Decimal("0.00") if self.cancelled else self.left * self.unit_price


@attrs.define
class ModelOrder:
    customer_id: int
    line_ids: list[int]
    cancelled: bool = False


class Boom(Exception):
    """Raised inside a transaction() block to leave it part-way."""


def _sellable(customer: ModelCustomer | None, product: ModelProduct | None, qty: int) -> bool:
    return (
        customer is not None
        and product is not None
        and customer.active
        and product.active
        and product.stock >= qty
    )


class ShopMachine(RuleBasedStateMachine):
    crm: CRPM  # set by the test below

    customer_ids = Bundle("customer_ids")
    product_ids = Bundle("product_ids")
    purchase_ids = Bundle("purchase_ids")

    def __init__(self) -> None:
        super().__init__()
        self.customers: dict[int, ModelCustomer] = {}
        self.products: dict[int, ModelProduct] = {}
        self.purchases: dict[int, ModelPurchase] = {}
        self.orders: dict[int, ModelOrder] = {}
        wipe(self.crm)  # here, not in a rule: the @initialize rules run in any order

    @initialize(target=customer_ids, n=st.integers(1, 3))
    def regulars(self, n: int) -> Any:
        """A few customers from the start (emails the other rules never use), so that
        baskets often have someone to sell to."""
        ids = []
        for i in range(n):
            c = self.crm.customers.add(name=f"Regular {i}", email=f"regular{i}@shop.example")
            self.customers[c.id] = ModelCustomer(email_key=c.email.lower())
            ids.append(c.id)
        return multiple(*ids)

    @initialize(
        target=product_ids,
        shelf=st.lists(st.tuples(PRICES, st.integers(0, 20)), min_size=1, max_size=4),
    )
    def shelves(self, shelf: list[tuple[Decimal, int]]) -> Any:
        """A few products without a SKU from the start, some with room for baskets."""
        ids = []
        for price, stock in shelf:
            p = self.crm.products.add(name="Shelf", price=price, stock=stock)
            self.products[p.id] = ModelProduct(sku=None, price=price, stock=stock)
            ids.append(p.id)
        return multiple(*ids)

    def refused(
        self, error: type[errors.CRPMError], call: Any, *args: Any, **kwargs: Any
    ) -> errors.CRPMError:
        """The call must fail with ``error`` and leave every table as it was."""
        before = snapshot(self.crm)
        try:
            call(*args, **kwargs)
        except error as exc:
            caught = exc
        else:
            raise AssertionError(f"{call.__qualname__} should have raised {error.__name__}")
        assert snapshot(self.crm) == before
        return caught

    def new_order(self, sale: Any, *, stock_moved: bool = True) -> None:
        """Note a one-line order (``purchases.record``, an imported row) in the model."""
        self.purchases[sale.id] = ModelPurchase(
            sale.customer_id,
            sale.product_id,
            sale.quantity,
            sale.unit_price,
            sale.order_id,
            stock_moved=stock_moved,
        )
        self.orders[sale.order_id] = ModelOrder(sale.customer_id, [sale.id])

    # customers -------------------------------------------------------------------------
    @rule(target=customer_ids, name=NAMES, email=EMAILS)
    def add_customer(self, name: str, email: str) -> int:
        key = email.lower()
        if any(c.email_key == key for c in self.customers.values()):
            self.refused(errors.Conflict, self.crm.customers.add, name=name, email=email)
            return MISSING
        c = self.crm.customers.add(name=name, email=email)
        self.customers[c.id] = ModelCustomer(email_key=key)
        return c.id

    @rule(cid=customer_ids, email=EMAILS)
    def change_email(self, cid: int, email: str) -> None:
        key = email.lower()
        if cid not in self.customers:
            self.refused(errors.NotFound, self.crm.customers.update, cid, email=email)
        elif any(k != cid and c.email_key == key for k, c in self.customers.items()):
            self.refused(errors.Conflict, self.crm.customers.update, cid, email=email)
        else:
            assert self.crm.customers.update(cid, email=email).email == email
            self.customers[cid].email_key = key

    @rule(cid=customer_ids, active=st.booleans())
    def set_customer_active(self, cid: int, active: bool) -> None:
        call = self.crm.customers.reactivate if active else self.crm.customers.deactivate
        if cid not in self.customers:
            self.refused(errors.NotFound, call, cid)
        else:
            assert call(cid).active is active
            self.customers[cid].active = active

    @rule(cid=customer_ids)
    def delete_customer(self, cid: int) -> None:
        if cid not in self.customers:
            self.refused(errors.NotFound, self.crm.customers.delete, cid)
        elif any(p.customer_id == cid for p in self.purchases.values()):
            self.refused(errors.Conflict, self.crm.customers.delete, cid)
        else:
            self.crm.customers.delete(cid)
            del self.customers[cid]

    # products --------------------------------------------------------------------------
    @rule(target=product_ids, sku=SKUS, price=PRICES, stock=SMALL)
    def add_product(self, sku: str | None, price: Decimal, stock: int) -> int:
        if sku is not None and any(p.sku == sku for p in self.products.values()):
            self.refused(errors.Conflict, self.crm.products.add, name="P", price=price, sku=sku)
            return MISSING
        p = self.crm.products.add(name="P", price=price, stock=stock, sku=sku)
        assert (p.price, p.stock) == (price, stock)
        self.products[p.id] = ModelProduct(sku=sku, price=price, stock=stock)
        return p.id

    @rule(pid=product_ids, price=PRICES)
    def change_price(self, pid: int, price: Decimal) -> None:
        if pid not in self.products:
            self.refused(errors.NotFound, self.crm.products.update, pid, price=price)
        else:
            assert self.crm.products.update(pid, price=price).price == price
            self.products[pid].price = price

    @rule(pid=product_ids, qty=QTY)
    def restock(self, pid: int, qty: int) -> None:
        if pid not in self.products:
            self.refused(errors.NotFound, self.crm.products.restock, pid, qty)
        else:
            self.products[pid].stock += qty
            assert self.crm.products.restock(pid, qty).stock == self.products[pid].stock

    @rule(pid=product_ids, stock=SMALL)
    def set_stock(self, pid: int, stock: int) -> None:
        if pid not in self.products:
            self.refused(errors.NotFound, self.crm.products.set_stock, pid, stock)
        else:
            assert self.crm.products.set_stock(pid, stock).stock == stock
            self.products[pid].stock = stock

    @rule(pid=product_ids, active=st.booleans())
    def set_product_active(self, pid: int, active: bool) -> None:
        call = self.crm.products.reactivate if active else self.crm.products.deactivate
        if pid not in self.products:
            self.refused(errors.NotFound, call, pid)
        else:
            assert call(pid).active is active
            self.products[pid].active = active

    @rule(pid=product_ids)
    def delete_product(self, pid: int) -> None:
        if pid not in self.products:
            self.refused(errors.NotFound, self.crm.products.delete, pid)
        elif any(p.product_id == pid for p in self.purchases.values()):
            self.refused(errors.Conflict, self.crm.products.delete, pid)
        else:
            self.crm.products.delete(pid)
            del self.products[pid]

    # purchases -------------------------------------------------------------------------
    @rule(target=purchase_ids, cid=customer_ids, pid=product_ids, qty=QTY)
    def purchase(self, cid: int, pid: int, qty: int) -> int:
        record = self.crm.purchases.record
        kwargs = {"customer_id": cid, "product_id": pid, "quantity": qty}
        customer, product = self.customers.get(cid), self.products.get(pid)
        if customer is None or product is None:
            self.refused(errors.NotFound, record, **kwargs)
        elif not customer.active or not product.active:
            self.refused(errors.InactiveRecord, record, **kwargs)
        elif product.stock < qty:
            self.refused(errors.InsufficientStock, record, **kwargs)
        else:
            sale = record(**kwargs)
            assert sale.unit_price == product.price and sale.total == product.price * qty
            assert sale.order_id not in self.orders and sale.returned_quantity == 0
            product.stock -= qty
            self.new_order(sale)
            return sale.id
        return MISSING

    @rule(sale_id=purchase_ids)
    def cancel(self, sale_id: int) -> None:
        bought = self.purchases.get(sale_id)
        if bought is None:
            self.refused(errors.NotFound, self.crm.purchases.cancel, sale_id)
        elif bought.cancelled:
            self.refused(errors.Conflict, self.crm.purchases.cancel, sale_id)
        else:
            done = self.crm.purchases.cancel(sale_id)
            assert done.cancelled_at is not None and done.returned_quantity == bought.returned
            bought.cancelled = True
            if bought.stock_moved:
                self.products[bought.product_id].stock += bought.left
            order = self.orders[bought.order_id]
            if all(self.purchases[i].cancelled for i in order.line_ids):
                order.cancelled = True  # cancelling every line cancels the order
            got = self.crm.orders.get(bought.order_id)
            assert (got.cancelled_at is not None) is order.cancelled

    # orders and returns ----------------------------------------------------------------
    @rule(
        target=purchase_ids,
        cid=customer_ids,
        some=st.lists(st.tuples(product_ids, st.integers(1, 3)), min_size=1, max_size=5),
        data=st.data(),
    )
    def place(self, cid: int, some: list[tuple[int, int]], data: st.DataObject) -> Any:
        """A basket of 1-5 lines, mostly of products the model knows (some of them inactive),
        the same product sometimes twice, one line sometimes asking for more than the shelf
        holds, sometimes a product that does not exist (or no longer does); the model
        decides, in the contract's order of refusals, what must happen."""
        if self.customers and data.draw(st.integers(0, 7), label="known customer") < 7:
            cid = data.draw(st.sampled_from(sorted(self.customers)), label="customer")
        lines = list(some)
        if self.products and data.draw(st.integers(0, 7), label="known products") < 7:
            shelf = st.sampled_from(sorted(self.products))
            lines = [(data.draw(shelf, label="product"), qty) for _, qty in lines]
        if data.draw(st.booleans(), label="a product twice") and len(lines) < 5:
            lines.append((lines[0][0], data.draw(st.integers(1, 3), label="quantity")))
        short = 39 - data.draw(st.integers(0, 39), label="short line")  # < 5: asks too much
        if short < len(lines) and lines[short][0] in self.products:
            pid = lines[short][0]
            lines[short] = (pid, self.products[pid].stock + 1)
        unknown = 19 - data.draw(st.integers(0, 19), label="unknown line")  # < 2: no product
        if unknown < min(2, len(lines)):
            lines.insert(unknown, (MISSING + 1, 1))
        lines = lines[:5]
        totals: dict[int, int] = {}
        for pid, qty in lines:
            totals[pid] = totals.get(pid, 0) + qty
        customer = self.customers.get(cid)
        goods = {pid: self.products.get(pid) for pid in totals}
        place = self.crm.orders.place
        kwargs = {"customer_id": cid, "lines": lines}
        if customer is None or any(p is None for p in goods.values()):
            event("place: not found")
            self.refused(errors.NotFound, place, **kwargs)
            return multiple()
        known = {pid: p for pid, p in goods.items() if p is not None}
        if not customer.active or any(not p.active for p in known.values()):
            event("place: inactive")
            self.refused(errors.InactiveRecord, place, **kwargs)
            return multiple()
        short_ones = [pid for pid, p in known.items() if p.stock < totals[pid]]
        if short_ones:
            event("place: short")
            exc = self.refused(errors.InsufficientStock, place, **kwargs)
            assert isinstance(exc, errors.InsufficientStock)
            first = short_ones[0]  # the first short product in the order of the lines
            assert (exc.product_id, exc.requested, exc.available) == (
                first,
                totals[first],
                known[first].stock,
            )
            return multiple()
        event(f"place: sold {len(lines)} lines of {len(totals)} products")
        order = place(**kwargs)
        assert order.id not in self.orders and order.customer_id == cid
        assert [(x.product_id, x.quantity) for x in order.lines] == lines
        assert all(x.unit_price == known[x.product_id].price for x in order.lines)
        assert order.total == sum((x.unit_price * x.quantity for x in order.lines), Decimal(0))
        for pid, units in totals.items():
            known[pid].stock -= units
        for x in order.lines:
            assert x.order_id == order.id and x.returned_quantity == 0
            self.purchases[x.id] = ModelPurchase(
                cid, x.product_id, x.quantity, x.unit_price, order.id
            )
        self.orders[order.id] = ModelOrder(cid, [x.id for x in order.lines])
        return multiple(*(x.id for x in order.lines))

    @rule(sale_id=purchase_ids, qty=QTY)
    def return_items(self, sale_id: int, qty: int) -> None:
        bought = self.purchases.get(sale_id)
        back = self.crm.purchases.return_items
        if bought is None:
            self.refused(errors.NotFound, back, sale_id, qty)
        elif bought.cancelled or qty > bought.left:
            self.refused(errors.Conflict, back, sale_id, qty, note="refused")
        else:
            event("return: done")
            line = back(sale_id, qty, note="came back")
            bought.returned += qty
            assert line.returned_quantity == bought.returned
            assert line.total == bought.left * bought.unit_price
            if bought.stock_moved:
                self.products[bought.product_id].stock += qty

    @rule(sale_id=purchase_ids)
    def cancel_order(self, sale_id: int) -> None:
        """Cancel the whole order a purchase belongs to."""
        bought = self.purchases.get(sale_id)
        oid = MISSING if bought is None else bought.order_id
        cancel = self.crm.orders.cancel
        if oid not in self.orders:
            self.refused(errors.NotFound, cancel, oid)
            return
        order = self.orders[oid]
        if order.cancelled:
            self.refused(errors.Conflict, cancel, oid)
            return
        event("cancel order: done")
        done = cancel(oid)
        assert done.cancelled_at is not None
        for line_id in order.line_ids:
            line = self.purchases[line_id]
            if not line.cancelled:
                line.cancelled = True
                if line.stock_moved:
                    self.products[line.product_id].stock += line.left
        order.cancelled = True
        assert all(x.cancelled_at is not None for x in done.lines)
        # the lines keep what they were sold for, net of returns
        assert [(x.id, x.returned_quantity, x.total) for x in done.lines] == [
            (i, self.purchases[i].returned, self.purchases[i].left * self.purchases[i].unit_price)
            for i in order.line_ids
        ]

    @rule(pid=product_ids, bad=st.sampled_from([0, -1, 1.5, "2", True]))
    def bad_restock(self, pid: int, bad: object) -> None:
        self.refused(errors.ValidationError, self.crm.products.restock, pid, bad)

    # several calls in one transaction --------------------------------------------------
    @rule(
        target=purchase_ids,
        cid=customer_ids,
        pid=product_ids,
        qty=QTY,
        restock=SMALL,
        fail_after=st.integers(min_value=0, max_value=4),
    )
    def block(self, cid: int, pid: int, qty: int, restock: int, fail_after: int) -> int:
        """A ``crm.transaction()`` block of up to four calls that either ends with an
        exception after ``fail_after`` of them (fewer than four: nothing of it may persist)
        or commits all four. Calls the model expects to be refused are caught inside the
        block and must leave nothing of themselves behind."""
        before = snapshot(self.crm)
        customers = {k: attrs.evolve(c) for k, c in self.customers.items()}
        products_ = {k: attrs.evolve(p) for k, p in self.products.items()}
        purchases_ = {k: attrs.evolve(p) for k, p in self.purchases.items()}
        orders_ = {k: attrs.evolve(o, line_ids=list(o.line_ids)) for k, o in self.orders.items()}
        sale_id = MISSING
        try:
            with self.crm.transaction() as tx:
                steps = 0
                if pid in products_ and restock:
                    products_[pid].stock = tx.products.restock(
                        pid, restock, note="in a block"
                    ).stock
                steps += 1
                if steps > fail_after:
                    raise Boom
                customer, product = customers.get(cid), products_.get(pid)
                try:
                    sale = tx.purchases.record(customer_id=cid, product_id=pid, quantity=qty)
                except errors.CRPMError as exc:
                    assert not _sellable(customer, product, qty), exc
                else:
                    assert product is not None and _sellable(customer, product, qty)
                    product.stock -= qty
                    purchases_[sale.id] = ModelPurchase(
                        cid, pid, qty, sale.unit_price, sale.order_id
                    )
                    orders_[sale.order_id] = ModelOrder(cid, [sale.id])
                    sale_id = sale.id
                steps += 1
                if steps > fail_after:
                    raise Boom
                if pid in products_:
                    tx.products.update(pid, name="Renamed in a block")
                steps += 1
                if steps > fail_after:
                    raise Boom
                tx.settings.update(shop_name=f"Block {fail_after}")
                steps += 1
                if steps > fail_after:
                    raise Boom
        except Boom:
            assert snapshot(self.crm) == before
            return MISSING
        self.customers, self.products = customers, products_
        self.purchases, self.orders = purchases_, orders_
        return sale_id

    @rule(
        target=customer_ids,
        emails=st.lists(EMAILS, min_size=1, max_size=3),
        move=st.booleans(),
        pid=product_ids,
        qty=QTY,
    )
    def import_files(self, emails: list[str], move: bool, pid: int, qty: int) -> int:
        """The importer writes through the same rules: a file of customers (a duplicate
        email, in the file or stored, refuses all of it), then a purchases file that sells
        ``qty`` of a product to the first of them, moving stock or not."""
        keys = [e.lower() for e in emails]
        taken = {c.email_key for c in self.customers.values()}
        csv = "name,email,phone\n" + "".join(f"Imported,{e},\n" for e in emails)
        if len(set(keys)) < len(keys) or taken & set(keys):
            self.refused(
                errors.ValidationError, transfer.import_customers, self.crm, io.StringIO(csv)
            )
            return MISSING
        transfer.import_customers(self.crm, io.StringIO(csv))
        added = {c.email.lower(): c.id for c in self.crm.customers.list(limit=1000).items}
        for key in keys:
            self.customers[added[key]] = ModelCustomer(email_key=key)
        buyer = added[keys[0]]
        product = self.products.get(pid)
        if product is None or product.sku is None:
            return buyer
        sales = (
            "customer_email,product_sku,quantity,unit_price,purchased_at\n"
            f"{emails[0]},{product.sku},{qty},{product.price},2026-03-29T00:30:00+01:00\n"
        )
        importing = lambda: transfer.import_purchases(  # noqa: E731
            self.crm, io.StringIO(sales), move_stock=move
        )
        if move and not _sellable(self.customers[buyer], product, qty):
            self.refused(errors.ValidationError, importing)
            return buyer
        importing()
        line = self.crm.purchases.list(customer_id=buyer, limit=1).items[0]
        assert (line.product_id, line.quantity, line.unit_price) == (pid, qty, product.price)
        self.purchases[line.purchase_id] = ModelPurchase(
            buyer, pid, qty, product.price, line.order_id, stock_moved=move
        )
        self.orders[line.order_id] = ModelOrder(buyer, [line.purchase_id])
        if move:
            product.stock -= qty
        return buyer

    # invariants ------------------------------------------------------------------------
    @invariant()
    def stock_matches_model_and_ledger(self) -> None:
        with self.crm.db.transaction(write=False) as conn:
            stock = dict(conn.execute(select(products.c.id, products.c.stock)).all())
            ledger = dict(
                conn.execute(
                    select(
                        stock_movements.c.product_id, func.sum(stock_movements.c.change)
                    ).group_by(stock_movements.c.product_id)
                ).all()
            )
        assert all(s >= 0 for s in stock.values())
        assert stock == {pid: p.stock for pid, p in self.products.items()}
        assert {pid: int(n) for pid, n in ledger.items()} == {
            pid: p.stock for pid, p in self.products.items()
        }

    @invariant()
    def revenue_is_the_sum_of_live_snapshots(self) -> None:
        """Revenue = sum of (quantity - returned) x unit price over live lines; units the
        same sum of units; orders those not cancelled that keep a live line."""
        live = [p for p in self.purchases.values() if not p.cancelled]
        summary = self.crm.reports.sales_summary()
        assert summary.revenue == sum((p.revenue for p in live), Decimal("0.00"))
        assert summary.units_sold == sum(p.left for p in live)
        assert summary.returned_units == sum(p.returned for p in live)
        assert summary.purchase_count == len(live)
        assert summary.cancelled_count == len(self.purchases) - len(live)
        assert summary.order_count == sum(
            1
            for o in self.orders.values()
            if not o.cancelled and any(not self.purchases[i].cancelled for i in o.line_ids)
        )
        assert summary.buyer_count == len({p.customer_id for p in live})

    @invariant()
    def orders_are_stored_as_modelled(self) -> None:
        """Every order placed and not rolled back is listed, cancelled ones marked."""
        page = self.crm.orders.list(limit=1000)
        assert page.total == len(self.orders)
        assert {o.id: o.cancelled_at is not None for o in page.items} == {
            k: o.cancelled for k, o in self.orders.items()
        }


def test_random_operation_sequences_agree_with_the_model(backend: str, crm: CRPM) -> None:
    ShopMachine.crm = crm
    run_state_machine_as_test(
        ShopMachine,
        settings=settings(
            max_examples=EXAMPLES[backend],
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=list(settings.default.suppress_health_check),
        ),
    )
