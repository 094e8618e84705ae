"""The live sessions several app processes share in Redis (``crpm_ui.auth.RedisSessions``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from nicegui.testing import User

from crpm_ui import auth
from tests.deploy.conftest import REDIS_URL

REPO = Path(__file__).resolve().parents[2]


def test_two_processes_see_the_same_sessions_and_a_log_out_ends_one_everywhere(
    redis_prefix: str,
) -> None:
    one = auth.RedisSessions(REDIS_URL, redis_prefix)
    two = auth.RedisSessions(REDIS_URL, redis_prefix)  # another process, the same Redis
    one.put("sid-a", {"user": "zoë", "seen": 1.5})
    one.put("sid-b", {"user": "zoë", "seen": 2.0})
    two.put("sid-c", {"user": "o'brien", "seen": 3.0})
    assert two.get("sid-a") == {"user": "zoë", "seen": 1.5}
    assert one.get("sid-c") == {"user": "o'brien", "seen": 3.0}
    two.drop("sid-a")
    assert one.get("sid-a") is None
    assert one.get("sid-b") is not None
    one.drop_user("zoë")  # a password reset or a deactivation ends all of them
    assert two.get("sid-b") is None
    assert two.get("sid-c") == {"user": "o'brien", "seen": 3.0}
    assert one.get("no-such-session") is None


def test_a_session_key_expires_a_little_after_the_idle_time(redis_prefix: str) -> None:
    import redis

    store = auth.RedisSessions(REDIS_URL, redis_prefix)
    store.put("sid", {"user": "ann", "seen": 0})
    client = redis.Redis.from_url(REDIS_URL)
    ttl = client.ttl(f"{redis_prefix}crpm-session:sid")
    assert auth.POLICY.idle_seconds < ttl <= auth.POLICY.idle_seconds + 2 * auth.SEEN_EVERY
    client.close()


def test_prefixes_keep_two_shops_on_one_redis_apart(redis_prefix: str) -> None:
    mine = auth.RedisSessions(REDIS_URL, redis_prefix)
    theirs = auth.RedisSessions(REDIS_URL, redis_prefix + "other:")
    mine.put("sid", {"user": "ann", "seen": 1})
    assert theirs.get("sid") is None


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("redis://127.0.0.1:1/0", "cannot reach Redis at NICEGUI_REDIS_URL"),
        ("not-a-url", "cannot reach Redis at NICEGUI_REDIS_URL"),
    ],
)
def test_an_unreachable_redis_is_a_plain_message(tmp_path: Path, url: str, says: str) -> None:
    env = {"NICEGUI_REDIS_URL": url, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "crpm_ui.main", "--db", f"sqlite:///{tmp_path / 'x.db'}"],
        capture_output=True,
        text=True,
        env={**_clean_env(), **env},
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith(f"crpm-ui: error: {says}")
    assert "Traceback" not in result.stderr + result.stdout
    assert "CRPM is running" not in result.stdout


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}


def test_an_unreachable_store_is_a_plain_error_not_a_crash(redis_prefix: str) -> None:
    store = auth.RedisSessions("redis://127.0.0.1:1/0", redis_prefix)
    for call in (
        lambda: store.get("sid"),
        lambda: store.put("sid", {"user": "ann", "seen": 1.0}),
        lambda: store.drop("sid"),
        lambda: store.drop_user("ann"),
    ):
        with pytest.raises(auth.SessionsUnavailable):
            call()


async def test_when_redis_stops_a_logged_in_browser_gets_a_plain_503(
    user: User, tmp_path: Path, redis_prefix: str
) -> None:
    import importlib

    import redis

    import crpm_core
    from tests.ui.helpers import log_in

    shop = crpm_core.connect(f"sqlite:///{tmp_path / 'shop.db'}")
    ui_auth = importlib.import_module("crpm_ui.auth")  # NiceGUI's fixture imports afresh
    try:
        shop.users.add(username="olivia", password="owner-password-1", role="owner")
        store = ui_auth.RedisSessions(REDIS_URL, redis_prefix)
        importlib.import_module("crpm_ui.app").setup(shop, sessions=store)
        await log_in(user, "olivia", "owner-password-1")
        assert (await user.http_client.get("/customers")).status_code == 200

        store._client = redis.Redis.from_url("redis://127.0.0.1:1/0")  # Redis goes away
        answer = await user.http_client.get("/customers")
        assert answer.status_code == 503
        assert answer.text == ui_auth.SESSIONS_DOWN
        assert answer.headers["retry-after"] == "10"
    finally:
        # Modules NiceGUI's fixture does not re-import (the theme's Log out) keep this
        # auth module: leave it with the store every other test expects.
        ui_auth.use_sessions(ui_auth.LocalSessions())
        shop.close()
