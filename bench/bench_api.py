"""The cost of HTTP: the REST API against the same calls through the library.

    python bench/bench_api.py [--db URL] [--seconds 10] [--connections 4]

Seeds a shop (1,000 customers, 50 products with plenty of stock, an owner with a token),
then measures requests per second of

- ``GET /api/v1/customers?limit=50`` and ``POST /api/v1/orders`` (3 lines) on one ``crpm-ui``
  process, with ``wrk`` over loopback (``apt-get install wrk``; a Lua script sends the POST);
- ``crm.as_user(owner).customers.list(limit=50)`` and ``….orders.place(…3 lines…)`` called
  in a loop in one thread of this process, on the same database.

Prints a Markdown table with both figures and their ratio. Without ``--db`` it uses a new
SQLite file in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import crpm_core

REPO = Path(__file__).resolve().parents[1]
ORDER_BODY = (
    '{"customer_id": %d, "lines": [{"product_id": %d, "quantity": 1}, '
    '{"product_id": %d, "quantity": 2}, {"product_id": %d, "quantity": 1}]}'
)


def seed(url: str) -> tuple[str, int, list[int]]:
    with crpm_core.connect(url) as crm:
        owner = crm.users.add(username="bench", password="a long password", role="owner")
        token = crm.users.issue_token(owner.id, name="bench")
        with crm.transaction() as tx:
            first = tx.customers.add(name="Zoë O'Brien 0", email="c0@example.ie")
            for i in range(1, 1000):
                tx.customers.add(name=f"Zoë O'Brien {i}", email=f"c{i}@example.ie")
            goods = [
                tx.products.add(name=f"Tea {i}", price="6.50", stock=900_000_000, sku=f"T{i}")
                for i in range(50)
            ]
        return token, first.id, [p.id for p in goods[:3]]


def library_rate(call: Callable[[], object], seconds: float) -> float:
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        call()
        done += 1
    return done / (time.perf_counter() - start)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wrk(url: str, token: str, seconds: float, connections: int, script: Path | None) -> float:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency"]
    command += ["-H", f"Authorization: Bearer {token}"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"some requests failed:\n{out}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if found is None:
        raise RuntimeError(out)
    return float(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: a new SQLite file)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2
    folder = Path(tempfile.mkdtemp(prefix="crpm-bench-api-"))
    url = args.db or f"sqlite:///{folder / 'shop.db'}"
    token, customer, (p1, p2, p3) = seed(url)
    body = ORDER_BODY % (customer, p1, p2, p3)

    with crpm_core.connect(url) as crm:
        acting = crm.as_user("bench")
        lib_list = library_rate(lambda: acting.customers.list(limit=50), args.seconds)
        lines = [(p1, 1), (p2, 2), (p3, 1)]
        lib_order = library_rate(
            lambda: acting.orders.place(customer_id=customer, lines=lines), args.seconds
        )

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    log = (folder / "crpm-ui.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "crpm_ui.main", "--db", url, "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("crpm-ui did not start")
            time.sleep(0.2)
        script = folder / "order.lua"
        script.write_text(
            'wrk.method = "POST"\n'
            f"wrk.body = '{body}'\n"
            'wrk.headers["Content-Type"] = "application/json"\n',
            encoding="utf-8",
        )
        list_url = f"{base}/api/v1/customers?limit=50"
        wrk(list_url, token, 2, args.connections, None)  # warm up
        api_list = wrk(list_url, token, args.seconds, args.connections, None)
        api_order = wrk(f"{base}/api/v1/orders", token, args.seconds, args.connections, script)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()

    backend = url.split(":", 1)[0]
    print(f"backend: {backend}; wrk -t1 -c{args.connections} -d{int(args.seconds)}s")
    print("| call | library calls/s | API requests/s | library ÷ API |")
    print("|---|---:|---:|---:|")
    print(
        f"| `GET /api/v1/customers?limit=50` | {lib_list:,.0f} | {api_list:,.0f} | "
        f"{lib_list / api_list:.1f}x |"
    )
    print(
        f"| `POST /api/v1/orders` (3 lines) | {lib_order:,.0f} | {api_order:,.0f} | "
        f"{lib_order / api_order:.1f}x |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
