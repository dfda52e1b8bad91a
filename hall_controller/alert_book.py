"""Names each episode of an efficiency alert, so that an acknowledgement holds for the episode it was given.

The engine's ``alerts`` say what holds now; the service scans them every few seconds. An episode is one
stretch of scans in which an alert's subject is present; its id is the subject and the time the episode
began, so an alert that ends and comes back is a new episode (a new id, not acknowledged). An episode that
begins is dated by the alert itself (``Alert.since``: a ticket's arrival plus the target, a window's idle
start, a service's start plus its limit), which gives it the same id after a controller restart; when that
date is before the previous scan (the alert came back: a recycled ticket waits past its target again) or
means nothing (a long queue is dated "now": the engine keeps no history of queue lengths), it is dated by
the scan that saw it. A long queue therefore counts as a new episode after a restart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hall_controller.engine.alerts import Alert


@dataclass(frozen=True, slots=True)
class LiveAlert:
    alert_id: str
    alert: Alert
    since: float  # when the episode began


def subject_of(alert: Alert) -> str:
    """What the alert is about: ``kind/service/window/ticket`` without the parts it does not have."""
    return "/".join(x for x in (alert.kind.value, alert.service, alert.window_id, alert.ticket_id) if x)


class AlertBook:
    def __init__(self) -> None:
        self.current: tuple[LiveAlert, ...] = ()
        self.version = 0  # goes up when an episode begins or ends
        self._since: dict[str, float] = {}  # subject → its episode's start, for the subjects of the last scan
        self._last_scan: float | None = None

    def observe(self, found: Iterable[Alert], now: float) -> None:
        """The alerts of one scan (every alert that holds at ``now``)."""
        since_of: dict[str, float] = {}
        current = []
        for alert in found:
            subject = subject_of(alert)
            since = self._since.get(subject)
            if since is None:
                fresh = self._last_scan is None or alert.since > self._last_scan
                since = alert.since if fresh else now
            since_of[subject] = since
            current.append(LiveAlert(f"{subject}@{since:.0f}", alert, since))
        self._since, self._last_scan = since_of, now
        if [a.alert_id for a in current] != [a.alert_id for a in self.current]:
            self.version += 1
        self.current = tuple(current)

    def get(self, alert_id: str) -> LiveAlert | None:
        return next((a for a in self.current if a.alert_id == alert_id), None)
