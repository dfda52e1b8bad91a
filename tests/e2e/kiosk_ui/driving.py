"""Drive a running App the way a finger would: find a widget by its ``ov_id``, touch it, take a screenshot.

Touches go through Kivy's input path (a MotionEvent posted to the event loop), so they hit the same
widget tree, scroll views and overlays a real touch screen would. Runs inside the UI process, imported by
the test harness (``harness``), which the UI tests and ``bench.kiosk`` start.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kivy.app import App
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
    # as given, without the line breaks the labels chose
    return [str(getattr(w, "raw_text", w.text)) for r in Window.children for w in walk(r) if getattr(w, "text", "")]


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
    """Let scheduled renders run and layouts settle (a redraw the app holds back for a tap is waited for)."""
    for _ in range(frames):
        await frame()
    app = App.get_running_app()
    for _ in range(100):
        if not getattr(app, "render_pending", False):
            return
        await frame()


def _scroll_view_of(widget: Widget) -> ScrollView | None:
    parent = widget.parent
    while parent is not None and not isinstance(parent, ScrollView):
        if parent.parent is parent:  # the Window is its own parent
            return None
        parent = parent.parent
    return parent if isinstance(parent, ScrollView) else None


def viewport(view: ScrollView) -> tuple[float, float]:
    """(bottom, top) of a ScrollView's visible part in window coordinates."""
    outer = view.parent  # the ScrollView's own box is in its parent's space, not its scrolled one
    _vx, vy0 = outer.to_window(view.x, view.y)
    _vx, vy1 = outer.to_window(view.right, view.top)
    return vy0, vy1


