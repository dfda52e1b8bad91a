"""Appointments: registered ahead, turned into a ticket of the appointment class by checking in on time."""

from __future__ import annotations

from hall_controller.engine import commands as cmd
from hall_controller.engine import events as ev
from hall_controller.engine.checks import fail, illegal, steps_or_fail
from hall_controller.engine.issuing import issued_event, next_number
from hall_controller.engine.state import Appointment, EngineState
from hall_protocol.errors import ErrorCode
from hall_protocol.tickets import Priority


def register(state: EngineState, c: cmd.RegisterAppointment, now: float) -> list[ev.Event]:
    steps = steps_or_fail(state, c.service, c.steps)
    if c.appointment_id in state.appointments:
        illegal(f"appointment {c.appointment_id} exists", "该预约已登记")
    if c.slot_start < state.day_start:
        fail(ErrorCode.EXPIRED, "the slot is in the past", "预约时段已过")
    return [
        ev.AppointmentRegistered(
            request_id=c.request_id,
            at=now,
            appointment_id=c.appointment_id,
            service=c.service,
            steps=steps,
            slot_start=c.slot_start,
            masked_name=c.masked_name,
            id_lookup=c.id_lookup,
        )
    ]


def cancel(state: EngineState, c: cmd.CancelAppointment, now: float) -> list[ev.Event]:
    appt = state.appointments.get(c.appointment_id)
    if appt is None:
        fail(ErrorCode.NOT_FOUND, f"unknown appointment {c.appointment_id!r}", "找不到该预约")
    if appt.ticket_id is not None:
        illegal(f"appointment {c.appointment_id} is checked in: cancel its ticket", "该预约已签到，请取消其号票")
    return [ev.AppointmentCancelled(request_id=c.request_id, at=now, appointment_id=c.appointment_id,
                                    reason=c.reason)]


def _by_lookup(state: EngineState, id_lookup: str, now: float) -> Appointment | None:
    """The citizen's appointment to check in now: of those not checked in yet, the one whose slot is nearest
    (a person may hold several; the nearest one is the one they came for, or the one whose refusal explains)."""
    mine = [a for a in state.appointments.values() if a.id_lookup == id_lookup and a.ticket_id is None]
    return min(mine, key=lambda a: (abs(a.slot_start - now), a.appointment_id), default=None)


def check_in(state: EngineState, c: cmd.CheckIn, now: float) -> list[ev.Event]:
    if c.id_lookup:
        appt = _by_lookup(state, c.id_lookup, now)
    else:
        appt = state.appointments.get(c.appointment_id) if c.appointment_id else None
    if appt is None:
        fail(ErrorCode.NOT_FOUND, f"unknown appointment {c.appointment_id or 'for this ID'!r}", "找不到该预约")
    if appt.ticket_id is not None:
        illegal(f"appointment {appt.appointment_id} already checked in", "该预约已签到")
    rules = state.config.appointments
    if now < appt.slot_start - rules.checkin_early_min * 60:
        fail(
            ErrorCode.CLOSED,
            f"check-in opens {rules.checkin_early_min:g} min before the slot",
            f"请在预约时段前{rules.checkin_early_min:g}分钟内签到",
        )
    if now > appt.slot_start + rules.checkin_late_min * 60:
        fail(
            ErrorCode.EXPIRED,
            f"check-in closed {rules.checkin_late_min:g} min after the slot started; take a ticket",
            f"已超过预约时间{rules.checkin_late_min:g}分钟，请重新取号",
        )
    svc = state.index.services[appt.service]
    seq = next_number(state, svc.prefix)
    return [
        issued_event(
            state,
            c.request_id,
            now,
            service=svc.code,
            steps=appt.steps,
            priority=Priority.APPOINTMENT,
            seq=seq,
            arrival=now,
            order_time=max(now, appt.slot_start),  # early arrivals are not served ahead of their slot
            source_device=c.source_device,
            masked_name=appt.masked_name,
            lang="zh",
            appointment_id=appt.appointment_id,
        )
    ]
