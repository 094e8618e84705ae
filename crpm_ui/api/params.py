"""What the routes share: query parameters with the library's names and bounds, the route
class that keeps errors inside the API, and the conversion of times."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from crpm_core import errors
from crpm_core.domain import validation as v
from crpm_ui.api import problems, schemas

__all__ = ["End", "Limit", "Offset", "ProblemRoute", "Start", "moment"]


class ProblemRoute(APIRoute):
    """A route whose unexpected errors end here, as a bare 500 problem (logged), instead of
    travelling up to the server with their traceback."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except (HTTPException, RequestValidationError, errors.CRPMError):
                raise
            except Exception as exc:
                problems.log.error(
                    "the API failed on %s %s", request.method, request.url.path, exc_info=exc
                )
                return problems.problem(500, "the request could not be carried out")

        return guarded


def moment(value: str | None, field: str) -> datetime | None:
    """An RFC 3339 query value as an aware datetime (the core checks its bounds)."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise errors.ValidationError(field, "must be a real date and time") from None


def _time(description: str) -> Any:
    return Query(
        pattern=schemas.TIMESTAMP_PATTERN,
        description=description,
        json_schema_extra={"format": "date-time"},
    )


def id_path(entity: str) -> Any:
    return Path(ge=v.ID_MIN, le=v.ID_MAX, description=f"the {entity}'s id")


def id_query(entity: str) -> Any:
    return Query(ge=v.ID_MIN, le=v.ID_MAX, description=f"only this {entity}")


Offset = Annotated[int, Query(ge=0, le=schemas.OFFSET_MAX, description="rows to skip")]
Limit = Annotated[int, Query(ge=1, le=schemas.LIMIT_MAX, description="rows in the page")]
Start = Annotated[str | None, _time("from this time on (inclusive), RFC 3339 with offset")]
End = Annotated[str | None, _time("before this time (exclusive), RFC 3339 with offset")]
AsOf = Annotated[str | None, _time("the moment the report looks from (default: now)")]
SearchText = Annotated[
    str | None,
    Query(
        max_length=v.NAME_MAX,
        pattern=schemas.text.search_pattern(),
        description="text to look for (ignoring case and accents)",
    ),
]
Active = Annotated[bool | None, Query(description="only active (true) or inactive (false)")]
Descending = Annotated[bool, Query(description="reverse the order")]
