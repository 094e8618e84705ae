"""The forms and actions of customers and products, shared by their listing pages and their
own pages (``/customers/{id}``, ``/products/{id}``): pages never import each other.

Every form checks all its fields before it asks crpm_core, with crpm_core's own validation
(``crpm_core.domain.validation``), so an empty form marks every bad field at once; crpm_core
still checks everything again and its answer (a taken email or SKU) is shown under its field.
Whole numbers are typed as text and read by :func:`~crpm_ui.widgets.whole_text`: nothing the
user typed is clamped or rounded behind their back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

from nicegui import ui

from crpm_core import CRPM, Customer, Product, errors
from crpm_core.domain import parse_money, rules
from crpm_core.domain import validation as v
from crpm_ui.feedback import db, guarded, success
from crpm_ui.widgets import (
    confirm,
    form_buttons,
    form_dialog,
    form_fields,
    form_result,
    run_dialog,
    save_or_mark,
    whole_text,
)

__all__ = [
    "customer_form",
    "delete_or_deactivate",
    "mark_all",
    "page_record_id",
    "plural",
    "product_form",
    "record_missing",
    "stock_badge",
    "stock_form",
]

WHOLE = "Enter a whole number, like 12"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def mark_all(fields: Mapping[str, Any], checks: Mapping[str, Callable[[], object]]) -> bool:
    """Run each field's check (a crpm_core validation); mark every field whose check fails
    with its message. ``True`` if all passed."""
    ok = True
    for name, check in checks.items():
        try:
            check()
        except errors.ValidationError as exc:
            fields[name].error = _sentence(exc.message)
            ok = False
    return ok


def _clear(fields: Mapping[str, Any]) -> None:
    for field in fields.values():
        field.error = None


async def customer_form(crm: CRPM, existing: Customer | None = None) -> Customer | None:
    """The add or edit dialog; returns the saved customer, or ``None`` if cancelled."""
    heading = "Edit customer" if existing else "Add customer"
    with form_dialog(heading) as dialog:
        name = ui.input("Name", value=existing.name if existing else "").mark("customer-name")
        email = ui.input("Email", value=existing.email if existing else "").mark("customer-email")
        email.props("type=email autocomplete=email")
        phone = ui.input("Phone (optional)", value=(existing.phone or "") if existing else "").mark(
            "customer-phone"
        )
        phone.props("type=tel autocomplete=tel")
        fields = {"name": name, "email": email, "phone": phone}

        @guarded
        async def save() -> None:
            _clear(fields)
            values: dict[str, Any] = {
                "name": name.value or "",
                "email": email.value or "",
                "phone": (phone.value or "").strip() or None,
            }
            checks = {
                "name": lambda: v.name(values["name"]),
                "email": lambda: v.email(values["email"]),
                "phone": lambda: v.phone(values["phone"]),
            }
            if not mark_all(fields, checks):
                return
            if existing is None:
                await save_or_mark(dialog, fields, lambda: crm.customers.add(**values))
            else:
                await save_or_mark(
                    dialog, fields, lambda: crm.customers.update(existing.id, **values)
                )

        form_fields(fields, submit=save)
        form_buttons(dialog, save, marker="customer-save")
    return await form_result(dialog, Customer)


async def product_form(
    crm: CRPM, existing: Product | None = None, *, low_stock_default: int | None = None
) -> Product | None:
    """The add or edit dialog; returns the saved product, or ``None`` if cancelled. The
    reorder point is optional: empty means the shop's low-stock default."""
    heading = "Edit product" if existing else "Add product"
    with form_dialog(heading) as dialog:
        name = ui.input("Name", value=existing.name if existing else "").mark("product-name")
        sku = ui.input("SKU (optional)", value=(existing.sku or "") if existing else "")
        sku.mark("product-sku")
        price = ui.input("Price", value=str(existing.price) if existing else "").mark(
            "product-price"
        )
        price.props('inputmode=decimal placeholder="0.00"')
        fields: dict[str, Any] = {"name": name, "sku": sku, "price": price}
        if existing is None:
            stock = ui.input("Opening stock", value="0").mark("product-stock")
            fields["stock"] = stock.props("inputmode=numeric")
        point = existing.reorder_point if existing else None
        default = "" if low_stock_default is None else f" (empty: the shop's {low_stock_default})"
        reorder = ui.input(
            f"Reorder point{default}", value="" if point is None else str(point)
        ).mark("product-reorder")
        fields["reorder_point"] = reorder.props("inputmode=numeric")

        @guarded
        async def save() -> None:
            _clear(fields)
            values: dict[str, Any] = {
                "name": name.value or "",
                "sku": (sku.value or "").strip() or None,
                "price": (price.value or "").strip(),
            }
            numbers = {"reorder_point": reorder.value}
            if existing is None:
                numbers["stock"] = fields["stock"].value
            checks: dict[str, Callable[[], object]] = {
                "name": lambda: v.name(values["name"]),
                "sku": lambda: v.sku(values["sku"]),
                "price": lambda: _price(values["price"]),
            }
            for field, typed in numbers.items():
                empty = not str(typed or "").strip()
                if field == "reorder_point" and empty:
                    values[field] = None
                    continue
                number = whole_text(typed)
                values[field] = number
                checks[field] = _whole_check(field, number)
            if not mark_all(fields, checks):
                return
            if existing is None:
                await save_or_mark(dialog, fields, lambda: crm.products.add(**values))
            else:
                await save_or_mark(
                    dialog, fields, lambda: crm.products.update(existing.id, **values)
                )

        form_fields(fields, submit=save)
        form_buttons(dialog, save, marker="product-save")
    return await form_result(dialog, Product)


