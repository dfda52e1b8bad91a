"""Routing advice computed on read (like ``alerts``): where a new visit should go, and which overflow
windows the manager should open or close. Every piece of advice carries its reason in Chinese and English.

- ``route_new``: at issue time, the zone whose windows will serve the service soonest (its primary
  windows open now, else any open window with the skill), and the self-service kiosk instead when the
  service can be done there (``Service.kiosk_capable``) and the windows' wait is longer than the service.
- ``advice``: open an overflow window (``routing.overflow_windows``) that serves a service whose queue has
  reached its threshold (``queue_alert_threshold``) while its estimated wait is past its target; close an
  overflow window that has had nothing to call for ``routing.advice_close_idle_min``. The manager decides:
  advice changes nothing by itself, and opening is the ordinary ``OpenWindow`` command.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from hall_controller.engine.estimates import estimate_new
from hall_controller.engine.state import EngineState


class AdviceKind(StrEnum):
    OPEN_WINDOW = "open-window"
    CLOSE_WINDOW = "close-window"


class Advice(msgspec.Struct, frozen=True, kw_only=True):
    kind: AdviceKind
    window_id: str
    reason: str
    reason_zh: str
    service: str | None = None
    since: float = 0.0


class Route(msgspec.Struct, frozen=True, kw_only=True):
    """Where a visit for ``service`` should go now."""

    service: str
    zone: str
    windows: tuple[str, ...]  # the open windows most likely to call it
    est_wait_s: float
    kiosk: bool  # propose the self-service kiosk instead of a window
    reason: str
    reason_zh: str


def route_new(state: EngineState, service: str, now: float) -> Route:
    svc = state.index.services[service]
    est = estimate_new(state, service, now).seconds
    serving = [(w, wt) for w, wt in state.index.service_windows[service] if state.windows[w].active]
    if serving:
        top = max(wt for _, wt in serving)
        windows = tuple(w for w, wt in serving if wt == top)
    else:
        windows = tuple(w for w, _ in state.index.service_windows[service])
    zones: dict[str, int] = {}
    for w in windows:
        z = state.index.windows[w].zone
        zones[z] = zones.get(z, 0) + 1
    zone = max(sorted(zones), key=lambda z: zones[z]) if zones else svc.zone
    expected = state.stats[service].mean
    if state.config.routing.kiosk_offer and svc.kiosk_capable and est > expected:
        return Route(
            service=service,
            zone=zone,
            windows=windows,
            est_wait_s=est,
            kiosk=True,
            reason=f"{service} can be done at a self-service kiosk; about {est / 60:.0f} min wait for a window",
            reason_zh=f"{svc.name_zh}可在自助终端办理；窗口预计等候约{est / 60:.0f}分钟",
        )
    names = ", ".join(windows)
    return Route(
        service=service,
        zone=zone,
        windows=windows,
        est_wait_s=est,
        kiosk=False,
        reason=f"zone {zone}, windows {names}: about {est / 60:.0f} min",
        reason_zh=f"请到{zone}区（{names}），预计等候约{est / 60:.0f}分钟",
    )


def advice(state: EngineState, now: float) -> list[Advice]:
    """Open/close advice for the overflow windows, in a stable order (opening first)."""
    rules = state.config.routing
    if not rules.overflow_windows:
        return []
    out: list[Advice] = []
    closed = [w for w in rules.overflow_windows if not state.windows[w].open]
    for svc in state.config.services:
        n = len(state.queues[svc.code])
        if n < svc.queue_alert_threshold or not closed:
            continue
        est = estimate_new(state, svc.code, now).seconds
        target = svc.target_wait_min * 60
        if est <= target:
            continue
        pick = next((w for w in closed if state.index.skill(w, svc.code) > 0), None)
        if pick is None:
            continue
        closed.remove(pick)
        out.append(
            Advice(
                kind=AdviceKind.OPEN_WINDOW,
                window_id=pick,
                service=svc.code,
                since=now,
                reason=f"open {pick}: {n} waiting for {svc.code} (threshold {svc.queue_alert_threshold}), "
                f"about {est / 60:.0f} min against a {svc.target_wait_min:g}-minute target",
                reason_zh=f"建议开启{pick}：{svc.name_zh}排队{n}人（阈值{svc.queue_alert_threshold}），"
                f"预计等候约{est / 60:.0f}分钟，超过目标{svc.target_wait_min:g}分钟",
            )
        )
    idle_limit = rules.advice_close_idle_min * 60
    for w in rules.overflow_windows:
        rt = state.windows[w]
        if not rt.active or rt.current is not None or now - rt.idle_since < idle_limit:
            continue
        if any(state.queues[code] for _, code in state.index.window_skills[w]):
            continue
        out.append(
            Advice(
                kind=AdviceKind.CLOSE_WINDOW,
                window_id=w,
                since=rt.idle_since + idle_limit,
                reason=f"close {w}: nothing to call for {(now - rt.idle_since) / 60:.0f} min",
                reason_zh=f"建议关闭{w}：已{(now - rt.idle_since) / 60:.0f}分钟无人可叫",
            )
        )
    return out