def window_box(widget: Widget) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of a widget in window coordinates."""
    x0, y0 = widget.to_window(widget.x, widget.y)
    x1, y1 = widget.to_window(widget.right, widget.top)
    return x0, y0, x1, y1


def _scroll_into_view(widget: Widget) -> ScrollView | None:
    """Scroll so the whole widget is visible, by setting ``scroll_y`` with the scroll effect at rest: the
    effect's spring would otherwise carry the content on after the position was read (at 1080x1920 a tap
    could then land on 首页 under the scrolled part)."""
    view = _scroll_view_of(widget)
    if view is None:
        return None
    _x0, y0, _x1, y1 = window_box(widget)
    vy0, vy1 = viewport(view)
    if vy0 <= y0 and y1 <= vy1:  # only when not fully visible: scrolling moves what is under the finger
        return None
    content = view.children[0]
    spare = content.height - view.height
    if spare <= 0:
        return None
    shift = (vy0 + 20 - y0) if y0 < vy0 else (vy1 - 20 - y1)  # pixels the content must move up (+) or down
    effect = view.effect_y
    if effect is not None:
        effect.velocity = 0
        effect.overscroll = 0
    view.scroll_y = min(1.0, max(0.0, view.scroll_y - shift / spare))  # lower scroll_y: content moves up
    if effect is not None:
        view._update_effect_y_bounds()  # the effect's value follows scroll_y: nothing left for it to animate
    return view


async def _steady_centre(widget: Widget, frames: int = 30) -> tuple[float, float]:
    """The widget's centre in the window once it has stayed put for two frames (a scroll or a layout can
    still be moving it)."""
    last = widget.to_window(*widget.center)
    for _ in range(frames):
        await frame()
        now = widget.to_window(*widget.center)
        if abs(now[0] - last[0]) < 0.5 and abs(now[1] - last[1]) < 0.5:
            return now
        last = now
    raise DriverError(f"{getattr(widget, 'ov_id', widget)!r} kept moving")


async def _aim(ov_id: str) -> tuple[Widget, tuple[float, float]]:
    """The widget to touch and the point to touch it at, once it is in view and has stopped moving. A screen
    redrawn meanwhile (the kiosk redraws when the idle countdown starts, a second into a session) replaces the
    widget: a widget out of the tree has no place on screen (its ``to_window`` gives its old local position,
    which once sent a tap meant for a tile of the finder onto 返回), so the redrawn twin is aimed at instead."""
    for _redraw in range(5):
        widget = find(ov_id)
        if widget.disabled:
            raise DriverError(f"{ov_id!r} is disabled")
        for _attempt in range(4):  # a screen still growing (a QR image arriving) can move it again
            if _scroll_into_view(widget) is None:
                break
            await _steady_centre(widget)
        centre = await _steady_centre(widget)
        if widget.get_root_window() is not None:
            return widget, centre
        await settle(1)
    raise DriverError(f"{ov_id!r} kept being redrawn")


async def tap_timed(ov_id: str) -> float:
    """Tap without settling afterwards; returns ``time.perf_counter()`` at the finger's release (for
    measuring how long the next screen takes to appear)."""
    marks: list[float] = []
    await tap(ov_id, settle_frames=0, released_at=marks)
    return marks[0] if marks else time.perf_counter()  # the release went to a redrawn twin: from now


# Generous: a ScrollView hands a tap on at the finger's release and the button releases 0.2 s later, and on a
# loaded machine a frame can take a good part of a second.
RELEASE_WAIT_S = 6.0


async def tap(ov_id: str, *, settle_frames: int = 1, released_at: list[float] | None = None,
              retry: bool = True) -> Widget:
    """Touch the widget's centre (scrolled into view first) and lift the finger; for a button, until it has
    seen the release (a ScrollView hands a tap to its children only when the finger lifts, then releases
    it 0.2 s later)."""
    await settle(1)
    widget, (x, y) = await _aim(ov_id)
    if not (0 <= x < Window.width and 0 <= y < Window.height):
        raise DriverError(f"{ov_id!r} is off screen at {x:.0f},{y:.0f}")
    view = _scroll_view_of(widget)
    if view is not None and not (viewport(view)[0] <= y <= viewport(view)[1]):
        raise DriverError(f"{ov_id!r} is scrolled out of view at {x:.0f},{y:.0f}")
    released: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_release(*_args: Any) -> None:
        if released_at is not None:
            released_at.append(time.perf_counter())
        if not released.done():
            released.set_result(None)

    is_button = widget.is_event_type("on_release")  # ButtonBehavior; OvButton.__events__ lists only Label's
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
                await asyncio.wait_for(released, RELEASE_WAIT_S)
            except TimeoutError:
                # A screen redrawn while the finger was on its way: the old button left the window. If the screen
                # moved on, the tap landed (the caller's next wait says whether it did what it should); if the
                # button's twin is still there, the touch was lost in the redraw and is tried once more. A button
                # still on screen that never saw the release did nothing (its action runs on release), so it is
                # tried once more too: on a loaded machine a ScrollView can take a touch held past its scroll
                # timeout for the start of a drag. Twice lost is a failure.
                on_screen = widget.get_root_window() is not None
                if retry and (on_screen or find_all(ov_id)):
                    return await tap(ov_id, settle_frames=settle_frames, released_at=released_at, retry=False)
                if on_screen:
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


def layout() -> dict[str, Any]:
    """Every widget with an ``ov_id`` now in the window: its box in dp, whether it is a button and enabled,
    and whether it is fully visible without scrolling (inside the window and its ScrollView's viewport)."""
    from kivy.metrics import dp

    unit = dp(1)
    out: list[dict[str, Any]] = []
    for top in Window.children:
        for w in walk(top):
            ov_id = getattr(w, "ov_id", "")
            if not ov_id or w.get_root_window() is None:
                continue
            x0, y0, x1, y1 = window_box(w)
            view = _scroll_view_of(w)
            lo, hi = viewport(view) if view is not None else (0.0, float(Window.height))
            out.append({
                "id": str(ov_id),
                "button": w.is_event_type("on_release"),
                "disabled": bool(w.disabled),
                "text": str(getattr(w, "raw_text", getattr(w, "text", ""))),
                "box_dp": [round(v / unit, 1) for v in (x0, y0, x1 - x0, y1 - y0)],
                "visible": (x0 >= -0.5 and x1 <= Window.width + 0.5 and y0 >= max(lo, 0) - 0.5
                            and y1 <= min(hi, Window.height) + 0.5),
                "partly": y1 > lo and y0 < hi and x1 > 0 and x0 < Window.width,
            })
    return {"window": [Window.width, Window.height], "dp": unit, "widgets": out}
