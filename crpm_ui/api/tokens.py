"""Bearer tokens: every request acts as the member of staff its token belongs to.

A token is issued by an owner (``crpm user token NAME --name LABEL`` or
``POST /api/v1/users/{id}/tokens``), shown once and kept only as a hash; crpm_core checks it
(``crm.users.authenticate_token``) on every request, so a revoked token or a deactivated
user stops working at once. The handle the route gets is ``crm.as_user(username)``: the
core checks the user's role on every call and audits every write under their name.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from crpm_core import CRPM, errors

__all__ = ["Acting", "acting", "base_handle"]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An API token of a member of staff: `Authorization: Bearer crpm_…`",
)


class MissingToken(errors.AuthenticationFailed):
    """No ``Authorization: Bearer`` header at all."""


def base_handle(request: Request) -> CRPM:
    crm = request.app.state.crm
    assert isinstance(crm, CRPM)
    return crm


def acting(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> CRPM:
    """The handle acting as the token's user (401 without a valid token)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise MissingToken()
    crm = base_handle(request)
    user = crm.users.authenticate_token(credentials.credentials)
    try:
        return crm.as_user(user.username)
    except errors.PermissionDenied:  # deactivated between the two reads
        raise errors.AuthenticationFailed() from None


Acting = Annotated[CRPM, Depends(acting)]
