"""What keeps the app safe on a shop's network: the host allow-list, same-origin websockets,
the security headers, files readable by their owner only, and the session secret.

:class:`Guard` wraps the whole ASGI application (outside every middleware), so that a request
for a host the app does not serve is refused before anything else runs (no session, no
storage file). DNS rebinding needs both a foreign ``Host`` and a foreign ``Origin``; the guard
refuses either.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import attrs

__all__ = [
    "HEADERS",
    "Guard",
    "Hardening",
    "default_hosts",
    "load_secret",
    "private_file",
    "secret_path",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECRET_ENV = "CRPM_SECRET"  # noqa: S105 - the variable's name, not a secret
SECRET_FILE = ".crpm-secret"  # noqa: S105 - a file name

# What NiceGUI needs: its own scripts and styles (inline too; Vue compiles templates at run
# time, hence 'unsafe-eval'), images as data: URLs (the favicon, Quasar's icons), and its
# websocket on the same origin. Nothing may frame the app.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self' ws: wss:",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def default_hosts(bind: str) -> list[str]:
    """The hosts served when none is configured: the bind address, localhost, 127.0.0.1."""
    hosts = [bind, "localhost", "127.0.0.1"]
    return [h for i, h in enumerate(hosts) if h and h not in hosts[:i]]


@attrs.frozen
class Hardening:
    """The guard's settings: ``allowed_hosts`` ``None`` serves any host (tests only)."""

    allowed_hosts: tuple[str, ...] | None = None

    def host_allowed(self, host_header: str | None) -> bool:
        if self.allowed_hosts is None:
            return True
        if not host_header:
            return False
        return _hostname(host_header) in {h.lower() for h in self.allowed_hosts}


def _hostname(value: str) -> str:
    """``Host`` or an origin's network location without the port, lower case."""
    value = value.strip().lower()
    if value.startswith("["):  # an IPv6 literal
        return value[: value.find("]") + 1] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


class Guard:
    """An ASGI wrapper: a ``Host`` not allowed gets 400, a websocket or socket.io request
    from another origin gets 403, and every HTTP response carries :data:`HEADERS`."""

    def __init__(self, app: ASGIApp, hardening: Hardening) -> None:
        self.app = app
        self.hardening = hardening

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope.get("type")
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = _header(scope, b"host")
        if not self.hardening.host_allowed(host):
            await _refuse(scope, receive, send, 400, b"This host is not served here.")
            return
        origin = _header(scope, b"origin")
        socket = kind == "websocket" or str(scope.get("path", "")).startswith("/_nicegui_ws")
        if socket and origin is not None and not _same_origin(origin, host):
            await _refuse(scope, receive, send, 403, b"Cross-origin connections are refused.")
            return
        if kind == "websocket":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in HEADERS.items():
                    key = name.lower().encode("latin-1")
                    if key not in present:
                        headers.append((key, value.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _same_origin(origin: str, host: str | None) -> bool:
    if origin == "null" or host is None:
        return False
    netloc = urlsplit(origin).netloc.lower()
    return bool(netloc) and netloc == host.strip().lower()


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, body: bytes) -> None:
    if scope["type"] == "websocket":
        await receive()  # the websocket.connect message
        await send({"type": "websocket.close", "code": 1008})
        return
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
    ]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in HEADERS.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# -- files readable by their owner only ---------------------------------------------------------


def private_file(path: Path) -> None:
    """Make ``path`` readable and writable by its owner only, if it exists and is ours."""
    try:
        info = path.stat()
    except OSError:
        return
    if stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and info.st_mode & 0o077:
        path.chmod(0o600)


class DatabaseURL(Protocol):
    """What is read of a handle's URL (``crm.url``)."""

    @property
    def drivername(self) -> str: ...
    @property
    def database(self) -> str | None: ...


def sqlite_files(url: DatabaseURL) -> list[Path]:
    """The files of a SQLite database (the file, its -wal, -shm and -journal); none for a
    server or an in-memory database."""
    name = url.database
    if not url.drivername.startswith("sqlite") or not name or name == ":memory:":
        return []
    base = Path(name).expanduser()
    return [base, Path(f"{base}-wal"), Path(f"{base}-shm"), Path(f"{base}-journal")]


def secret_path(url: DatabaseURL, *, config_dir: Path | None = None) -> Path:
    """Where the session secret lives: beside a SQLite file (``shop.db.secret``), else in
    the user's config folder (``~/.config/crpm/.crpm-secret``) or, failing that, here."""
    files = sqlite_files(url)
    if files:
        return files[0].with_name(files[0].name + ".secret").resolve()
    if config_dir is None:
        base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        config_dir = Path(base) / "crpm"
    try:
        config_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return config_dir / SECRET_FILE
    except OSError:
        return Path.cwd() / SECRET_FILE


def load_secret(url: DatabaseURL, environ: dict[str, str] | None = None) -> tuple[str, Path | None]:
    """The storage secret: ``$CRPM_SECRET``, else the secret file (made on first start,
    mode 0600). Returns the secret and the file it came from (``None``: the environment)."""
    env = os.environ if environ is None else environ
    if env.get(SECRET_ENV):
        return env[SECRET_ENV], None
    path = secret_path(url)
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        text = ""
    if text:
        private_file(path)
        return text, path
    text = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text + "\n")
    private_file(path)
    return text, path


def every(paths: Iterable[Path]) -> None:
    for path in paths:
        private_file(path)