def _price(text: str) -> object:
    return parse_money(text, "price")


def _whole_check(field: str, number: int | None) -> Callable[[], object]:
    def check() -> object:
        if number is None:
            raise errors.ValidationError(field, WHOLE)
        if field == "reorder_point":
            return rules.reorder_point(number, field)
        return v.stock(number, field)

    return check


async def stock_form(crm: CRPM, product: Product, *, correction: bool) -> Product | None:
    """Restock (receive units) or correct the stock to a counted value."""
    heading = f"Correct the stock of {product.name}" if correction else f"Restock {product.name}"
    with form_dialog(heading) as dialog:
        ui.label(f"In stock now: {product.stock}").mark("stock-now")
        label = "Counted stock" if correction else "Units received"
        amount = ui.input(label, value=str(product.stock) if correction else "1")
        amount.props("inputmode=numeric").mark("stock-amount")
        note = ui.input("Note (optional)").mark("stock-note")
        field = "stock" if correction else "quantity"
        fields: dict[str, Any] = {field: amount, "note": note}

        @guarded
        async def save() -> None:
            _clear(fields)
            value = whole_text(amount.value)
            if value is None:
                amount.error = WHOLE
                return
            change = crm.products.set_stock if correction else crm.products.restock
            await save_or_mark(
                dialog,
                fields,
                lambda: change(product.id, value, note=note.value or None),
                catch=(errors.ValidationError,),
            )

        form_fields(fields, submit=save)
        form_buttons(
            dialog,
            save,
            marker="stock-save",
            label="Save count" if correction else "Restock",
            icon="inventory",
        )
    return await form_result(dialog, Product)


Outcome = Literal["deleted", "deactivated"]


async def delete_or_deactivate(
    *,
    noun: Literal["customer", "product"],
    record: Customer | Product,
    history: int,
    delete: Callable[[], None],
    deactivate: Callable[[], object] | None,
) -> Outcome | None:
    """The Delete action. A record with ``history`` (purchases) is never deleted: the user is
    told so up front, before any "for good?", and offered Deactivate instead (``deactivate``
    ``None``: the user may not, or it is inactive already). A record without history is
    deleted after a confirm. Returns what was done, or ``None``."""
    if history:
        return await _offer_deactivate(noun, record, history, deactivate)
    if not await confirm(
        f"Delete the {noun} {record.name} for good?", ok="Delete", marker="confirm-delete"
    ):
        return None
    try:
        await db(delete)
    except errors.Conflict:  # a sale came in since the page was drawn
        return await _offer_deactivate(noun, record, 1, deactivate)
    success(f"Deleted {noun} {record.name}")
    return "deleted"


async def _offer_deactivate(
    noun: str,
    record: Customer | Product,
    history: int,
    deactivate: Callable[[], object] | None,
) -> Outcome | None:
    sales = "purchase" if history == 1 else "purchases"
    kept = "the history is kept" if noun == "customer" else "its sales stay in the reports"
    with ui.dialog() as dialog, ui.card().classes("max-w-md"):
        dialog.props(f'aria-label="{noun.capitalize()} has history"')
        ui.label(f"{record.name} cannot be deleted").classes("text-h6").props(
            'role="heading" aria-level="2"'
        )
        text = f"The {noun} {record.name} has {history:,} {sales}, so it stays on record."
        if deactivate is not None:
            text += f" Deactivate it instead: {kept}."
        ui.label(text).mark("has-history")
        with ui.row().classes("w-full justify-end gap-2"):
            ui.button("Keep as it is", on_click=lambda: dialog.submit(False)).props("flat").mark(
                "history-keep"
            )
            if deactivate is not None:
                ui.button("Deactivate", icon="block", on_click=lambda: dialog.submit(True)).mark(
                    "history-deactivate"
                )
    if not await run_dialog(dialog) or deactivate is None:
        return None
    await db(deactivate)
    success(f"{record.name} is now inactive")
    return "deactivated"


def stock_badge(product: Product, fmt_default: int) -> tuple[str, str] | None:
    """The stock badge of a product: ("Out of stock", colour) at 0 units, ("Low stock",
    colour) at or below its reorder point, else ``None``."""
    if product.active and product.stock <= 0:
        return "Out of stock", "negative"
    if product.is_low(fmt_default):
        return "Low stock", "warning"
    return None


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 purchase``, ``2 purchases``, ``1,000 purchases``."""
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


T = TypeVar("T")


def page_record_id(param: str) -> int | None:
    """The record id in the open page's path (``/customers/{customer_id}``), or ``None`` if
    it is not a whole number."""
    raw = str(ui.context.client.request.path_params.get(param, ""))
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 19 else None


async def record_missing(get: Callable[[int], T], record_id: int | None, *, noun: str) -> T | None:
    """``get(record_id)``; when there is no such record, say so on the page (with a way
    back) and answer ``None``."""
    if record_id is not None:
        try:
            return await db(get, record_id)
        except errors.NotFound:
            pass
    ui.label(f"There is no such {noun}: it may have been deleted.").mark("record-missing")
    ui.link(f"Back to the {noun}s", f"/{noun}s")
    return None
