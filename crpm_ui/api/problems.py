"""Every error of the API as ``application/problem+json`` (RFC 9457): the one place where
the core's errors, refused requests and anything unexpected become answers. No traceback
ever leaves the server: an unexpected error is logged here and answered with a bare 500."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crpm_core import errors

__all__ = ["PROBLEM_TYPE", "ProblemResponse", "install", "problem", "responses"]

PROBLEM_TYPE = "application/problem+json"
log = logging.getLogger("crpm_ui.api")


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_TYPE


def problem(
    status: int, detail: str, *, headers: dict[str, str] | None = None, **members: Any
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    body.update({k: v for k, v in members.items() if v is not None})
    return ProblemResponse(body, status_code=status, headers=headers)


def from_core(exc: errors.CRPMError) -> ProblemResponse:
    """The answer for an error the core raised on purpose."""
    if isinstance(exc, errors.ValidationError):
        return problem(422, str(exc), field=exc.field)
    if isinstance(exc, errors.NotFound):
        return problem(404, exc.message)
    if isinstance(exc, errors.InsufficientStock):
        return problem(
            409,
            exc.message,
            requested=exc.requested,
            available=exc.available,
            product_id=exc.product_id,
        )
    if isinstance(exc, errors.Conflict):
        return problem(409, exc.message, field=exc.field)
    if isinstance(exc, errors.InactiveRecord):
        return problem(409, exc.message)
    if isinstance(exc, errors.PermissionDenied):
        return problem(403, exc.message)
    if isinstance(exc, errors.AuthenticationFailed):
        return unauthorized("the bearer token is unknown, revoked, or its user is deactivated")
    if isinstance(exc, errors.Busy):
        return problem(503, exc.message, headers={"Retry-After": "1"})
    if isinstance(exc, errors.StorageError):
        log.warning("the database refused or could not be reached: %s", exc)
        return problem(503, "the database cannot be reached or refused the change; try again")
    log.error("an error of the core without an answer of its own", exc_info=exc)
    return problem(500, "the request could not be carried out")


def unauthorized(detail: str) -> ProblemResponse:
    return problem(401, detail, headers={"WWW-Authenticate": "Bearer"})


def _field(loc: tuple[Any, ...]) -> str:
    """``("body", "lines", 2, "quantity")`` → ``lines[2].quantity``."""
    parts = list(loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc)
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith(("function-", "constrained-")):
            out += ("." if out else "") + str(part)
    return out or "body"


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    found = list(exc.errors())
    first = found[0] if found else {"loc": ("body",), "msg": "is not valid"}
    field = _field(tuple(first.get("loc", ())))
    message = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    return problem(422, f"{field}: {message}", field=field)


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # every method of the path, not only the first route's
        headers["Allow"] = ", ".join(_methods(request))
    return problem(exc.status_code, str(exc.detail), headers=headers)


def _methods(request: Request) -> list[str]:
    """The methods the OpenAPI document gives the request's path."""
    path = request.scope["path"].removeprefix(request.scope.get("root_path", ""))
    allowed: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            allowed.update(method.upper() for method in operations)
    return sorted(allowed)


async def _core(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.CRPMError)
    return from_core(exc)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("the API failed on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "the request could not be carried out")


def install(api: FastAPI) -> None:
    api.add_exception_handler(RequestValidationError, _validation)
    api.add_exception_handler(HTTPException, _http)
    api.add_exception_handler(errors.CRPMError, _core)
    api.add_exception_handler(Exception, _unexpected)


def _problem_content() -> dict[str, Any]:
    return {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entries of the errors an operation can answer."""
    return {
        status: {"description": HTTPStatus(status).phrase, "content": _problem_content()}
        for status in statuses
    }


READ = responses(401, 403, 404, 422, 503)
"""What a reading route may answer besides 200."""
WRITE = responses(400, 401, 403, 404, 409, 422, 503)
"""What a writing route may answer besides success (400: a body that is not JSON text)."""
