"""Reports: read-only SQL aggregates handed back as frozen rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from crpm_core.domain import Page, StockMovement
from crpm_core.domain import validation as v
from crpm_core.persistence import mappers
from crpm_core.persistence.database import Database
from crpm_core.persistence.tables import stock_movements


class Reports:
    """``crm.reports``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def stock_movements(
        self,
        *,
        product_id: int | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> Page[StockMovement]:
        """The stock ledger, newest first: every initial stock, restock, sale, cancel and
        adjustment. A product's changes sum to its stock."""
        off, lim = v.paging(offset, limit)
        t = stock_movements
        query = select(t)
        if product_id is not None:
            query = query.where(t.c.product_id == v.record_id(product_id, "product_id"))
        lo = v.optional_timestamp(start, "start")
        hi = v.optional_timestamp(end, "end")
        if lo is not None:
            query = query.where(t.c.at >= lo)
        if hi is not None:
            query = query.where(t.c.at < hi)
        with self._db.transaction(write=False) as conn:
            return mappers.paged(
                conn,
                query,
                order=[t.c.at.desc(), t.c.id.desc()],
                offset=off,
                limit=lim,
                convert=mappers.stock_movement,
            )
