"""Schemathesis hooks for tests/api/test_live.py (loaded through ``$SCHEMATHESIS_HOOKS``).

Two things JSON Schema cannot say, and only those, are kept out of the generated requests:
- cross-field rules of the library: ``end`` before ``start``, and a range too long for its
  ``bucket`` (``reports.MAX_PERIODS``) are refused with 422 naming the field, as they should;
- the tester's own account: a request that deactivates it, or changes its role, would turn
  the rest of the run into 401s and 403s and test nothing.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import schemathesis

PERIOD_DAYS = {"day": 1, "week": 7, "month": 28}
MAX_PERIODS = 50_000


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


@schemathesis.hook
def filter_query(context: Any, query: dict[str, Any] | None) -> bool:
    if not query:
        return True
    start, end = _moment(query.get("start")), _moment(query.get("end"))
    if start is not None and end is not None and end < start:
        return False
    path = getattr(getattr(context, "operation", None), "path", "")
    if not str(path).endswith("/sales-over-time") or (start is None and end is None):
        return True
    # a missing bound is the first or last sale: in these tests, about now
    now = datetime.now(UTC)
    span = abs(((end or now) - (start or now)).days)
    bucket = query.get("bucket", "day")
    days = PERIOD_DAYS.get(bucket, 1) if isinstance(bucket, str) else 1
    return span // days <= MAX_PERIODS


@schemathesis.hook
def filter_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> bool:
    protected = {int(x) for x in os.environ.get("CRPM_PROTECTED_USERS", "").split(",") if x}
    user_id = (path_parameters or {}).get("user_id")
    path = getattr(getattr(context, "operation", None), "path", "")
    return not (user_id in protected and path.endswith(("/deactivate", "/role")))
