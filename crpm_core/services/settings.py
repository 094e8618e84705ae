"""Shop settings: one row, read by everyone, defaults until first changed."""

from __future__ import annotations

from typing import Any

import attrs
from sqlalchemy import Connection, insert, select, update

from crpm_core.domain import Settings, calendar, rules, staff
from crpm_core.domain import validation as v
from crpm_core.persistence.tables import settings
from crpm_core.services import rollups
from crpm_core.services._common import UNSET
from crpm_core.services.unit_of_work import Scope

DEFAULTS = Settings(
    shop_name=rules.DEFAULT_SHOP_NAME,
    currency=rules.DEFAULT_CURRENCY,
    timezone=rules.DEFAULT_TIMEZONE,
    low_stock_default=rules.DEFAULT_LOW_STOCK,
)


def current_settings(conn: Connection) -> Settings:
    """The settings as stored, or the defaults when none were ever saved."""
    row = conn.execute(select(settings).where(settings.c.id == 1)).mappings().first()
    if row is None:
        return DEFAULTS
    return Settings(
        shop_name=row["shop_name"],
        currency=row["currency"],
        timezone=row["timezone"],
        low_stock_default=int(row["low_stock_default"]),
    )


class ShopSettings:
    """``crm.settings``."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def get(self) -> Settings:
        self._scope.require("settings.read")
        with self._scope(write=False) as uow:
            return current_settings(uow.conn)

    def update(
        self,
        *,
        shop_name: object = UNSET,
        currency: object = UNSET,
        timezone: object = UNSET,
        low_stock_default: object = UNSET,
    ) -> Settings:
        """Change only the settings given; each is checked (an assigned ISO 4217 currency,
        an IANA time zone, a whole number ≥ 0) and a refused one changes nothing."""
        self._scope.require("settings.update")
        changes: dict[str, Any] = {}
        if shop_name is not UNSET:
            changes["shop_name"] = v.name(shop_name, "shop_name")
        if currency is not UNSET:
            changes["currency"] = rules.currency(currency)
        if timezone is not UNSET:
            changes["timezone"] = rules.timezone(timezone)
        if low_stock_default is not UNSET:
            changes["low_stock_default"] = rules.low_stock_default(low_stock_default)
        with self._scope() as uow:
            conn = uow.conn
            before = current_settings(conn)
            exists = conn.execute(
                select(settings.c.id).where(settings.c.id == 1).with_for_update()
            ).first()
            if exists is None:
                base = current_settings(conn)
                row = {
                    "id": 1,
                    "shop_name": base.shop_name,
                    "currency": base.currency,
                    "timezone": base.timezone,
                    "low_stock_default": base.low_stock_default,
                }
                conn.execute(insert(settings).values(**{**row, **changes}))
            elif changes:
                conn.execute(update(settings).where(settings.c.id == 1).values(changes))
            after = current_settings(conn)
            if after.timezone != before.timezone:  # the days are the new zone's days
                rollups.rebuild_days(conn, calendar.zone(after.timezone))
            uow.audit(
                "update", "settings", 1, staff.changes(attrs.asdict(before), attrs.asdict(after))
            )
            return after
