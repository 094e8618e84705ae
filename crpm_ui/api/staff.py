"""``/api/v1/me``, ``/api/v1/users`` (owners change them; owners and managers list them),
``/api/v1/audit`` (the audit trail) and ``/api/v1/settings``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

import crpm_core
from crpm_core.domain import staff
from crpm_core.domain import validation as v
from crpm_ui.api import params, problems, schemas
from crpm_ui.api.params import Active, End, Limit, Offset, Start, moment
from crpm_ui.api.tokens import Acting

router = APIRouter(route_class=params.ProblemRoute)

User = schemas.response_model(crpm_core.User)
UserId = Annotated[int, params.id_path("user")]
Entity = Literal[staff.ENTITIES]  # type: ignore[valid-type]
READ = problems.READ
WRITE = problems.WRITE


@router.get("/me", response_model=User, tags=["users"], responses=READ)
def me(crm: Acting) -> Any:
    """The member of staff the token belongs to."""
    return crm.users.get_by_username(crm.actor)


@router.get(
    "/users", response_model=schemas.page_model(crpm_core.User), tags=["users"], responses=READ
)
def list_users(crm: Acting, active: Active = None, offset: Offset = 0, limit: Limit = 50) -> Any:
    """Every user, by username (owners and managers)."""
    return crm.users.list(active=active, offset=offset, limit=limit)


@router.post("/users", status_code=201, response_model=User, tags=["users"], responses=WRITE)
def add_user(crm: Acting, body: schemas.NewUser) -> Any:
    """Add a member of staff (owners only)."""
    return crm.users.add(username=body.username, password=body.password, role=body.role)


@router.get("/users/{user_id}", response_model=User, tags=["users"], responses=READ)
def get_user(crm: Acting, user_id: UserId) -> Any:
    return crm.users.get(user_id)


@router.put("/users/{user_id}/role", response_model=User, tags=["users"], responses=WRITE)
def set_role(crm: Acting, user_id: UserId, body: schemas.RoleChange) -> Any:
    """Give the user another role (owners only)."""
    return crm.users.set_role(user_id, body.role)


@router.put("/users/{user_id}/password", response_model=User, tags=["users"], responses=WRITE)
def set_password(crm: Acting, user_id: UserId, body: schemas.PasswordChange) -> Any:
    """Set a new password: owners for anyone, every user for themselves."""
    return crm.users.set_password(user_id, body.password)


@router.post("/users/{user_id}/deactivate", response_model=User, tags=["users"], responses=WRITE)
def deactivate_user(crm: Acting, user_id: UserId) -> Any:
    """The user can no longer log in or use their tokens (owners only)."""
    return crm.users.deactivate(user_id)


@router.post("/users/{user_id}/reactivate", response_model=User, tags=["users"], responses=WRITE)
def reactivate_user(crm: Acting, user_id: UserId) -> Any:
    return crm.users.reactivate(user_id)


@router.post(
    "/users/{user_id}/tokens",
    status_code=201,
    response_model=schemas.IssuedToken,
    tags=["users"],
    responses=WRITE,
)
def issue_token(crm: Acting, user_id: UserId, body: schemas.TokenRequest) -> Any:
    """A new API token for the user, shown this once (owners only)."""
    token = crm.users.issue_token(user_id, name=body.name)
    return schemas.IssuedToken(token=token, name=v.name(body.name)[:100], user_id=user_id)


@router.get(
    "/audit",
    response_model=schemas.page_model(crpm_core.AuditEntry),
    tags=["audit"],
    responses=READ,
)
def audit_trail(
    crm: Acting,
    entity: Annotated[Entity | None, Query(description="only this kind of record")] = None,
    entity_id: Annotated[int | None, params.id_query("record")] = None,
    actor: Annotated[
        str | None,
        Query(
            max_length=v.NAME_MAX,
            pattern=schemas.text.name_pattern(),
            description="only what this user (or `system`, `cli:<login>`) did",
        ),
    ] = None,
    action: Annotated[
        str | None,
        Query(
            max_length=v.NAME_MAX,
            pattern=schemas.text.name_pattern(),
            description="only this action (`add`, `place`, `restock`, …)",
        ),
    ] = None,
    start: Start = None,
    end: End = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Any:
    """Who changed what, newest first (owners and managers)."""
    return crm.audit.list(
        entity=entity,
        entity_id=entity_id,
        actor=actor,
        action=action,
        start=moment(start, "start"),
        end=moment(end, "end"),
        offset=offset,
        limit=limit,
    )


@router.get(
    "/settings",
    response_model=schemas.response_model(crpm_core.Settings),
    tags=["settings"],
    responses=READ,
)
def get_settings(crm: Acting) -> Any:
    """The shop's name, currency, time zone and default low-stock point."""
    return crm.settings.get()


@router.patch(
    "/settings",
    response_model=schemas.response_model(crpm_core.Settings),
    tags=["settings"],
    responses=WRITE,
)
def update_settings(crm: Acting, body: schemas.SettingsChanges) -> Any:
    """Change only the members given (owners only)."""
    return crm.settings.update(**body.given())
