"""Purchases files may carry the shop's order numbers: importing the same orders twice is
refused instead of doubling the sales."""

from __future__ import annotations

import io

import pytest

import crpm_core
from crpm_core import CRPM, transfer
from crpm_core.transfer import RowError
from tests.helpers import snapshot, wipe

HEADER = "customer_email,product_sku,quantity,unit_price,purchased_at,order_ref\n"
ROWS = (
    "zoe@example.ie,TEA,2,6.50,2026-03-29T00:30:00+01:00,WEB-1001\n"
    "zoe@example.ie,MUG,1,9.99,2026-03-29T00:30:00+01:00,WEB-1001\n"
    "ann@example.com,TEA,1,6.50,2026-03-30T12:00:00Z,WEB-1002\n"
    "ann@example.com,TEA,1,6.50,2026-03-30T12:00:00Z,\n"
)


def _shop(crm: CRPM) -> None:
    crm.customers.add(name="Zoë O'Brien", email="zoe@example.ie")
    crm.customers.add(name="Ann", email="ann@example.com")
    crm.products.add(name="Tea", price="6.50", stock=50, sku="TEA")
    crm.products.add(name="Mug", price="9.99", stock=50, sku="MUG")


def test_the_same_orders_imported_twice_are_refused(crm: CRPM) -> None:
    _shop(crm)
    assert transfer.import_purchases(crm, io.StringIO(HEADER + ROWS)).rows == 4
    before = snapshot(crm)
    with pytest.raises(RowError) as refused:
        transfer.import_purchases(crm, io.StringIO(HEADER + ROWS))
    assert (refused.value.line, refused.value.column) == (2, "order_ref")
    assert "WEB-1001" in str(refused.value) and "already stored" in str(refused.value)
    assert snapshot(crm) == before
    # a later file with only new numbers goes in
    new = "ann@example.com,MUG,1,9.99,2026-04-01T09:00:00Z,WEB-1003\n"
    assert transfer.import_purchases(crm, io.StringIO(HEADER + new)).rows == 1


def test_one_order_number_names_one_customer(crm: CRPM) -> None:
    _shop(crm)
    before = snapshot(crm)
    mixed = (
        "zoe@example.ie,TEA,1,6.50,2026-03-29T10:00:00Z,POS-7\n"
        "ann@example.com,TEA,1,6.50,2026-03-29T10:00:00Z,POS-7\n"
    )
    with pytest.raises(RowError) as refused:
        transfer.import_purchases(crm, io.StringIO(HEADER + mixed))
    assert (refused.value.line, refused.value.column) == (3, "customer_email")
    assert snapshot(crm) == before


@pytest.mark.parametrize("bad", ["has space", "x" * 65, "a\u202eb"])
def test_a_bad_order_number_names_its_line_and_column(crm: CRPM, bad: str) -> None:
    _shop(crm)
    before = snapshot(crm)
    row = f'zoe@example.ie,TEA,1,6.50,2026-03-29T10:00:00Z,"{bad}"\n'
    with pytest.raises(RowError) as refused:
        transfer.import_purchases(crm, io.StringIO(HEADER + row))
    assert (refused.value.line, refused.value.column) == (2, "order_ref")
    assert snapshot(crm) == before


def test_export_writes_the_numbers_and_imports_again_elsewhere(crm: CRPM, tmp_path: object) -> None:
    _shop(crm)
    transfer.import_purchases(crm, io.StringIO(HEADER + ROWS))
    out = io.StringIO()
    assert transfer.export_purchases(crm, out) == 4
    lines = out.getvalue().splitlines()
    assert lines[0] == HEADER.strip() + ",returned_quantity,order_number"
    # the two lines of WEB-1001 share their order's number in the file
    assert [line.split(",")[-1] for line in lines[1:]] == ["1", "1", "2", "3"]
    refs = [line.split(",")[5] for line in lines[1:]]
    assert refs == ["WEB-1001", "WEB-1001", "WEB-1002", ""]
    # rows with the same number are one order
    assert crm.orders.list().total == 3
    with crpm_core.connect("sqlite://") as other:
        wipe(other)
        _shop(other)
        assert transfer.import_purchases(other, io.StringIO(out.getvalue())).rows == 4
        again = io.StringIO()
        transfer.export_purchases(other, again)
        assert again.getvalue() == out.getvalue()
