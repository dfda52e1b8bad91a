"""The attract loop shown while nobody uses the kiosk: rotating slides and how to start."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.i18n import Bilingual, Text
from kiosk.viewmodels.observable import Observable


@dataclass(frozen=True, slots=True)
class Slide:
    id: str
    title: Text
    body: Text
    icon: str


class AttractViewModel(Observable):
    def __init__(self, hall_name: Bilingual, *, slide_s: float = 8.0) -> None:
        super().__init__()
        self.hall_name = hall_name
        self.slide_s = slide_s
        self.slides: tuple[Slide, ...] = (
            Slide("welcome", Text("attract.slide.welcome.title", hall=hall_name), Text("attract.slide.welcome.body"),
                  "welcome"),
            Slide("one-thing", Text("attract.slide.one_thing.title"), Text("attract.slide.one_thing.body"), "package"),
            Slide("print", Text("attract.slide.print.title"), Text("attract.slide.print.body"), "printer"),
            Slide("elder", Text("attract.slide.elder.title"), Text("attract.slide.elder.body"), "elder"),
        )
        self.prompt = Text("attract.touch_to_start")
        self.browse_label = Text("attract.browse_without_id")
        self.index = 0
        self.offline = False

    @property
    def slide(self) -> Slide:
        return self.slides[self.index]

    def tick(self, now: float) -> None:
        index = int(now // self.slide_s) % len(self.slides)
        if index != self.index:
            self.index = index
            self._notify("slide")

    def set_offline(self, offline: bool) -> None:
        if offline != self.offline:
            self.offline = offline
            self._notify("offline")

    @property
    def banner(self) -> Text | None:
        return Text("common.offline_banner") if self.offline else None
