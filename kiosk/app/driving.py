"""Drive a running App the way a finger would: find a widget by its ``ov_id``, touch it, take a screenshot.

Touches go through Kivy's input path (a MotionEvent posted to the event loop), so they hit the same
widget tree, scroll views and overlays a real touch screen would. Used by the UI tests and the benchmark;
nothing here runs unless someone imports it.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kivy.base import EventLoop
from kivy.core.window import Window
from kivy.input.motionevent import MotionEvent
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

_touch_ids = itertools.count(1000)


class DriverError(AssertionError):
    """The widget to touch is not on screen (or not touchable): a failed UI step."""


class _Finger(MotionEvent):  # type: ignore[misc]
    def __init__(self, x: float, y: float) -> None:
        win = EventLoop.window
        super().__init__("onevisit-driver", next(_touch_ids),
                         {"x": x / (win.width - 1.0), "y": y / (win.height - 1.0)}, is_touch=True, type_id="touch")
        self.profile = ["pos"]

    def depack(self, args: dict[str, float]) -> None:
        self.sx = args["x"]
        self.sy = args["y"]
        super().depack(args)


def walk(root: Widget) -> Iterator[Widget]:
    """Every widget under ``root``, children before siblings; overlays (added last) come first."""
    stack = [root]
    while stack:
        w = stack.pop()
        yield w
        stack.extend(reversed(w.children))


def find_all(ov_id: str, root: Widget | None = None) -> list[Widget]:
    roots = [root] if root is not None else list(Window.children)
    return [w for r in roots for w in walk(r) if getattr(w, "ov_id", None) == ov_id]


def find(ov_id: str, root: Widget | None = None) -> Widget:
    found = find_all(ov_id, root)
    if not found:
        raise DriverError(f"no widget {ov_id!r} on screen")
    return found[0]


def ids_on_screen(prefix: str = "") -> list[str]:
    return [str(w.ov_id) for r in Window.children for w in walk(r)
            if getattr(w, "ov_id", "") and str(w.ov_id).startswith(prefix)]


def texts_on_screen() -> list[str]:
    return [str(w.text) for r in Window.children for w in walk(r) if getattr(w, "text", "")]


_flip_waiters: list[tuple[asyncio.Future[Any], Callable[[], Any]]] = []
_listening = False


def _on_flip(*_args: Any) -> None:
    # bound once for good: binding and unbinding a callback on the Window every frame leaves Kivy's
    # observer records behind, which a soak of thousands of sessions would count as a leak
    waiters = list(_flip_waiters)
    _flip_waiters.clear()
    for fut, action in waiters:
        if not fut.done():
            try:
                fut.set_result(action())
            except Exception as err:
                fut.set_exception(err)


async def _at_next_flip(action: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Run ``action`` just before the next frame is shown (its pixels are still in the back buffer)."""
    global _listening
    if not _listening:
        Window.bind(on_flip=_on_flip)
        _listening = True
    fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    _flip_waiters.append((fut, action))
    Window.canvas.ask_update()
    return await asyncio.wait_for(fut, timeout)


async def frame(timeout: float = 5.0) -> None:
    """Until the next frame has been drawn."""
    await _at_next_flip(lambda: None, timeout)


async def settle(frames: int = 2) -> None:
    """Let scheduled renders run and layouts settle."""
    for _ in range(frames):
        await frame()


def _scroll_into_view(widget: Widget) -> ScrollView | None:
    parent = widget.parent
    while parent is not None and not isinstance(parent, ScrollView):
        if parent.parent is parent:  # the Window is its own parent
            return None
        parent = parent.parent
    if isinstance(parent, ScrollView):
        _x0, y0 = widget.to_window(widget.x, widget.y)
        _x1, y1 = widget.to_window(widget.right, widget.top)
        outer = parent.parent  # the ScrollView's own box is in its parent's space, not its scrolled one
        _vx, vy0 = outer.to_window(parent.x, parent.y)
        _vx, vy1 = outer.to_window(parent.right, parent.top)
        if y0 < vy0 or y1 > vy1:  # only when not fully visible: scrolling moves what is under the finger
            parent.scroll_to(widget, padding=20, animate=False)
            return parent
    return None


async def tap_timed(ov_id: str) -> float:
    """Tap without settling afterwards; returns ``time.perf_counter()`` at the finger's release (for
    measuring how long the next screen takes to appear)."""
    marks: list[float] = []
    await tap(ov_id, settle_frames=0, released_at=marks)
    return marks[0]


async def tap(ov_id: str, *, settle_frames: int = 2, released_at: list[float] | None = None) -> Widget:
    """Touch the widget's centre (scrolled into view first) and lift the finger; for a button, until it has
    seen the release (a ScrollView hands a tap to its children only when the finger lifts, then releases
    it 0.2 s later)."""
    await settle(1)
    widget = find(ov_id)
    if widget.disabled:
        raise DriverError(f"{ov_id!r} is disabled")
    for _attempt in range(4):  # a screen still growing (a QR image arriving) can move it again
        if _scroll_into_view(widget) is None:
            break
        await settle(3)
    x, y = widget.to_window(*widget.center)
    if not (0 <= x < Window.width and 0 <= y < Window.height):
        raise DriverError(f"{ov_id!r} is off screen at {x:.0f},{y:.0f}")
    released: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_release(*_args: Any) -> None:
        if released_at is not None:
            released_at.append(time.perf_counter())
        if not released.done():
            released.set_result(None)

    is_button = "on_release" in getattr(widget, "__events__", ())
    if is_button:
        widget.fbind("on_release", on_release)
    finger = _Finger(x, y)
    try:
        EventLoop.post_dispatch_input("begin", finger)
        await frame()
        if released_at is not None and not is_button:
            released_at.append(time.perf_counter())
        EventLoop.post_dispatch_input("end", finger)
        if is_button:
            try:
                await asyncio.wait_for(released, 2.0)
            except TimeoutError:
                raise DriverError(f"{ov_id!r} did not take the touch at {x:.0f},{y:.0f}") from None
    finally:
        if is_button:
            widget.funbind("on_release", on_release)
    if settle_frames:
        await settle(settle_frames)
    return widget


async def screenshot(path: Path) -> Path:
    """The window as drawn in the next frame, as a PNG at ``path``."""
    written = Path(await _at_next_flip(lambda: Window.screenshot(str(path.with_suffix("")) + ".png")))
    os.replace(written, path)
    return path
