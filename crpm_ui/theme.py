"""The shared frame of every page (header, navigation drawer, dark-mode switch, page title)
and the look of charts in light and dark mode."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from nicegui import app, ui

from crpm_core.domain import staff
from crpm_ui import auth
from crpm_ui.context import PageContext
from crpm_ui.registry import PageModule

__all__ = ["chart", "frame", "style_only"]

APP_NAME = "CRPM"

# Colours chosen for WCAG 2.1 AA (tests/browser/test_accessibility.py measures them): white
# text on every filled colour has at least 4.5:1. In dark mode primary and negative turn light
# (see CSS), so that links, flat buttons and error messages keep 4.5:1 on the dark
# background, and filled primary and negative elements get black text instead of white.
COLORS = {
    "primary": "#1565c0",
    "secondary": "#455a64",
    "accent": "#6a1b9a",
    "positive": "#1b5e20",
    "negative": "#b71c1c",
    "info": "#01579b",
    "warning": "#8a4b00",
}
# ui.colors() sets the --q-* colours as an inline style on <body>, which only an !important
# rule beats; and Quasar's colour classes (.text-white, ...) are !important in NiceGUI's last
# cascade layer, which only an !important rule of an earlier layer beats (the cascade order
# of !important is the reverse): hence the "overrides" layer (NiceGUI's) and the !important.
CSS = """
@layer overrides {
  body.body--dark {
    --q-primary: #90caf9 !important;
    --q-negative: #ef9a9a !important;
  }
  body.body--dark .bg-primary, body.body--dark .bg-negative { color: #000 !important; }
  body.body--dark .q-table__bottom .text-grey-8 { color: var(--crpm-muted) !important; }
}
:root { --crpm-muted: #545454; --crpm-header: #0d3c7a; }
body.body--dark { --crpm-muted: #bdbdbd; color-scheme: dark; }
.crpm-header { background: var(--crpm-header) !important; color: #fff; }
.crpm-muted { color: var(--crpm-muted); }
.crpm-page { width: 100%; max-width: 1400px; min-width: 0; margin: 0 auto; }
.crpm-page > * { min-width: 0; max-width: 100%; }
.crpm-nav a { color: inherit; text-decoration: none; }
.crpm-nav a[aria-current] { font-weight: 700; background: rgba(21, 101, 192, 0.12); }
body.body--dark .crpm-nav a[aria-current] { background: rgba(144, 202, 249, 0.16); }
.nicegui-link { color: var(--q-primary); }
/* NiceGUI fades a hovered link to 80 %, below 4.5:1; a thicker underline shows the hover. */
.nicegui-link:hover, .nicegui-link:active { opacity: 1; text-decoration-thickness: 2px; }
.crpm-table { width: 100%; max-width: 100%; }
.crpm-table .q-table__middle { overflow-x: auto; }
.crpm-chart { width: 100%; min-width: 0; height: 320px; }
.crpm-tile { min-width: 150px; flex: 1 1 150px; }
.q-field__bottom, .q-field__messages div { overflow-wrap: anywhere; }
"""

# Quasar's tables draw their rows-per-page picker without a label (the words "Records per
# page" sit beside it); this names every such picker after those words as soon as it appears.
TABLE_PICKER_NAMES = """
<script>
(() => {
  const name = () => {
    for (const input of document.querySelectorAll(".q-table__select input:not([aria-label])")) {
      const control = input.closest(".q-table__control");
      const words = control?.querySelector("span.q-table__bottom-item")?.textContent;
      input.setAttribute("aria-label", (words || "Rows per page").replace(/:\\s*$/, ""));
    }
    // Quasar's uploader draws its "add files" button (and the file input in it) with an
    // icon alone: both are named after the uploader's label.
    for (const uploader of document.querySelectorAll(".q-uploader")) {
      const label = uploader.querySelector(".q-uploader__title")?.textContent || "Choose a file";
      for (const part of uploader.querySelectorAll(
        ".q-uploader__header a.q-btn:not([aria-label]), input.q-uploader__input:not([aria-label])"
      )) {
        part.setAttribute("aria-label", label);
      }
    }
  };
  const everything = { childList: true, subtree: true };
  new MutationObserver(name).observe(document.documentElement, everything);
})();
</script>
"""

_DARK_KEY = "crpm_dark"


def _stored_dark() -> bool:
    try:
        return bool(app.storage.user.get(_DARK_KEY, False))
    except RuntimeError:  # no storage secret configured (a bare ui.run)
        return False


def _store_dark(dark: bool) -> None:
    with suppress(RuntimeError):
        app.storage.user[_DARK_KEY] = dark


def style_only() -> bool:
    """The app's colours and styles, and the stored light or dark mode, for a page without
    the frame (the login page); returns whether it is dark."""
    ui.colors(**COLORS)
    ui.add_css(CSS)
    ui.add_head_html(TABLE_PICKER_NAMES)
    dark = _stored_dark()
    ui.dark_mode(dark)
    return dark


def role_name(role: str | None) -> str:
    return staff.ROLE_NAMES.get(role or "", "Operator")


async def _log_out() -> None:
    auth.log_out()
    auth.close_pages_of_this_browser(ui.context.client)
    ui.navigate.to(auth.LOGIN_ROUTE)


@contextmanager
def frame(ctx: PageContext, modules: Sequence[PageModule]) -> Iterator[None]:
    """Draw the header, the drawer (the modules the user may see) and the title around a
    page."""
    title = ctx.module.title
    ui.page_title(f"{title} · {APP_NAME}")
    ui.colors(**COLORS)
    ui.add_css(CSS)
    ui.add_head_html(TABLE_PICKER_NAMES)
    ctx.dark = _stored_dark()
    dark_mode = ui.dark_mode(ctx.dark)

    # Open on wide screens and closed on phones, as Quasar's show-if-above decides; with a
    # value given (not None) NiceGUI does not ask the browser for it on connect, a request
    # that times out (and logs a traceback) on a busy server.
    with (
        ui.left_drawer(value=False, bordered=True)
        .props("width=220 show-if-above")
        .classes("crpm-nav") as drawer
    ):
        drawer.props('aria-label="Main navigation"')
        with ui.element("nav").props('aria-label="Pages"').classes("w-full"):
            for module in modules:
                if "{" in module.route:  # a record's own page (/customers/{id}): no nav link
                    continue
                with (
                    ui.link(target=module.route)
                    .classes("flex items-center gap-3 px-4 py-3 rounded w-full")
                    .mark(nav_marker(module.route)) as link
                ):
                    ui.icon(module.icon).props('aria-hidden="true"')
                    ui.label(module.title)
                if module.route == ctx.module.route:
                    link.props('aria-current="page"')
                elif getattr(ctx.module, "section", None) == module.route or (
                    ctx.module.route.startswith(module.route + "/{")  # its record's page
                ):
                    link.props('aria-current="true"')

    with ui.header(elevated=True).classes("crpm-header items-center gap-2 px-2 py-1"):
        ui.button(icon="menu", on_click=drawer.toggle).props(
            'flat round color=white aria-label="Show or hide the navigation"'
        ).mark("menu")
        ui.label(APP_NAME).classes("text-h6 font-bold")
        ui.space()

        def switch_theme(dark: bool) -> None:
            dark_mode.set_value(dark)
            _store_dark(dark)
            ctx.set_dark(dark)

        ui.switch(
            "Dark mode", value=ctx.dark, on_change=lambda e: switch_theme(bool(e.value))
        ).props("color=white keep-color dark").classes("text-white").mark("dark-mode")
        if ctx.username:
            with ui.row().classes("items-center gap-1 no-wrap"):
                ui.icon("account_circle").props('aria-hidden="true"')
                with ui.column().classes("gap-0 leading-tight"):
                    ui.label(ctx.username).classes("text-body2 font-medium").mark("who")
                    ui.label(role_name(ctx.role)).classes("text-caption").mark("role")
            ui.button("Log out", icon="logout", on_click=_log_out).props(
                "flat dense no-caps color=white"
            ).mark("log-out")

    with ui.column().classes("crpm-page gap-4 p-3 sm:p-4"):
        ui.label(title).classes("text-h5 font-medium").props('role="heading" aria-level="1"').mark(
            "page-title"
        )
        yield


def nav_marker(route: str) -> str:
    """The test marker of a navigation link: ``nav-home``, ``nav-customers``, ..."""
    return "nav-" + (route.strip("/").replace("/", "-") or "home")


def _text_color(dark: bool) -> str:
    return "#e0e0e0" if dark else "#333333"


def _styled(options: dict[str, Any], dark: bool) -> dict[str, Any]:
    """Chart options with text and axis colours readable on the current background.

    Tooltips render as canvas text (``richText``), so a name is never parsed as HTML.
    """
    styled = copy.deepcopy(options)
    text = _text_color(dark)
    grid = "#555555" if dark else "#dddddd"
    styled["backgroundColor"] = "transparent"
    # No animation: a chart is drawn whole at once, which spares users who prefer reduced
    # motion (the server cannot see that preference) and makes screenshots deterministic.
    styled["animation"] = False
    styled["textStyle"] = {**styled.get("textStyle", {}), "color": text}
    styled.setdefault("aria", {"enabled": True})
    tooltip = styled.setdefault("tooltip", {})
    tooltip["renderMode"] = "richText"
    for key in ("legend", "title"):
        if key in styled:
            part = styled[key]
            style = "textStyle"
            part[style] = {**part.get(style, {}), "color": text}
    for axis_key in ("xAxis", "yAxis"):
        axes = styled.get(axis_key)
        if axes is None:
            continue
        for axis in axes if isinstance(axes, list) else [axes]:
            axis["axisLabel"] = {**axis.get("axisLabel", {}), "color": text}
            axis["axisLine"] = {"lineStyle": {"color": text}}
            axis["nameTextStyle"] = {"color": text}
            axis["splitLine"] = {**axis.get("splitLine", {}), "lineStyle": {"color": grid}}
    return styled


def chart(ctx: PageContext, options: dict[str, Any], *, label: str) -> ui.echart:
    """An ECharts chart that follows the page's light or dark mode; ``label`` names it for
    screen readers (ECharts adds a description of the data)."""
    base = copy.deepcopy(options)
    element = ui.echart(_styled(base, ctx.dark)).classes("crpm-chart")
    element.props["role"] = "img"
    element.props["aria-label"] = label
    element._crpm_base_options = base  # type: ignore[attr-defined]

    def restyle(dark: bool) -> None:
        if element.is_deleted:
            return
        element.options.clear()
        element.options.update(_styled(element._crpm_base_options, dark))  # type: ignore[attr-defined]
        element.update()

    ctx.on_theme_change(restyle)
    return element


def set_chart_data(ctx: PageContext, element: ui.echart, options: dict[str, Any]) -> None:
    """Replace the options of a chart made by :func:`chart` (new data, same look)."""
    element._crpm_base_options = copy.deepcopy(options)  # type: ignore[attr-defined]
    element.options.clear()
    element.options.update(_styled(options, ctx.dark))
    element.update()
