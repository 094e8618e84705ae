"""A few X11 requests for the native-window test, through libX11 (ctypes): find a window by
its title, and close it the way a window manager does when the user clicks its close
button (a ``WM_DELETE_WINDOW`` message), so the app sees a real close and not a crash."""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["close_window", "open_display", "window_titles"]

Window = ctypes.c_ulong
Atom = ctypes.c_ulong
CLIENT_MESSAGE = 33
NO_EVENT_MASK = 0


class _ClientMessageData(ctypes.Union):
    _fields_ = [("l", ctypes.c_long * 5)]


class _XClientMessageEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", Window),
        ("message_type", Atom),
        ("format", ctypes.c_int),
        ("data", _ClientMessageData),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _XClientMessageEvent), ("pad", ctypes.c_long * 24)]


def _lib() -> ctypes.CDLL:
    name = ctypes.util.find_library("X11")
    if name is None:
        raise RuntimeError("libX11 is not installed (Debian: apt-get install libx11-6)")
    lib = ctypes.CDLL(name)
    lib.XOpenDisplay.restype = ctypes.c_void_p
    lib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    lib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    lib.XInternAtom.restype = Atom
    lib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    lib.XSendEvent.argtypes = [
        ctypes.c_void_p,
        Window,
        ctypes.c_int,
        ctypes.c_long,
        ctypes.POINTER(_XEvent),
    ]
    lib.XFlush.argtypes = [ctypes.c_void_p]
    lib.XDefaultRootWindow.restype = Window
    lib.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    lib.XQueryTree.argtypes = [
        ctypes.c_void_p,
        Window,
        ctypes.POINTER(Window),
        ctypes.POINTER(Window),
        ctypes.POINTER(ctypes.POINTER(Window)),
        ctypes.POINTER(ctypes.c_uint),
    ]
    lib.XFetchName.argtypes = [ctypes.c_void_p, Window, ctypes.POINTER(ctypes.c_char_p)]
    lib.XFree.argtypes = [ctypes.c_void_p]
    return lib


@contextmanager
def open_display(display: str) -> Iterator[tuple[ctypes.CDLL, int]]:
    lib = _lib()
    handle = lib.XOpenDisplay(display.encode())
    if not handle:
        raise RuntimeError(f"cannot open X display {display}")
    try:
        yield lib, handle
    finally:
        lib.XCloseDisplay(handle)


def window_titles(display: str) -> dict[int, str]:
    """The top-level windows of ``display`` that have a title: id → title (``WM_NAME``)."""
    found: dict[int, str] = {}
    with open_display(display) as (lib, dpy):
        root, parent = Window(), Window()
        children = ctypes.POINTER(Window)()
        count = ctypes.c_uint()
        root_window = lib.XDefaultRootWindow(dpy)
        if not lib.XQueryTree(dpy, root_window, root, parent, children, count):
            return found
        try:
            for i in range(count.value):
                name = ctypes.c_char_p()
                if lib.XFetchName(dpy, children[i], ctypes.byref(name)) and name.value:
                    found[int(children[i])] = name.value.decode("utf-8", "replace")
                    lib.XFree(name)
        finally:
            if children:
                lib.XFree(children)
    return found


def close_window(display: str, window: int) -> None:
    """Ask ``window`` to close, as a window manager's close button does."""
    with open_display(display) as (lib, dpy):
        event = _XEvent()
        event.xclient.type = CLIENT_MESSAGE
        event.xclient.window = window
        event.xclient.message_type = lib.XInternAtom(dpy, b"WM_PROTOCOLS", 0)
        event.xclient.format = 32
        event.xclient.data.l[0] = lib.XInternAtom(dpy, b"WM_DELETE_WINDOW", 0)
        event.xclient.data.l[1] = 0  # CurrentTime
        lib.XSendEvent(dpy, window, 0, NO_EVENT_MASK, ctypes.byref(event))
        lib.XFlush(dpy)
