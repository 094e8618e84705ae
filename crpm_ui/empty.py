"""What an empty table says: Quasar's tables show a warning triangle beside their
"no data" message by default, which is wrong for good news ("Every product is well stocked",
"No purchases yet"). :func:`calm_no_data` puts a calm icon of the page's choice there."""

from __future__ import annotations

from nicegui import ui

__all__ = ["calm_no_data"]


def calm_no_data(table: ui.table, icon: str = "info") -> ui.table:
    """Show ``table``'s ``no-data-label`` beside ``icon`` (e.g. ``check_circle`` for good
    news, ``info`` for a plain fact) instead of Quasar's warning icon."""
    table.add_slot(
        "no-data",
        '<div class="full-width row items-center no-wrap q-gutter-sm">'
        f'<q-icon name="{icon}" size="sm" aria-hidden="true" />'
        "<span>{{ props.message }}</span></div>",
    )
    return table
