"""The audit trail: read it (writes add their rows through the unit of work)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from crpm_core.domain import AuditEntry, Page, staff
from crpm_core.domain import validation as v
from crpm_core.errors import ValidationError
from crpm_core.persistence import mappers
from crpm_core.persistence.tables import audit_log
from crpm_core.services._common import in_range
from crpm_core.services.unit_of_work import Scope


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=int(row["id"]),
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        entity=row["entity"],
        entity_id=None if row["entity_id"] is None else int(row["entity_id"]),
        changes=json.loads(row["changes"]),
    )


class Audit:
    """``crm.audit``: owners and managers read who changed what, and when."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def list(
        self,
        *,
        entity: str | None = None,
        entity_id: int | None = None,
        actor: str | None = None,
        action: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page[AuditEntry]:
        """One page of the trail, newest first (by time, then id); each filter narrows it."""
        self._scope.require("audit.read")
        off, lim = v.paging(offset, limit)
        query = select(audit_log)
        if entity is not None:
            if entity not in staff.ENTITIES:
                raise ValidationError("entity", f"must be one of {', '.join(staff.ENTITIES)}")
            query = query.where(audit_log.c.entity == entity)
        if entity_id is not None:
            query = query.where(audit_log.c.entity_id == v.record_id(entity_id, "entity_id"))
        if actor is not None:
            query = query.where(audit_log.c.actor == v.name(actor, "actor"))
        if action is not None:
            query = query.where(audit_log.c.action == v.name(action, "action"))
        lo = v.optional_timestamp(start, "start")
        hi = v.optional_timestamp(end, "end")
        query = query.where(*in_range(audit_log.c.at, lo, hi))
        with self._scope(write=False) as uow:
            return mappers.paged(
                uow.conn,
                query,
                order=[audit_log.c.at.desc(), audit_log.c.id.desc()],
                offset=off,
                limit=lim,
                convert=_entry,
            )
