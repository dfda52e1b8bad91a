"""The hall screen's, window display's and evaluator pad's own sentences, merged into ``kiosk.i18n.MESSAGES``.

Kept beside the kiosk's catalog so that neither file grows past what one reader takes in; the rules are the
catalog's (both languages, the same placeholders, tested there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from kiosk.i18n import Lang

BOARD_MESSAGES: Final[dict[str, dict[Lang, str]]] = {
    # hall screen and window display: shown bilingual, Chinese first
    "hall_screen.no_wait": {"zh": "无需等候", "en": "No wait"},
    "hall_screen.offline": {
        "zh": "系统离线 — 请留意窗口叫号",
        "en": "System offline — please watch the window displays",
    },
    "hall_screen.before_outage": {"zh": "离线前的叫号", "en": "Before the outage"},
    "hall_screen.notice": {"zh": "通知", "en": "Notice"},
    # said aloud by a hall screen with [announce] (kiosk/announce.py)
    "hall_screen.announce": {"zh": "请{number}号到{window}办理", "en": "Number {number}, please go to {window}."},
    "hall_screen.announce.recall": {"zh": "再次呼叫：请{number}号到{window}办理",
                                    "en": "Calling again: number {number}, please go to {window}."},
    "window_display.offline": {
        "zh": "系统离线 — 请听从窗口工作人员安排",
        "en": "System offline — please follow the staff at this window",
    },
    # evaluator pad (评价器)
    "evaluator.idle": {"zh": "欢迎您对我们的服务进行评价", "en": "Your opinion of our service is welcome"},
    "evaluator.prompt": {
        "zh": "{number} 号，请您对本次服务进行评价",
        "en": "Number {number}: please rate this service",
    },
    "evaluator.rating_for": {"zh": "评价：{window} · {service}", "en": "Rating: {window} · {service}"},
    "evaluator.reasons": {
        "zh": "请问哪里让您不满意？（可多选，也可跳过）",
        "en": "What went wrong? Choose any, or skip.",
    },
    "evaluator.skip": {"zh": "跳过，直接提交", "en": "Skip and submit"},
    "evaluator.selected": {"zh": "已选", "en": "Chosen"},
}
