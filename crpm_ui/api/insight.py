"""``/api/v1/reports/…``: every report of ``crm.reports`` (owners and managers)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

import crpm_core
from crpm_ui.api import params, problems, schemas
from crpm_ui.api.params import AsOf, End, Start, moment
from crpm_ui.api.tokens import Acting

router = APIRouter(prefix="/reports", tags=["reports"], route_class=params.ProblemRoute)

READ = problems.READ
CustomerFilter = Annotated[int | None, params.id_query("customer")]
ProductFilter = Annotated[int | None, params.id_query("product")]


@router.get(
    "/summary", response_model=schemas.response_model(crpm_core.SalesSummary), responses=READ
)
def sales_summary(
    crm: Acting,
    start: Start = None,
    end: End = None,
    customer_id: CustomerFilter = None,
    product_id: ProductFilter = None,
) -> Any:
    """Revenue, units, orders and stock figures, net of returns and cancels."""
    return crm.reports.sales_summary(
        start=moment(start, "start"),
        end=moment(end, "end"),
        customer_id=customer_id,
        product_id=product_id,
    )


@router.get(
    "/top-customers",
    response_model=list[schemas.response_model(crpm_core.CustomerRanking)],  # type: ignore[misc]
    responses=READ,
)
def top_customers(
    crm: Acting,
    limit: Annotated[int, Query(ge=1, le=schemas.TOP_LIMIT_MAX)] = 10,
    start: Start = None,
    end: End = None,
) -> Any:
    """The best customers by revenue."""
    return crm.reports.top_customers(
        limit=limit, start=moment(start, "start"), end=moment(end, "end")
    )


@router.get(
    "/product-performance",
    response_model=list[schemas.response_model(crpm_core.ProductPerformance)],  # type: ignore[misc]
    responses=READ,
)
def product_performance(crm: Acting, start: Start = None, end: End = None) -> Any:
    """Every product, best seller first."""
    return crm.reports.product_performance(start=moment(start, "start"), end=moment(end, "end"))


@router.get(
    "/sales-over-time",
    response_model=list[schemas.response_model(crpm_core.PeriodSales)],  # type: ignore[misc]
    responses=READ,
)
def sales_over_time(
    crm: Acting,
    bucket: Literal["day", "week", "month"] = "day",
    start: Start = None,
    end: End = None,
    product_id: ProductFilter = None,
) -> Any:
    """Revenue and units per day, week or month in the shop's time zone, oldest first
    (periods without sales included)."""
    return crm.reports.sales_over_time(
        bucket=bucket, start=moment(start, "start"), end=moment(end, "end"), product_id=product_id
    )


@router.get(
    "/rfm",
    response_model=list[schemas.response_model(crpm_core.CustomerSegment)],  # type: ignore[misc]
    responses=READ,
)
def rfm(crm: Acting, as_of: AsOf = None) -> Any:
    """Recency, frequency and monetary scores and the segment of each buying customer."""
    return crm.reports.rfm(as_of=moment(as_of, "as_of"))


@router.get(
    "/rfm-segments",
    response_model=list[schemas.response_model(crpm_core.SegmentSummary)],  # type: ignore[misc]
    responses=READ,
)
def rfm_segments(crm: Acting, as_of: AsOf = None) -> Any:
    """How many customers, and how much revenue, each segment holds."""
    return crm.reports.rfm_segments(as_of=moment(as_of, "as_of"))


@router.get(
    "/reorder-suggestions",
    response_model=list[schemas.response_model(crpm_core.ReorderSuggestion)],  # type: ignore[misc]
    responses=READ,
)
def reorder_suggestions(
    crm: Acting,
    days: Annotated[int, Query(ge=1, le=schemas.REORDER_DAYS_MAX)] = 30,
    as_of: AsOf = None,
) -> Any:
    """What to buy: velocity, days of cover and a suggested quantity per active product."""
    return crm.reports.reorder_suggestions(days=days, as_of=moment(as_of, "as_of"))
