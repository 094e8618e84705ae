"""A real browser (Debian's Chromium, driven by Playwright) for the several-servers test, run
as its own process so that Playwright's event loop never meets the test runner's.

python -m tests.deploy.browser_session login  URL STATE USERNAME PASSWORD
python -m tests.deploy.browser_session check  URL STATE USERNAME
python -m tests.deploy.browser_session logout URL STATE

``STATE`` is the browser's cookies (Playwright's storage state, JSON): ``login`` writes it,
``check`` and ``logout`` start from it (the same browser, come back later) and write it back.
A failed step raises, so the process exits non-zero with what went wrong.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
TIMEOUT_MS = 30_000


def _connected(page: Page) -> None:
    page.wait_for_function("() => window.socket?.connected === true")
    page.wait_for_timeout(300)


def main(argv: list[str]) -> int:
    step, url, state = argv[0], argv[1], Path(argv[2])
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Chromium is missing: apt-get install chromium chromium-driver")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(storage_state=str(state) if step != "login" else None)
        context.set_default_timeout(TIMEOUT_MS)
        expect.set_options(timeout=TIMEOUT_MS)
        page = context.new_page()
        if step == "login":
            username, password = argv[3], argv[4]
            page.goto(url + "/login")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(password)
            page.get_by_label("Password").press("Enter")
            expect(page.get_by_role("button", name="Log out")).to_be_visible()
            _connected(page)
        elif step == "check":
            username = argv[3]
            page.goto(url + "/customers")
            expect(page.get_by_role("button", name="Log out")).to_be_visible()
            expect(page.get_by_text(username, exact=True).first).to_be_visible()
            assert "/login" not in page.url, page.url
            _connected(page)
        elif step == "logout":
            page.goto(url + "/customers")
            _connected(page)
            page.get_by_role("button", name="Log out").click()
            expect(page.get_by_role("button", name="Log in")).to_be_visible()
        else:
            raise SystemExit(f"unknown step {step!r}")
        context.storage_state(path=str(state))
        context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
