"""Fixtures of the several-servers tests: a Redis key prefix of this test alone."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

REDIS_URL = os.environ.get("CRPM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix no other test run uses; its keys are deleted afterwards."""
    import redis

    prefix = f"crpm-test-{uuid.uuid4().hex[:12]}:"
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis does not answer at {REDIS_URL} ({exc}); start it (bash .ci/run does) "
            "or point CRPM_TEST_REDIS_URL at one",
            pytrace=False,
        )
    try:
        yield prefix
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
        client.close()
