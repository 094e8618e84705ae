"""What a page module's build function receives."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from crpm_core import CRPM
from crpm_core.domain import staff

if TYPE_CHECKING:
    from crpm_ui.registry import PageModule

__all__ = ["PageContext"]


@attrs.define
class PageContext:
    """One open page: the CRPM handle acting as the logged-in user (``crm.as_user``), the
    module shown, who is logged in, and the page's theme."""

    crm: CRPM
    module: PageModule
    username: str = ""
    dark: bool = False
    _theme_listeners: list[Callable[[bool], None]] = attrs.field(factory=list, alias="_listeners")

    @property
    def role(self) -> str | None:
        """The user's role (``None``: the database's operator, as in some tests)."""
        return self.crm.role

    def may(self, permission: str) -> bool:
        """May the logged-in user do ``permission`` (see ``crpm_core.domain.staff``)?"""
        return staff.may(self.role, permission)

    def may_see(self, module: PageModule) -> bool:
        """May the user open ``module``'s page (its ``permission``, when it names one)?"""
        needed = getattr(module, "permission", None)
        return needed is None or self.may(str(needed))

    def on_theme_change(self, listener: Callable[[bool], None]) -> None:
        """Call ``listener(dark)`` whenever the user switches between light and dark mode."""
        self._theme_listeners.append(listener)

    def set_dark(self, dark: bool) -> None:
        self.dark = dark
        for listener in list(self._theme_listeners):
            listener(dark)
