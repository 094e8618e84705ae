"""The REST API: ``/api/v1`` on the app's own server, for the shop's other systems.

``create_api(crm)`` builds it as a FastAPI application of its own (its routes, its OpenAPI
document at ``/v1/openapi.json``, its interactive docs at ``/docs`` and its error answers);
``mount(crm)`` puts it under ``/api`` on NiceGUI's server, where ``crpm-ui`` serves it beside
the pages. Every request carries ``Authorization: Bearer <token>`` and acts as the token's
user (see :mod:`crpm_ui.api.tokens`); every error is ``application/problem+json`` (see
:mod:`crpm_ui.api.problems`). The routes are plain ``def`` functions: FastAPI runs them in its
thread pool, so a database call never blocks the server's event loop.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from crpm_core import CRPM
from crpm_core.domain import validation as v
from crpm_ui.api import catalog, insight, problems, sales, schemas, staff

__all__ = ["DOCS_PATH", "MOUNT", "OPENAPI_PATH", "create_api", "mount"]

MOUNT = "/api"
VERSION = "/v1"
OPENAPI_PATH = f"{MOUNT}{VERSION}/openapi.json"
DOCS_PATH = f"{MOUNT}/docs"

DESCRIPTION = """\
The shop's customers, products, orders, stock and reports, for its other systems (a web
store, the accounts, a label printer).

Every request carries `Authorization: Bearer <token>`; an owner issues tokens with
`crpm user token USERNAME --name LABEL`. A request acts as the token's user: their role
decides what they may do, and every write is in the audit trail under their name. Errors are
`application/problem+json` (RFC 9457). Money is text with two places (`"6.50"`), times are
RFC 3339 with their offset.
"""


def _swagger_assets() -> Path | None:
    """Swagger UI's own files (the ``swagger-ui-py`` package), served from this server: the
    app's content security policy allows no other."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - in crpm[ui]
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def create_api(crm: CRPM) -> FastAPI:
    """The API for ``crm`` as an application to mount at :data:`MOUNT`."""
    api = FastAPI(
        title="CRPM API",
        version="1",
        description=DESCRIPTION,
        openapi_url=f"{VERSION}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    api.state.crm = crm
    problems.install(api)
    for module in (catalog, sales, insight, staff):
        api.include_router(module.router, prefix=VERSION)

    original_openapi = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            document = original_openapi()  # kept as api.openapi_schema
            components = document.setdefault("components", {}).setdefault("schemas", {})
            components["Problem"] = schemas.Problem.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            _drop_default_422(document)
            _exact_bounds(document)
            document["security"] = [{"token": []}]
        return api.openapi_schema or {}

    api.openapi = openapi  # type: ignore[method-assign]

    assets = _swagger_assets()
    if assets is not None:
        api.mount("/docs/static", StaticFiles(directory=assets), name="swagger")

    @api.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        static = f"{MOUNT}/docs/static"
        return get_swagger_ui_html(
            openapi_url=OPENAPI_PATH,
            title="CRPM API",
            swagger_js_url=f"{static}/swagger-ui-bundle.js",
            swagger_css_url=f"{static}/swagger-ui.css",
            swagger_favicon_url="/favicon.ico",
        )

    return api


def _drop_default_422(document: dict[str, Any]) -> None:
    """FastAPI documents its own shape of 422; the API answers problem documents instead."""
    for methods in document.get("paths", {}).values():
        for operation in methods.values():
            answers = operation.get("responses", {})
            default = answers.get("422", {}).get("content", {}).get("application/json")
            if default is not None:
                answers["422"] = {
                    "description": "Unprocessable Content",
                    "content": {
                        problems.PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
                    },
                }
    components = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)


_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def _exact_bounds(node: Any) -> None:
    """FastAPI's OpenAPI model keeps bounds as floats (``1000000000.0``, and ``2**63 - 1``
    rounded up to ``2**63``); the library's bounds are whole numbers, written exactly."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _BOUNDS and isinstance(value, float) and value.is_integer():
                node[key] = v.ID_MAX if value == float(v.ID_MAX) else int(value)
            else:
                _exact_bounds(value)
    elif isinstance(node, list):
        for item in node:
            _exact_bounds(item)


def mount(crm: CRPM) -> FastAPI:
    """Serve the API for ``crm`` under :data:`MOUNT` on NiceGUI's server."""
    from nicegui import app

    api = create_api(crm)
    route = Mount(MOUNT, app=api)
    # Every path under /api/ is the API's to answer (a problem document), even one with a
    # line break in it, which Starlette's pattern would leave to the app's HTML 404 page.
    route.path_regex = re.compile(f"^{MOUNT}/(?P<path>.*)$", re.DOTALL)
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) != MOUNT]
    app.router.routes.append(route)
    return api
