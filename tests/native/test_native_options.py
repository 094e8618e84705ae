"""What ``crpm-ui --native`` sets up before it opens the window (no window here)."""

from __future__ import annotations

import pytest

from crpm_ui import main
from crpm_ui.main import native_environment, native_problem


def test_root_turns_chromiums_sandbox_off_unless_the_flags_are_set_already() -> None:
    assert native_environment({}, is_root=True)["QTWEBENGINE_CHROMIUM_FLAGS"] == "--no-sandbox"
    assert "QTWEBENGINE_CHROMIUM_FLAGS" not in native_environment({}, is_root=False)
    mine = {"QTWEBENGINE_CHROMIUM_FLAGS": "--no-sandbox --disable-gpu", "PYWEBVIEW_GUI": "gtk"}
    assert native_environment(mine, is_root=True) == {}  # what the user set stays as set


def test_qt_is_chosen_where_gtk_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    # The native extra brings Qt WebEngine, not GTK's bindings: pywebview would try GTK first
    # and print its traceback before falling back.
    real = main._has_module
    monkeypatch.setattr(main, "_has_module", lambda name: name != "gi" and real(name))
    assert native_environment({}, is_root=False) == {"PYWEBVIEW_GUI": "qt"}
    monkeypatch.setattr(main, "_has_module", real)
    monkeypatch.setattr(main, "_qt_webengine", lambda: None)  # GTK only: pywebview's choice
    assert native_environment({}, is_root=False) == {}


def test_with_the_extra_and_a_screen_nothing_stands_in_the_way() -> None:
    assert native_problem({"DISPLAY": ":7"}, "linux") is None
    problem = native_problem({}, "linux")
    assert problem is not None and "needs a screen" in problem
