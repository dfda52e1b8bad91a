"""The device UIs' message catalog: Simplified Chinese first, English switchable.

Every sentence a citizen reads on a device UI is here: the kiosk's screens, the hall screen, the window
display (and its LED), the evaluator pad. Nothing that arrives over the wire is shown as a sentence: a
refusal is worded here from its ``ErrorCode`` (:func:`refusal`), an accepted but unconfirmed reply from its
kind (a provisional ticket, a queued rating), and a device problem from its health reason codes.

View-models never hold finished strings; they hold :class:`Text` (a catalog key plus parameters) or
:class:`Bilingual` (data that arrives in both languages, such as a service name from hall.toml). The screen
renders either with the citizen's current language, so switching language re-renders without asking the
view-model again.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal, TypeAlias

from hall_protocol.errors import ErrorCode
from kiosk.i18n_boards import BOARD_MESSAGES

Lang: TypeAlias = Literal["zh", "en"]
LANGS: Final[tuple[Lang, ...]] = ("zh", "en")
DEFAULT_LANG: Final[Lang] = "zh"


class MissingMessage(KeyError):
    """A key that is not in the catalog: a programming error, caught by the completeness test."""


@dataclass(frozen=True, slots=True)
class Bilingual:
    zh: str
    en: str = ""

    def render(self, lang: Lang) -> str:
        # data without an English version still shows something rather than a blank
        return self.en if lang == "en" and self.en else self.zh


Param: TypeAlias = "str | int | float | Text | Bilingual"


class Text:
    """A catalog key with its parameters; ``render(lang)`` gives the string."""

    __slots__ = ("key", "params")

    def __init__(self, key: str, /, **params: Param) -> None:
        self.key = key
        self.params = params

    def render(self, lang: Lang) -> str:
        return t(self.key, lang, **self.params)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and other.key == self.key and other.params == self.params

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"Text({self.key!r}, {self.params!r})"


Display: TypeAlias = Text | Bilingual


def render(value: Param, lang: Lang) -> str:
    if isinstance(value, Text | Bilingual):
        return value.render(lang)
    return str(value)


def t(key: str, lang: Lang = DEFAULT_LANG, /, **params: Param) -> str:
    """The message ``key`` in ``lang`` with ``{name}`` placeholders filled from ``params``."""
    try:
        entry = MESSAGES[key]
    except KeyError as err:
        raise MissingMessage(key) from err
    template = entry.get(lang) or entry[DEFAULT_LANG]
    return template.format_map({k: render(v, lang) for k, v in params.items()})


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Asked(StrEnum):
    """What the citizen asked the hall for: the same refusal reads differently for each."""

    TICKET = "ticket"  # a ticket, or an appointment check-in
    RATING = "rating"


# A refusal's wording by what was asked and the reply's code; a code not listed gets the ask's general key.
REFUSALS: Final[dict[Asked, dict[ErrorCode, str]]] = {
    Asked.TICKET: {
        ErrorCode.CAP_REACHED: "ticket.error.cap_reached",
        ErrorCode.CLOSED: "ticket.error.closed",
        ErrorCode.UNAVAILABLE: "ticket.error.unavailable",
        ErrorCode.TIMEOUT: "ticket.error.unavailable",
        ErrorCode.NOT_FOUND: "ticket.error.not_found",
        ErrorCode.EXPIRED: "ticket.error.expired",
        ErrorCode.FORBIDDEN: "ticket.error.forbidden",
    },
    Asked.RATING: {},
}
REFUSAL_FALLBACK: Final[dict[Asked, str]] = {Asked.TICKET: "ticket.error.other", Asked.RATING: "rating.error"}


def refusal(asked: Asked, code: ErrorCode, /, **params: Param) -> Text:
    """What the citizen reads about a refused request: chosen by its code, never taken from the reply."""
    return Text(REFUSALS[asked].get(code, REFUSAL_FALLBACK[asked]), **params)


# The catalog. Keys are grouped by screen; a key's zh and en take the same placeholders (tested).
MESSAGES: Final[dict[str, dict[Lang, str]]] = {
    # common
    "common.back": {"zh": "返回", "en": "Back"},
    "common.home": {"zh": "首页", "en": "Home"},
    "common.next_page": {"zh": "下一页", "en": "Next page"},
    "common.prev_page": {"zh": "上一页", "en": "Previous page"},
    "common.page": {"zh": "第 {page}/{pages} 页", "en": "Page {page} of {pages}"},
    "common.retry": {"zh": "重试", "en": "Try again"},
    "common.cancel": {"zh": "取消", "en": "Cancel"},
    "common.confirm": {"zh": "确定", "en": "OK"},
    "common.lang_switch": {"zh": "English", "en": "中文"},
    "common.elder_on": {"zh": "长辈版", "en": "Large text"},
    "common.elder_off": {"zh": "标准版", "en": "Standard view"},
    "common.offline_banner": {
        "zh": "大厅网络暂时中断：取到的是临时号，网络恢复后自动确认。",
        "en": "The hall network is down: tickets are provisional and will be confirmed automatically.",
    },
    "common.demo_banner": {"zh": "演示数据", "en": "Demo data"},
    "common.help_desk": {"zh": "咨询台", "en": "the information desk"},
    "common.speak": {"zh": "朗读", "en": "Read aloud"},
    "common.done": {"zh": "办完了，返回首页", "en": "Done: back to the start"},
    "common.close": {"zh": "关闭", "en": "Close"},
    "common.qr_title": {"zh": "请用手机扫码", "en": "Scan with your phone"},
    "common.agent_down": {"zh": "本机服务连接中断，正在重连……", "en": "Reconnecting to the device service…"},
    "common.hall_offline": {"zh": "大厅网络中断", "en": "Hall network down"},
    # attract
    "attract.touch_to_start": {"zh": "请刷身份证、社保卡或扫码开始", "en": "Tap a card or scan a code to start"},
    "attract.browse_without_id": {"zh": "不刷卡，先看看", "en": "Browse without identifying"},
    "attract.start": {"zh": "开始办理", "en": "Start"},
    "attract.checkin": {"zh": "预约签到", "en": "Appointment check-in"},
    "attract.rate": {"zh": "服务评价", "en": "Rate a service"},
    "attract.slide.welcome.title": {"zh": "欢迎来到{hall}", "en": "Welcome to {hall}"},
    "attract.slide.welcome.body": {
        "zh": "取号、查材料、打印证照、查进度，在这台自助机上都能办。",
        "en": "Take a ticket, check materials, print licences and follow your case here.",
    },
    "attract.slide.one_thing.title": {"zh": "一件事一次办", "en": "One visit for one life event"},
    "attract.slide.one_thing.body": {
        "zh": "出生、入学、退休、开店……一张号，一套材料，一次办好。",
        "en": "Birth, school, retirement, opening a shop: one ticket, one set of papers, done in one visit.",
    },
    "attract.slide.elder.title": {"zh": "长辈版", "en": "Large-text mode"},
    "attract.slide.elder.body": {
        "zh": "点右上角“长辈版”，字更大、按钮更大，每页内容更少。",
        "en": "Tap “Large text” at the top right for bigger text and buttons.",
    },
    "attract.slide.print.title": {"zh": "自助打印", "en": "Self-service printing"},
    "attract.slide.print.body": {
        "zh": "回执、电子证照、办件材料，刷身份证即可打印。",
        "en": "Receipts, e-licences and case documents: identify with your ID card and print.",
    },
    # identify
    "identify.title": {"zh": "请选择身份核验方式", "en": "How would you like to identify?"},
    "identify.method.id_card": {"zh": "刷身份证", "en": "Resident ID card"},
    "identify.method.ssc": {"zh": "刷社保卡", "en": "Social security card"},
    "identify.method.eid_qr": {"zh": "扫电子身份证二维码", "en": "Scan e-ID QR code"},
    "identify.method.manual": {"zh": "手动输入身份证号", "en": "Type your ID number"},
    "identify.prompt.id_card": {"zh": "请将身份证放在感应区", "en": "Place your ID card on the reader"},
    "identify.prompt.ssc": {"zh": "请插入或放置社保卡", "en": "Insert or place your social security card"},
    "identify.prompt.eid_qr": {
        "zh": "请将手机上的二维码对准摄像头",
        "en": "Hold the QR code on your phone to the camera",
    },
    "identify.prompt.manual": {"zh": "请输入18位身份证号码", "en": "Enter your 18-character ID number"},
    "identify.keypad.count": {"zh": "已输入 {count}/18 位", "en": "{count} of 18 entered"},
    "identify.keypad.backspace": {"zh": "退格", "en": "Delete"},
    "identify.keypad.clear": {"zh": "清空", "en": "Clear"},
    "identify.keypad.submit": {"zh": "确认", "en": "Confirm"},
    "identify.error.incomplete": {"zh": "身份证号码应为18位，请补全。", "en": "An ID number has 18 characters."},
    "identify.error.check_digit": {
        "zh": "号码校验不通过，请核对后重新输入。",
        "en": "That number does not check out. Please check it and type it again.",
    },
    "identify.error.card_read": {
        "zh": "没有读到卡片信息，请重新放卡，或改用其他方式。",
        "en": "The card could not be read. Please try again or choose another way.",
    },
    "identify.error.qr_invalid": {
        "zh": "二维码无法识别或已过期，请在手机上刷新后重试。",
        "en": "The QR code could not be used or has expired. Refresh it on your phone and try again.",
    },
    "identify.error.verifier_unavailable": {
        "zh": "电子身份证核验暂时不可用，请改用身份证或手动输入。",
        "en": "e-ID checking is unavailable right now. Please use your ID card or type your number.",
    },
    "identify.greeting": {"zh": "{name}，您好！", "en": "Hello, {name}!"},
    "identify.greeting_anonymous": {"zh": "您好！", "en": "Hello!"},
    # service finder
    "finder.title": {"zh": "您要办什么事？", "en": "What would you like to do?"},
    "finder.tab.life": {"zh": "个人办事", "en": "Life events"},
    "finder.tab.business": {"zh": "企业办事", "en": "For businesses"},
    "finder.tab.departments": {"zh": "按部门", "en": "By department"},
    "finder.tab.search": {"zh": "搜索", "en": "Search"},
    "finder.search.placeholder": {
        "zh": "输入名称或拼音首字母，如 sbk",
        "en": "Type a name or pinyin initials, e.g. sbk",
    },
    "finder.search.no_results": {
        "zh": "没有找到“{query}”，换个说法试试，或到咨询台询问。",
        "en": "Nothing found for “{query}”. Try other words or ask at the information desk.",
    },
    "finder.item.package": {"zh": "一件事 · {count} 项业务一次办", "en": "One visit · {count} services"},
    "finder.item.kiosk": {"zh": "本机可办", "en": "Can be done here"},
    "finder.item.department": {"zh": "{department}", "en": "{department}"},
    "finder.search.delete": {"zh": "删除", "en": "Delete"},
    "finder.search.clear": {"zh": "清空", "en": "Clear"},
    # guide
    "guide.title": {"zh": "{name}：回答几个问题，生成您的材料清单", "en": "{name}: a few questions for your checklist"},
    "guide.progress": {"zh": "第 {n} 题 / 共 {total} 题", "en": "Question {n} of {total}"},
    "guide.checklist.title": {"zh": "您需要准备的材料（{count} 项）", "en": "What to bring ({count} items)"},
    "guide.checklist.empty": {"zh": "无需额外材料。", "en": "Nothing extra to bring."},
    "guide.checklist.print": {"zh": "打印清单", "en": "Print the checklist"},
    "guide.checklist.qr": {"zh": "扫码带走清单", "en": "Scan to take the list with you"},
    "guide.checklist.take_ticket": {"zh": "材料齐全，取号办理", "en": "I have everything: take a ticket"},
    "guide.checklist.printed": {"zh": "清单已打印，请取走。", "en": "Your checklist is printed."},
    "guide.checklist.footer": {
        "zh": "材料以窗口审核为准；可共享获取的证照无需重复提交。",
        "en": "The window makes the final check; documents the hall can look up need not be brought.",
    },
    "guide.restart": {"zh": "重新回答", "en": "Start over"},
    # ticket
    "ticket.requesting": {"zh": "正在取号，请稍候……", "en": "Getting your ticket…"},
    "ticket.your_number": {"zh": "您的号码", "en": "Your number"},
    "ticket.where.zone": {"zh": "请到 {zone} 等候叫号", "en": "Please wait in {zone}"},
    "ticket.where.window": {"zh": "请到 {window} 办理", "en": "Please go to {window}"},
    "ticket.position.next": {"zh": "您是下一位", "en": "You are next"},
    "ticket.position.ahead": {"zh": "前面还有 {ahead} 人", "en": "{ahead} ahead of you"},
    "ticket.wait.range": {"zh": "预计等候 {low}–{high} 分钟", "en": "Estimated wait {low}–{high} min"},
    "ticket.wait.about": {"zh": "预计等候约 {minutes} 分钟", "en": "Estimated wait about {minutes} min"},
    "ticket.wait.soon": {"zh": "马上就到您", "en": "Almost your turn"},
    "ticket.qr_hint": {
        "zh": "微信扫码，在手机上查看排队进度，叫号时会通知您",
        "en": "Scan to follow the queue on your phone; you will be notified when called",
    },
    "ticket.steps": {"zh": "本次共 {count} 项业务，按顺序办理", "en": "{count} services in this visit, in order"},
    "ticket.provisional": {
        "zh": "临时号：大厅网络暂时中断，号码有效，网络恢复后自动确认排队位置。",
        "en": "Provisional ticket: the hall network is down. Your number is valid; "
        "your place is confirmed when the network is back.",
    },
    "ticket.printed": {"zh": "请取走号票", "en": "Please take your ticket"},
    "ticket.kiosk_route": {
        "zh": "“{service}”在这台自助机上就能办，无需排队。",
        "en": "“{service}” can be done right here at this kiosk, no queue needed.",
    },
    "ticket.reprint": {"zh": "重新打印", "en": "Print again"},
    "ticket.checkin.title": {"zh": "预约签到", "en": "Appointment check-in"},
    "ticket.checkin.by_qr": {"zh": "扫预约二维码签到", "en": "Scan your appointment QR code"},
    "ticket.checkin.by_id": {"zh": "刷身份证签到", "en": "Check in with your ID"},
    "ticket.checkin.done": {"zh": "签到成功", "en": "You are checked in"},
    "ticket.checkin.bad_qr": {
        "zh": "这不是预约二维码，请出示预约成功后收到的二维码。",
        "en": "This is not an appointment QR code. Please show the code from your booking.",
    },
    "ticket.checkin.needs_identity": {"zh": "请先刷身份证。", "en": "Please identify with your ID first."},
    "ticket.error.cap_reached": {
        "zh": "今天“{service}”的号已经取完了。请明天再来，或在网上、手机上办理。",
        "en": "All of today's tickets for “{service}” are taken. Please come back tomorrow or apply online.",
    },
    "ticket.error.closed": {
        "zh": "现在不是“{service}”的取号时间。请在办理时间内再来，或在网上办理。",
        "en": "Tickets for “{service}” are not being issued now. Please come back during opening hours.",
    },
    "ticket.error.unavailable": {
        "zh": "暂时连不上大厅系统，请稍后点“重试”，或到咨询台取号。",
        "en": "The hall system cannot be reached. Tap “Try again” shortly, or ask at the information desk.",
    },
    "ticket.error.not_found": {
        "zh": "没有找到这项业务或预约，请到咨询台询问。",
        "en": "That service or appointment was not found. Please ask at the information desk.",
    },
    "ticket.error.expired": {
        "zh": "预约已过签到时间，请到咨询台，工作人员会为您安排。",
        "en": "The check-in time for this appointment has passed. Please ask at the information desk.",
    },
    "ticket.error.forbidden": {
        "zh": "这台自助机不能办理此项，请到咨询台。",
        "en": "This kiosk cannot do that. Please ask at the information desk.",
    },
    "ticket.error.other": {
        "zh": "取号没有成功，请到咨询台，工作人员会帮您。",
        "en": "The ticket could not be issued. Please ask at the information desk.",
    },
    # self print
    "print.title": {"zh": "自助打印", "en": "Self-service printing"},
    "print.needs_identity": {"zh": "请先刷身份证，查询您名下的文件。", "en": "Please identify to see your documents."},
    "print.loading": {"zh": "正在查询您的文件……", "en": "Looking up your documents…"},
    "print.none": {"zh": "没有查到可打印的文件。", "en": "No documents to print were found."},
    "print.kind.receipt": {"zh": "受理回执", "en": "Receipt"},
    "print.kind.licence": {"zh": "电子证照", "en": "E-licence"},
    "print.kind.case": {"zh": "办件材料", "en": "Case document"},
    "print.pages": {"zh": "{pages} 页", "en": "{pages} page(s)"},
    "print.printing": {"zh": "正在打印，请稍候……", "en": "Printing…"},
    "print.done": {"zh": "打印完成，请取走文件。", "en": "Printed. Please take your document."},
    "print.selected": {"zh": "打印所选文件", "en": "Print the selected document"},
    "print.error.timeout": {
        "zh": "文件服务响应太慢，请稍后重试。",
        "en": "The document service is too slow right now. Please try again shortly.",
    },
    "print.error.unavailable": {
        "zh": "文件服务暂时不可用，请稍后重试，或到咨询台。",
        "en": "The document service is unavailable. Please try again later or ask at the information desk.",
    },
    "print.error.not_found": {"zh": "这份文件已无法获取。", "en": "That document is no longer available."},
    # progress
    "progress.title": {"zh": "办件进度查询", "en": "Case progress"},
    "progress.needs_identity": {"zh": "请先刷身份证，查询您的办件。", "en": "Please identify to see your cases."},
    "progress.loading": {"zh": "正在查询……", "en": "Looking up…"},
    "progress.none": {"zh": "没有查到您的办件。", "en": "No cases were found."},
    "progress.case": {"zh": "办件编号 {case_no}", "en": "Case {case_no}"},
    "progress.updated": {"zh": "更新于 {when}", "en": "Updated {when}"},
    "progress.status.accepted": {"zh": "已受理", "en": "Accepted"},
    "progress.status.in_review": {"zh": "审核中", "en": "Under review"},
    "progress.status.needs_material": {"zh": "需补正材料", "en": "More documents needed"},
    "progress.status.approved": {"zh": "已办结", "en": "Completed"},
    "progress.status.rejected": {"zh": "不予受理", "en": "Not accepted"},
    "progress.status.ready": {"zh": "可领取", "en": "Ready to collect"},
    # rating
    "rating.title": {"zh": "请您评价本次服务", "en": "Please rate the service"},
    "rating.scan_ticket": {"zh": "请扫描号票上的二维码", "en": "Scan the QR code on your ticket"},
    "rating.bad_ticket_qr": {
        "zh": "没有认出号票二维码，请把号票上的二维码对准摄像头。",
        "en": "That is not a ticket QR code. Hold the code on your ticket to the camera.",
    },
    "rating.level.5": {"zh": "非常满意", "en": "Very satisfied"},
    "rating.level.4": {"zh": "满意", "en": "Satisfied"},
    "rating.level.3": {"zh": "基本满意", "en": "Fairly satisfied"},
    "rating.level.2": {"zh": "不满意", "en": "Dissatisfied"},
    "rating.level.1": {"zh": "非常不满意", "en": "Very dissatisfied"},
    "rating.reasons": {"zh": "可选：原因（可多选）", "en": "Optional: why? (choose any)"},
    "rating.reason.fast": {"zh": "办理快捷", "en": "Quick"},
    "rating.reason.polite": {"zh": "态度热情", "en": "Friendly staff"},
    "rating.reason.clear": {"zh": "讲解清楚", "en": "Clear explanations"},
    "rating.reason.one_visit": {"zh": "一次办成", "en": "Done in one visit"},
    "rating.reason.slow": {"zh": "等候时间长", "en": "Long wait"},
    "rating.reason.attitude": {"zh": "服务态度差", "en": "Unfriendly staff"},
    "rating.reason.unclear": {"zh": "告知不清楚", "en": "Unclear information"},
    "rating.reason.repeat_visits": {"zh": "多次跑动", "en": "Had to come more than once"},
    "rating.reason.repeat_materials": {"zh": "重复提交材料", "en": "Asked for the same papers again"},
    "rating.submit": {"zh": "提交评价", "en": "Submit"},
    "rating.choose_level": {"zh": "请先选择满意程度。", "en": "Please choose a rating first."},
    "rating.thanks": {"zh": "感谢您的评价！", "en": "Thank you for your feedback!"},
    "rating.follow_up": {
        "zh": "我们会在规定时间内回访处理，谢谢您的监督。",
        "en": "We will follow this up with you within the set time. Thank you.",
    },
    "rating.error": {
        "zh": "评价没有提交成功，请稍后重试。",
        "en": "Your rating could not be sent. Please try again.",
    },
    "rating.queued": {
        "zh": "{outcome}评价已保存在本机，大厅网络恢复后自动提交。",
        "en": "{outcome} Your rating is saved on this device and sent when the hall network is back.",
    },
    # faults
    "fault.printer.paper_out.title": {"zh": "打印机缺纸", "en": "The printer is out of paper"},
    "fault.printer.paper_out.ticket": {
        "zh": "号票没能打印，但号码已取到。请用手机扫下面的二维码保存号码，或记下号码。",
        "en": "Your ticket could not be printed, but your number is taken. "
        "Scan the QR code with your phone or note the number.",
    },
    "fault.printer.paper_out.document": {
        "zh": "文件没能打印。",
        "en": "Your document could not be printed.",
    },
    "fault.printer.fault.title": {"zh": "打印机暂时故障", "en": "The printer is not working"},
    "fault.device.title": {"zh": "设备暂时故障", "en": "A device is not working"},
    "fault.reader.title": {"zh": "读卡器暂时不可用", "en": "The card reader is not working"},
    "fault.reader.next": {
        "zh": "请改用扫码或手动输入身份证号。",
        "en": "Please scan your e-ID QR code or type your ID number instead.",
    },
    "fault.camera.title": {"zh": "摄像头暂时不可用", "en": "The camera is not working"},
    "fault.camera.next": {
        "zh": "请改用身份证或手动输入身份证号。",
        "en": "Please use your ID card or type your ID number instead.",
    },
    "fault.next.window": {
        "zh": "需要帮助请到 {window}，工作人员会协助您。",
        "en": "For help, please go to {window}; staff there will assist you.",
    },
    "fault.next.help_desk": {
        "zh": "需要帮助请到咨询台，工作人员会协助您。",
        "en": "For help, please go to the information desk.",
    },
    "fault.hall_offline.title": {"zh": "大厅网络暂时中断", "en": "The hall network is down"},
    "fault.hall_offline.next": {
        "zh": "仍可取临时号，号码有效；网络恢复后自动确认。",
        "en": "You can still take a provisional ticket; it is confirmed when the network is back.",
    },
    # idle
    "idle.warning": {
        "zh": "{seconds} 秒后将返回首页，您的信息会被清除。",
        "en": "Returning to the start in {seconds} s; your details will be cleared.",
    },
    "idle.continue": {"zh": "继续办理", "en": "Continue"},
    # the kiosk at 1080x1920 (issue 15): frame, feedback, elder pop-ups
    "common.volume": {"zh": "音量", "en": "Volume"},
    # the header's clock (issue 15): the date as a citizen says it
    "common.date": {"zh": "{month}{day}日 {weekday}", "en": "{weekday} {day} {month}"},
    "weekday.mon": {"zh": "星期一", "en": "Mon"},
    "weekday.tue": {"zh": "星期二", "en": "Tue"},
    "weekday.wed": {"zh": "星期三", "en": "Wed"},
    "weekday.thu": {"zh": "星期四", "en": "Thu"},
    "weekday.fri": {"zh": "星期五", "en": "Fri"},
    "weekday.sat": {"zh": "星期六", "en": "Sat"},
    "weekday.sun": {"zh": "星期日", "en": "Sun"},
    "month.jan": {"zh": "1月", "en": "Jan"},
    "month.feb": {"zh": "2月", "en": "Feb"},
    "month.mar": {"zh": "3月", "en": "Mar"},
    "month.apr": {"zh": "4月", "en": "Apr"},
    "month.may": {"zh": "5月", "en": "May"},
    "month.jun": {"zh": "6月", "en": "Jun"},
    "month.jul": {"zh": "7月", "en": "Jul"},
    "month.aug": {"zh": "8月", "en": "Aug"},
    "month.sep": {"zh": "9月", "en": "Sep"},
    "month.oct": {"zh": "10月", "en": "Oct"},
    "month.nov": {"zh": "11月", "en": "Nov"},
    "month.dec": {"zh": "12月", "en": "Dec"},
    "ticket.wait.none": {"zh": "无需等候", "en": "No wait"},
    "ticket.printing": {"zh": "正在打印号票，请稍候……", "en": "Printing your ticket…"},
    "ticket.no_paper_help": {
        "zh": "号票打印不出来：请记下号码或用手机扫码保存；需要帮助请到咨询台。",
        "en": "The ticket cannot be printed: note the number or scan the code; for help, ask at the information desk.",
    },
    "common.end_session": {"zh": "结束办理", "en": "Finish and clear"},
    "where.scanner": {
        "zh": "请将二维码对准{where}的扫码窗口（红点处）",
        "en": "Hold the code to the scanner {where} (red dot)",
    },
    # the start screen's facts about the hall, and what it says at once when the hall is offline
    "attract.today": {"zh": "今日大厅", "en": "The hall today"},
    "attract.shortcuts": {"zh": "常办事项", "en": "Most asked for"},
    "attract.hours": {"zh": "办理时间 {opens}–{closes}", "en": "Open {opens}–{closes}"},
    "attract.offline.title": {
        "zh": "网络中断：可先取临时号票",
        "en": "Network down: you can still take a provisional ticket",
    },
    "attract.offline.body": {
        "zh": "临时号有效，网络恢复后自动确认。",
        "en": "It is valid, and is confirmed automatically when the network is back.",
    },
    "where.card_reader": {"zh": "读卡区在{where}（红点处）", "en": "The card reader is {where} (red dot)"},
    "where.below-left": {"zh": "屏幕下方左侧", "en": "below the screen, on the left"},
    "where.below-centre": {"zh": "屏幕正下方", "en": "below the screen, in the middle"},
    "where.below-right": {"zh": "屏幕下方右侧", "en": "below the screen, on the right"},
    "where.right-side": {"zh": "机身右侧", "en": "on the right side of the kiosk"},
    # hall screen (大厅综合屏): Chinese on top, English below, both always shown
    "hall_screen.calls_title": {"zh": "请以下号码到窗口办理", "en": "Now serving"},
    "hall_screen.queues_title": {"zh": "各业务排队情况", "en": "Queues"},
    "hall_screen.col_service": {"zh": "业务", "en": "Service"},
    "hall_screen.col_waiting": {"zh": "等候", "en": "Waiting"},
    "hall_screen.col_wait": {"zh": "预计", "en": "Est. wait"},
    "hall_screen.wait_min": {"zh": "{minutes} 分钟", "en": "{minutes} min"},
    "hall_screen.closed": {"zh": "暂停取号", "en": "Closed"},
    "hall_screen.no_calls": {"zh": "暂无叫号", "en": "No calls yet"},
    "hall_screen.waiting_total": {"zh": "当前等候 {count} 人", "en": "{count} people waiting"},
    "hall_screen.recall": {"zh": "重呼", "en": "Recall"},
    "hall_screen.no_data": {"zh": "正在获取大厅信息……", "en": "Waiting for the hall…"},
    # window display (窗口屏) and its LED (Chinese only: an LED display carries no second language)
    "window_display.calling": {
        "zh": "请 {number} 号到本窗口办理",
        "en": "Number {number}, please come to this window",
    },
    "window_display.serving": {"zh": "正在办理 {number} 号", "en": "Now serving {number}"},
    "window_display.idle": {"zh": "欢迎光临", "en": "Welcome"},
    "window_display.paused": {"zh": "暂停服务，请稍候", "en": "Paused, please wait"},
    "window_display.closed": {"zh": "本窗口暂停受理", "en": "This window is closed"},
    "window_display.led.number": {"zh": "请{number}号", "en": "No. {number}"},
    "window_display.led.window": {"zh": "到{window}", "en": "to {window}"},
    "window_display.led.paused": {"zh": "暂停服务", "en": "Paused"},
    "window_display.led.closed": {"zh": "暂停受理", "en": "Closed"},
    "window_display.led.welcome": {"zh": "欢迎光临", "en": "Welcome"},
    **BOARD_MESSAGES,  # the boards' own sentences, and the evaluator pad's
}
