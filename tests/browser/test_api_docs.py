"""The API's interactive docs render in Chromium under the app's content security policy
(Swagger UI is served by the app itself), and "Try it out" reaches the API with a token."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from crpm_core import CRPM


def test_the_api_docs_page_renders_and_calls_the_api(
    browser: Browser, base_url: str, shop: CRPM
) -> None:
    owner = shop.users.get_by_username("owner")
    token = shop.users.issue_token(owner.id, name="docs page")
    context = browser.new_context()
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    page.goto(f"{base_url}/api/docs")
    expect(page.get_by_text("CRPM API").first).to_be_visible(timeout=30_000)
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    assert page.locator(".opblock").count() >= 40
    # the same page's JavaScript calls the API with a bearer token, as "Try it out" does
    answer = page.evaluate(
        """async (token) => {
            const r = await fetch('/api/v1/me', {headers: {Authorization: 'Bearer ' + token}});
            return [r.status, (await r.json()).username];
        }""",
        token,
    )
    assert answer == [200, "owner"]
    assert not refused, refused
    context.close()
