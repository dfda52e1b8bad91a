"""What a citizen's phone is told, and in which words (Chinese first; English when the ticket was taken in
English). Never a name: the number on the ticket, the window, how many are ahead."""

from __future__ import annotations

from enum import StrEnum

import msgspec


class NoticeKind(StrEnum):
    PRE_ALERT = "pre-alert"  # "you are next" / "2 ahead"
    CALLED = "called"
    RECALLED = "recalled"
    RECYCLED = "recycled"  # a no-show put back at the queue's tail
    NO_SHOW = "no-show"  # a no-show for good


class Notice(msgspec.Struct, frozen=True, kw_only=True):
    """One message for one ticket, before it is addressed to a contact."""

    kind: NoticeKind
    ticket_id: str
    number: str
    hall_name: str
    lang: str = "zh"
    window: str = ""  # the window's Chinese name (called, recalled)
    window_en: str = ""
    ahead: int = 0  # pre-alert: tickets ahead of this one
    recall_count: int = 0
    recall_limit: int = 0
    status_url: str = ""
    at: float = 0.0
    local_time: str = ""  # ``at`` on the hall's clock, "YYYY-MM-DD HH:MM"

    @property
    def params(self) -> dict[str, str]:
        """Template parameters for platforms that send pre-approved templates (短信模板变量)."""
        out = {"number": self.number}
        if self.window:
            out["window"] = self.window
        if self.kind is NoticeKind.PRE_ALERT:
            out["ahead"] = str(self.ahead)
        if self.kind is NoticeKind.RECALLED:
            out["count"] = str(self.recall_count)
        return out

    def text(self) -> str:
        return english(self) if self.lang == "en" else chinese(self)


def chinese(n: Notice) -> str:
    head = f"【{n.hall_name}】" if n.hall_name else ""
    if n.kind is NoticeKind.PRE_ALERT:
        body = (f"{n.number}号：下一位就是您，请到等候区准备。" if n.ahead == 0
                else f"{n.number}号：前面还有{n.ahead}人，请留意叫号。")
    elif n.kind is NoticeKind.CALLED:
        body = f"请{n.number}号到{n.window}办理。"
    elif n.kind is NoticeKind.RECALLED:
        body = f"第{n.recall_count}次重呼：请{n.number}号尽快到{n.window}，逾时将按过号处理。"
    elif n.kind is NoticeKind.RECYCLED:
        body = f"{n.number}号已过号，已为您重新排到队尾，请留意叫号。"
    else:
        body = f"{n.number}号已过号。如需办理，请重新取号。"
    return head + body


def english(n: Notice) -> str:
    window = n.window_en or n.window
    if n.kind is NoticeKind.PRE_ALERT:
        return (f"Ticket {n.number}: you are next. Please get ready." if n.ahead == 0
                else f"Ticket {n.number}: {n.ahead} ahead of you.")
    if n.kind is NoticeKind.CALLED:
        return f"Ticket {n.number}: please go to {window}."
    if n.kind is NoticeKind.RECALLED:
        return f"Ticket {n.number}, call {n.recall_count}: please go to {window} now, or the ticket lapses."
    if n.kind is NoticeKind.RECYCLED:
        return f"Ticket {n.number} was not answered and is back at the end of the queue."
    return f"Ticket {n.number} was not answered and has lapsed. Please take a new ticket."
