"""``/api/v1/orders``, ``/api/v1/purchases`` (lines, cancels and returns) and
``/api/v1/stock-movements`` (the stock ledger)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

import crpm_core
from crpm_core.domain.models import MOVEMENT_KINDS
from crpm_ui.api import params, problems, schemas
from crpm_ui.api.params import End, Limit, Offset, Start, moment
from crpm_ui.api.tokens import Acting

router = APIRouter(route_class=params.ProblemRoute)

Order = schemas.response_model(crpm_core.Order)
Purchase = schemas.response_model(crpm_core.Purchase)
OrderId = Annotated[int, params.id_path("order")]
PurchaseId = Annotated[int, params.id_path("purchase")]
CustomerFilter = Annotated[int | None, params.id_query("customer")]
ProductFilter = Annotated[int | None, params.id_query("product")]
Kind = Literal[MOVEMENT_KINDS]  # type: ignore[valid-type]

READ = problems.READ
WRITE = problems.WRITE


@router.get(
    "/orders", response_model=schemas.page_model(crpm_core.Order), tags=["orders"], responses=READ
)
def list_orders(
    crm: Acting,
    customer_id: CustomerFilter = None,
    start: Start = None,
    end: End = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Any:
    """One page of orders, newest first, cancelled ones included."""
    return crm.orders.list(
        customer_id=customer_id,
        start=moment(start, "start"),
        end=moment(end, "end"),
        offset=offset,
        limit=limit,
    )


@router.post("/orders", status_code=201, response_model=Order, tags=["orders"], responses=WRITE)
def place_order(crm: Acting, body: schemas.NewOrder) -> Any:
    """Sell several products at once, all lines or none: a short product refuses the whole
    order with 409 and says how many were ``requested`` and are ``available``."""
    return crm.orders.place(
        customer_id=body.customer_id,
        lines=[(line.product_id, line.quantity) for line in body.lines],
        purchased_at=body.purchased_at,  # type: ignore[arg-type]
        note=body.note,
        ref=body.ref,
    )


@router.get("/orders/{order_id}", response_model=Order, tags=["orders"], responses=READ)
def get_order(crm: Acting, order_id: OrderId) -> Any:
    return crm.orders.get(order_id)


@router.post("/orders/{order_id}/cancel", response_model=Order, tags=["orders"], responses=WRITE)
def cancel_order(crm: Acting, order_id: OrderId) -> Any:
    """Every line not yet returned goes back to stock (owners and managers)."""
    return crm.orders.cancel(order_id)


@router.get(
    "/orders/{order_id}/receipt",
    response_class=Response,
    tags=["orders"],
    responses={
        200: {
            "description": "the receipt as a PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        },
        **READ,
    },
)
def receipt(crm: Acting, order_id: OrderId) -> Response:
    """The order's receipt as a PDF."""
    pdf = crm.orders.receipt_pdf(order_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="receipt-{order_id}.pdf"'},
    )


@router.get(
    "/purchases",
    response_model=schemas.page_model(crpm_core.PurchaseLine),
    tags=["purchases"],
    responses=READ,
)
def list_purchases(
    crm: Acting,
    customer_id: CustomerFilter = None,
    product_id: ProductFilter = None,
    start: Start = None,
    end: End = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Any:
    """One page of purchase lines, newest first."""
    return crm.purchases.list(
        customer_id=customer_id,
        product_id=product_id,
        start=moment(start, "start"),
        end=moment(end, "end"),
        offset=offset,
        limit=limit,
    )


@router.get("/purchases/{purchase_id}", response_model=Purchase, tags=["purchases"], responses=READ)
def get_purchase(crm: Acting, purchase_id: PurchaseId) -> Any:
    return crm.purchases.get(purchase_id)


@router.post(
    "/purchases/{purchase_id}/cancel",
    response_model=Purchase,
    tags=["purchases"],
    responses=WRITE,
)
def cancel_purchase(crm: Acting, purchase_id: PurchaseId) -> Any:
    """Cancel one line: its stock comes back (owners and managers)."""
    return crm.purchases.cancel(purchase_id)


@router.post(
    "/purchases/{purchase_id}/returns",
    response_model=Purchase,
    tags=["purchases"],
    responses=WRITE,
)
def return_items(crm: Acting, purchase_id: PurchaseId, body: schemas.ReturnRequest) -> Any:
    """Part or all of a line comes back to stock (owners and managers); more than was sold
    and not yet returned is 409."""
    return crm.purchases.return_items(purchase_id, body.quantity, note=body.note)


@router.get(
    "/stock-movements",
    response_model=schemas.page_model(crpm_core.StockMovement),
    tags=["stock"],
    responses=READ,
)
def stock_movements(
    crm: Acting,
    product_id: ProductFilter = None,
    kind: Annotated[Kind | None, Query(description="only this kind of movement")] = None,
    start: Start = None,
    end: End = None,
    offset: Offset = 0,
    limit: Limit = 100,
) -> Any:
    """The stock ledger, newest first (owners and managers)."""
    return crm.reports.stock_movements(
        product_id=product_id,
        kind=kind,
        start=moment(start, "start"),
        end=moment(end, "end"),
        offset=offset,
        limit=limit,
    )
