"""What a page module's build function receives."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from crpm_core import CRPM

if TYPE_CHECKING:
    from crpm_ui.registry import PageModule

__all__ = ["PageContext"]


@attrs.define
class PageContext:
    """One open page: the shared CRPM handle, the module shown, and the page's theme."""

    crm: CRPM
    module: PageModule
    dark: bool = False
    _theme_listeners: list[Callable[[bool], None]] = attrs.field(factory=list, alias="_listeners")

    def on_theme_change(self, listener: Callable[[bool], None]) -> None:
        """Call ``listener(dark)`` whenever the user switches between light and dark mode."""
        self._theme_listeners.append(listener)

    def set_dark(self, dark: bool) -> None:
        self.dark = dark
        for listener in list(self._theme_listeners):
            listener(dark)
