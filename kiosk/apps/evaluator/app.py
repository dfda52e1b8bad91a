"""The evaluator App: renders its EvaluatorBoard; touches and keypad keys rate."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.core.window import Window
from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.agent_client import HallEvent
from kiosk.apps.base import COMMON_KV, load_kv
from kiosk.apps.board_app import BoardApp
from kiosk.apps.board_layout import EvaluatorLayout, evaluator_layout, fit_sp, fit_words_sp, text_em
from kiosk.apps.build import button, grid, label
from kiosk.apps.devices import DeviceHub
from kiosk.apps.evaluator.board import EvaluatorBoard
from kiosk.apps.evaluator.faces import RatingChoice
from kiosk.apps.widgets import STYLE
from kiosk.i18n import Bilingual, Lang, Text, t
from kiosk.viewmodels.rating import RatingPhase
from kiosk.viewmodels.theme import theme_for

KV = Path(__file__).resolve().with_name("evaluator.kv")
# evaluator keypad keys (drivers.keypad.Key values) → rating level
KEY_LEVELS = {0x11: 5, 0x12: 4, 0x13: 3, 0x14: 2, 0x15: 1}


class EvaluatorRoot(BoxLayout):  # type: ignore[misc]
    pass


class EvaluatorApp(BoardApp):
    """评价器: five equal faces after a finish at its window, the reasons for a poor rating, then thanks;
    the keypad's keys rate too."""

    title = "OneVisit 评价器"

    def __init__(self, board: EvaluatorBoard, *, hub: DeviceHub | None = None, hall_name: Bilingual | None = None,
                 **kw: Any) -> None:
        super().__init__(**kw)
        self.board = board
        self.hub = hub
        self.hall_name = hall_name or Bilingual("")
        board.rating.changed.connect(lambda _n: self._trigger())
        board.changed.connect(lambda _n: self._trigger())

    def build(self) -> EvaluatorRoot:
        load_kv(COMMON_KV)
        load_kv(KV)
        self.apply_theme(theme_for(self.elder))
        self.root = EvaluatorRoot()
        Window.bind(size=lambda *_a: self._trigger())
        Clock.schedule_interval(lambda _dt: self.board.tick(self.now()), 1.0)
        self.render()
        return self.root

    def board_event(self, event: HallEvent) -> bool:
        return self.board.on_event(event, self.now())

    def toggle_lang(self) -> None:
        self.lang = "en" if self.lang == "zh" else "zh"
        self._trigger()

    def toggle_elder(self) -> None:
        self.elder = not self.elder
        self.apply_theme(theme_for(self.elder))
        self._trigger()

    def choose(self, level: int) -> None:
        self.board.choose(level, self.now())

    def toggle_reason(self, code: str) -> None:
        self.board.toggle_reason(code, self.now())

    def submit(self, *, skip_reasons: bool = False) -> None:
        self.spawn(self.board.submit(self.now(), skip_reasons=skip_reasons), name="rate")

    def rate(self, level: int) -> None:
        self.spawn(self.board.rate(level, self.now()), name="rate")

    def on_key(self, key: Any) -> None:
        level = KEY_LEVELS.get(int(key))
        if level is not None and self.board.active:
            self.rate(level)

    def speech_text(self) -> str:
        lang = self.current_lang
        r = self.board.rating
        if r.phase is RatingPhase.NEEDS_TICKET:
            return t("evaluator.idle", lang)
        if r.message is not None:
            return r.message.render(lang)
        parts = [t("evaluator.prompt", lang, number=self.board.number or ""), self.board.rating_for.render(lang)]
        if self.board.asking_reason:
            parts += [t("evaluator.reasons", lang), *(text.render(lang) for _c, text, _s in self.board.reasons)]
        else:
            parts += [text.render(lang) for _n, text, _c in r.levels]
        return "，".join(parts)

    def layout(self) -> EvaluatorLayout:
        return evaluator_layout(Window.width / dp(1), Window.height / dp(1), text_scale=STYLE.sizes["body"] / 22,
                                asking_reason=self.board.asking_reason, short_texts=self.current_lang == "zh")

    def _render_header(self, lang: Lang) -> None:
        """The hall's name and three switches in one bar: the switches' words shrink to fit a narrow pad, and
        the name gives way when nothing else would fit."""
        ids = self.root.ids
        ids.header.height = dp(max(64, self.target_dp + 16))
        ids.lang_button.text = Text("common.lang_switch").render(lang)
        ids.elder_button.text = Text("common.elder_off" if self.elder else "common.elder_on").render(lang)
        switches = (ids.lang_button, ids.elder_button, ids.speak_button)
        width = Window.width / dp(1) - 32  # the bar's padding
        ems = [text_em(b.text) for b in switches]
        bar_sp = (width - 140 - 30 - 3 * 36) / sum(ems)  # with 140 dp left for the name
        if bar_sp < STYLE.sizes["bar"] * 0.8:  # too small to read: the switches take the whole bar
            bar_sp = (width - 30 - 3 * 36) / sum(ems)
        bar_sp = max(14.0, min(STYLE.sizes["bar"], bar_sp))
        for b, em in zip(switches, ems, strict=True):
            b.font_px = sp(bar_sp)
            b.width = max(dp(self.target_dp), dp(em * bar_sp + 36))
        room = width - 30 - sum(b.width for b in switches) / dp(1)
        title = self.hall_name.render(lang)
        ids.title.text = title if room >= 120 else ""
        ids.title.font_px = sp(fit_sp(title, room, largest=STYLE.sizes["large"], smallest=STYLE.sizes["small"]))

    def render(self) -> None:
        root = self.root
        if root is None or self.stopped:
            return
        self.renders += 1
        lang = self.current_lang
        self._render_header(lang)
        r, b = self.board.rating, self.board
        body = root.ids.body
        body.clear_widgets()
        if r.phase is RatingPhase.NEEDS_TICKET:
            body.add_widget(Widget())
            body.add_widget(label(t("evaluator.idle", lang), kind="title", halign="center", ov_id="eval.idle"))
            body.add_widget(label(b.window_name.render(lang), kind="large", fg="primary", halign="center",
                                  ov_id="eval.window"))
            body.add_widget(Widget())
            return
        if r.phase is RatingPhase.DONE:
            body.add_widget(Widget())
            if r.message is not None:
                body.add_widget(label(r.message.render(lang), kind="title", fg="primary", halign="center",
                                      ov_id="eval.message"))
            body.add_widget(Widget())
            return
        lay = self.layout()
        width = Window.width / dp(1) - 40
        context = b.rating_for.render(lang)
        context_label = label(context, kind="body", fg="text_muted", halign="center", ov_id="eval.context")
        context_label.font_px = sp(fit_sp(context, width, largest=STYLE.sizes["body"],
                                          smallest=STYLE.sizes["body"] * 0.7))
        body.add_widget(context_label)
        # while the reasons are asked, their question takes the prompt's place
        if b.asking_reason:
            prompt = t("evaluator.reasons", lang)
            largest, smallest = STYLE.sizes["large"], STYLE.sizes["body"] * 0.65  # one line: no lone 过）
        else:
            prompt = t("evaluator.prompt", lang, number=b.number or "")
            largest, smallest = STYLE.sizes["title"], STYLE.sizes["body"]
        prompt_label = label(prompt, kind="title", halign="center", ov_id="eval.prompt")
        prompt_label.font_px = sp(fit_sp(prompt, width, largest=largest, smallest=smallest))
        body.add_widget(prompt_label)
        body.add_widget(self._choices(lay, lang))
        if b.asking_reason:
            texts = [(code, text.render(lang), chosen) for code, text, chosen in b.reasons]
            longest = max((txt for _c, txt, _s in texts), key=text_em)
            reason_sp = fit_sp(longest, lay.reason_w_dp - 24, largest=STYLE.sizes["body"],
                               smallest=STYLE.sizes["body"] * 0.7)
            toggles = [button(txt, partial(self.toggle_reason, code), ov_id=f"eval.reason.{code}", role="secondary",
                              selected=chosen, enabled=r.phase is not RatingPhase.SUBMITTING)
                       for code, txt, chosen in texts]
            for toggle in toggles:
                toggle.font_px = sp(reason_sp)
            body.add_widget(grid(toggles, lay.reason_cols, spacing=10))
        if r.message is not None:  # a refusal: the choice stays, the citizen may try again
            body.add_widget(label(r.message.render(lang), kind="body", fg="error_text", bg="error_bg",
                                  halign="center", ov_id="eval.message"))
        body.add_widget(Widget(size_hint_y=0.01))  # what the choices do not take stays above the buttons
        body.add_widget(self._actions(lang))

    def _choices(self, lay: EvaluatorLayout, lang: Lang) -> GridLayout:
        """The five choices, in the height the rest of the page leaves (up to what looks right)."""
        r = self.board.rating
        levels = r.levels
        words = [text.render(lang) for _n, text, _c in levels]
        beside = lay.choice_cols == 1  # a column: the face left of its word
        room = lay.choice_w_dp * (0.62 if beside else 1.0) - 28
        lines = (2 if lang == "en" else 1) if lay.words else 0  # English may wrap between words, Chinese not
        word_sp = min(fit_words_sp(w, room, lines=max(1, lines), largest=lay.word_sp, smallest=14) for w in words)
        if not lay.words:
            words = [""] * len(words)
        box = GridLayout(cols=lay.choice_cols, spacing=dp(12) if lay.choice_cols == 5 else dp(8),
                         size_hint_max_y=dp(lay.choices_max_dp))
        for (n, _text, chosen), word in zip(levels, words, strict=True):
            choice = RatingChoice(level=n, text=word, word_px=sp(word_sp), word_lines=lines,
                                  beside=beside, ov_id=f"rating.level.{n}", selected=chosen,
                                  disabled=r.phase is RatingPhase.SUBMITTING)
            choice.bind(on_release=lambda _w, level=n: self.choose(level))
            box.add_widget(choice)
        return box

    def _actions(self, lang: Lang) -> BoxLayout:
        b = self.board
        busy = b.rating.phase is RatingPhase.SUBMITTING
        buttons = [button(Text("rating.submit").render(lang), self.submit, ov_id="eval.submit", kind="large",
                          enabled=b.can_submit and not busy)]
        if b.asking_reason:
            buttons.insert(0, button(t("evaluator.skip", lang), lambda: self.submit(skip_reasons=True),
                                     ov_id="eval.skip", role="secondary", kind="large", enabled=not busy))
        landscape = Window.width > Window.height
        inner = Window.width / dp(1) - 40
        each = (inner * (0.7 if landscape else 1.0) - 16 * (len(buttons) - 1)) / len(buttons)
        size = min(fit_sp(w.text, each - 28, largest=STYLE.sizes["large"], smallest=STYLE.sizes["body"] * 0.8)
                   for w in buttons)
        row = BoxLayout(orientation="horizontal", size_hint_y=None, spacing=dp(16))
        row.height = max(dp(self.target_dp), dp(size * 1.45 + 20))
        if landscape:  # centred, not stretched across a wide pad
            row.add_widget(Widget(size_hint_x=0.15))
        for w in buttons:
            w.font_px = sp(size)
            w.size_hint_y = 1
            row.add_widget(w)
        if landscape:
            row.add_widget(Widget(size_hint_x=0.15))
        return row
