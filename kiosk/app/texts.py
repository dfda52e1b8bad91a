"""Words the device screens need beyond the view-models' catalog (chrome, hall screen, evaluator).

Simplified Chinese first, English second; ``{name}`` placeholders are the same in both (tested).
"""

from __future__ import annotations

from typing import Final

from kiosk.i18n import Bilingual, Lang

UI_TEXT: Final[dict[str, Bilingual]] = {
    "speak": Bilingual("朗读", "Read aloud"),
    "volume": Bilingual("音量 {volume}", "Volume {volume}"),
    "louder": Bilingual("大声", "Louder"),
    "softer": Bilingual("小声", "Softer"),
    "start": Bilingual("开始办理", "Start"),
    "checkin": Bilingual("预约签到", "Appointment check-in"),
    "rate": Bilingual("服务评价", "Rate a service"),
    "agent_down": Bilingual("本机服务连接中断，正在重连……", "Reconnecting to the device service…"),
    "hall_online": Bilingual("大厅网络正常", "Hall network OK"),
    "hall_offline": Bilingual("大厅网络中断", "Hall network down"),
    "search_keys": Bilingual("按拼音首字母搜索", "Search by pinyin initials"),
    "search_clear": Bilingual("清空", "Clear"),
    "search_delete": Bilingual("删除", "Delete"),
    "qr_title": Bilingual("请用手机扫码", "Scan with your phone"),
    "close": Bilingual("关闭", "Close"),
    "print_selected": Bilingual("打印所选文件", "Print the selected document"),
    "reprint": Bilingual("重新打印", "Print again"),
    "done": Bilingual("办完了，返回首页", "Done: back to the start"),
    "scan_waiting": Bilingual("正在等待扫码……", "Waiting for a code…"),
    "continue_to_services": Bilingual("继续选择业务", "Continue"),
    # hall screen
    "calls_title": Bilingual("请以下号码到窗口办理", "Now serving"),
    "col_number": Bilingual("号码", "Number"),
    "col_window": Bilingual("窗口", "Window"),
    "col_name": Bilingual("姓名", "Name"),
    "queues_title": Bilingual("各业务排队情况", "Queues"),
    "col_service": Bilingual("业务", "Service"),
    "col_waiting": Bilingual("等候", "Waiting"),
    "col_wait": Bilingual("预计", "Est. wait"),
    "wait_min": Bilingual("{minutes} 分钟", "{minutes} min"),
    "closed": Bilingual("暂停取号", "Closed"),
    "no_calls": Bilingual("暂无叫号", "No calls yet"),
    "waiting_total": Bilingual("当前等候 {count} 人", "{count} people waiting"),
    "recall": Bilingual("重呼", "Recall"),
    "no_data": Bilingual("正在获取大厅信息……", "Waiting for the hall…"),
    # window display
    "window_calling": Bilingual("请 {number} 号到本窗口办理", "Number {number}, please come to this window"),
    "window_serving": Bilingual("正在办理 {number} 号", "Now serving {number}"),
    "window_idle": Bilingual("欢迎光临", "Welcome"),
    "window_paused": Bilingual("暂停服务，请稍候", "Paused, please wait"),
    "window_closed": Bilingual("本窗口暂停受理", "This window is closed"),
    # evaluator
    "eval_idle": Bilingual("欢迎您对我们的服务进行评价", "Your opinion of our service is welcome"),
    "eval_prompt": Bilingual("{number} 号，请您对本次服务进行评价", "Number {number}: please rate this service"),
    "eval_thanks": Bilingual("感谢您的评价！", "Thank you for your rating!"),
}


def ui(key: str, lang: Lang, /, **params: object) -> str:
    template = UI_TEXT[key].render(lang)
    return template.format(**params) if params else template
