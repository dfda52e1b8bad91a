"""Appointments as people and integrations give them: checked here, turned into the wire request the engine
acts on. Sans-IO (the hall's time zone, check-in key and live state are arguments).

An ID number is never kept: it becomes its keyed hash (``hall_protocol.appointments.id_lookup``) at once,
so a check-in by ID card finds the appointment. A name is masked (张*) before it goes anywhere.

CSV import (UTF-8, with or without BOM, or GB 18030 as spreadsheet programs in China save it), a header row
and these columns (only ``service``, ``date`` and ``time`` are required)::

    appointment_id,service,date,time,name,id_number,steps
    ,SB-CARD,2025-03-10,10:30,张三,110105194912310021,
    ZW-0001,QY-START,2025-03-11,09:00,,,QY-START+SB-CARD

The whole file is checked first; if any row is wrong nothing is imported and every bad row is reported
with its line, field and value (a file half imported would be imported twice when it is sent again).
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time

import msgspec

from hall_controller.engine.clock import zone
from hall_controller.engine.state import EngineState
from hall_protocol.appointments import id_lookup, is_code_id
from hall_protocol.identity import is_valid_id_number, mask_name
from hall_protocol.tickets import RegisterAppointment

MAX_ROWS = 5000
COLUMNS = ("appointment_id", "service", "date", "time", "name", "id_number", "steps")
_TIME = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an appointment: which field, the value given (an ID number is masked), why."""

    field: str
    value: str
    message_zh: str
    message_en: str
    line: int = 0  # the CSV line (1 = the header), 0 for a form or an API call


class AppointmentInput(msgspec.Struct, frozen=True, kw_only=True):
    """An appointment as a form or an integration gives it (``slot_start`` is epoch seconds)."""

    service: str
    slot_start: float
    appointment_id: str = ""
    name: str = ""
    id_number: str = ""
    steps: tuple[str, ...] = ()


def new_appointment_id() -> str:
    """Unguessable (the QR's check digits are not a signature: the id itself must not be guessable)."""
    return "AP" + secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")


def check(given: AppointmentInput, state: EngineState, key: bytes, now: float,
          taken: set[str] | None = None) -> tuple[RegisterAppointment | None, list[Problem]]:
    """The request to send, or the problems (every one, not only the first)."""
    problems: list[Problem] = []
    services = state.index.services
    appt_id = given.appointment_id.strip() or new_appointment_id()
    if not is_code_id(appt_id):
        problems.append(Problem("appointment_id", appt_id, "预约编号须为1-64位字母、数字、_ 或 -",
                                "1-64 letters, digits, _ or -"))
    elif appt_id in state.appointments or appt_id in (taken or set()):
        problems.append(Problem("appointment_id", appt_id, "预约编号已存在", "this appointment id exists"))
    if given.service not in services:
        problems.append(Problem("service", given.service, "没有这项业务", "no such service"))
    steps = tuple(s for s in given.steps if s)
    for s in steps:
        if s not in services:
            problems.append(Problem("steps", s, "没有这项业务", "no such service"))
    if steps and steps[0] != given.service:
        problems.append(Problem("steps", "+".join(steps), "办理步骤须以所选业务开始",
                                "steps must start with the service"))
    if given.slot_start < now - 60:
        problems.append(Problem("slot_start", _local(given.slot_start, state), "预约时间已过",
                                "the slot is in the past"))
    number = given.id_number.strip().upper()
    if number and not is_valid_id_number(number):
        problems.append(Problem("id_number", _masked_id(number), "身份证号码无效", "not a valid ID number"))
    name = given.name.strip()
    if len(name) > 20:
        problems.append(Problem("name", mask_name(name), "姓名过长", "name too long"))
    if number and not key:
        problems.append(Problem("id_number", _masked_id(number), "本大厅未配置签到密钥，不能按身份证预约",
                                "this hall has no check-in key"))
    if problems:
        return None, problems
    return RegisterAppointment(
        request_id=f"appt-{appt_id}", appointment_id=appt_id, service=given.service, slot_start=given.slot_start,
        steps=steps, masked_name=mask_name(name)[:8], id_lookup=id_lookup(key, number) if number else "",
    ), []


def slot_of(day: str, hhmm: str, tz: str) -> float:
    """Epoch seconds of local ``day`` ``hhmm``; ValueError when either is not a date or a time."""
    if not _TIME.match(hhmm.strip()):
        raise ValueError("time")
    h, m = (int(x) for x in hhmm.strip().split(":"))
    return datetime.combine(date.fromisoformat(day.strip()), time(h, m), zone(tz)).timestamp()


def _local(ts: float, state: EngineState) -> str:
    return datetime.fromtimestamp(ts, zone(state.config.hall.timezone)).strftime("%Y-%m-%d %H:%M")


def _masked_id(number: str) -> str:
    return number[:3] + "*" * max(0, len(number) - 7) + number[-4:] if len(number) > 7 else "*" * len(number)


def decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError("not UTF-8 or GB 18030 text")


def parse_csv(text: str, state: EngineState, key: bytes, now: float
              ) -> tuple[list[RegisterAppointment], list[Problem]]:
    """Every row checked; the requests only when there is no problem at all (see the module docstring)."""
    reader = csv.reader(io.StringIO(text))
    rows = [(reader.line_num, row) for row in reader]
    if not rows:
        return [], [Problem("file", "", "文件为空", "the file is empty", line=1)]
    header = [h.strip().lower() for h in rows[0][1]]
    missing = [c for c in ("service", "date", "time") if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    if missing or unknown:
        return [], [Problem("header", ",".join(rows[0][1]),
                            f"表头须包含 service、date、time，且只能有 {'、'.join(COLUMNS)}",
                            f"the header needs service, date, time and only {', '.join(COLUMNS)}", line=1)]
    if len(rows) - 1 > MAX_ROWS:
        return [], [Problem("file", str(len(rows) - 1), f"一次最多导入{MAX_ROWS}行", f"at most {MAX_ROWS} rows",
                            line=1)]
    requests: list[RegisterAppointment] = []
    problems: list[Problem] = []
    taken: set[str] = set()
    tz = state.config.hall.timezone
    for line, row in rows[1:]:
        if not any(cell.strip() for cell in row):
            continue
        cells = dict(zip(header, (c.strip() for c in row), strict=False))
        day, hhmm = cells.get("date", ""), cells.get("time", "")
        try:
            slot = slot_of(day, hhmm, tz)
        except ValueError:
            bad = ("date", day) if not _is_date(day) else ("time", hhmm)
            problems.append(Problem(*bad, "日期或时间格式错误（YYYY-MM-DD，HH:MM）", "not YYYY-MM-DD / HH:MM",
                                    line=line))
            continue
        given = AppointmentInput(service=cells.get("service", ""), slot_start=slot,
                                 appointment_id=cells.get("appointment_id", ""), name=cells.get("name", ""),
                                 id_number=cells.get("id_number", ""),
                                 steps=tuple(re.split(r"[+;；]", cells["steps"])) if cells.get("steps") else ())
        request, found = check(given, state, key, now, taken)
        problems += [Problem(p.field, p.value, p.message_zh, p.message_en, line=line) for p in found]
        if request is not None:
            taken.add(request.appointment_id)
            requests.append(request)
    return ([] if problems else requests), problems


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value.strip())
    except ValueError:
        return False
    return True
