"""The API on a test client (every backend) and staff with tokens."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import attrs
import pytest
from fastapi import FastAPI

from crpm_core import CRPM
from crpm_ui.api import MOUNT, create_api

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


@attrs.frozen
class Staff:
    """A member of staff and a client that carries their token."""

    username: str
    user_id: int
    token: str
    client: TestClient


def _client(crm: CRPM, token: str | None) -> TestClient:
    root = FastAPI()
    root.mount(MOUNT, create_api(crm))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return TestClient(root, headers=headers, raise_server_exceptions=False)


def make_staff(crm: CRPM, username: str, role: str) -> Staff:
    user = crm.users.add(username=username, password="a-long-password", role=role)
    token = crm.users.issue_token(user.id, name=f"{username}'s till")
    return Staff(username, user.id, token, _client(crm, token))


@pytest.fixture
def owner(crm: CRPM) -> Iterator[Staff]:
    staff = make_staff(crm, "zoë.owner".replace("ë", "e"), "owner")
    with staff.client:
        yield staff


@pytest.fixture
def clerk(crm: CRPM, owner: Staff) -> Iterator[Staff]:
    staff = make_staff(crm, "sam-clerk", "clerk")
    with staff.client:
        yield staff


@pytest.fixture
def manager(crm: CRPM, owner: Staff) -> Iterator[Staff]:
    staff = make_staff(crm, "mo.manager", "manager")
    with staff.client:
        yield staff


@pytest.fixture
def anonymous(crm: CRPM) -> Iterator[TestClient]:
    with _client(crm, None) as client:
        yield client
