"""Translation of ``hall_protocol`` RPC requests into engine commands, and of lease events into replies."""

from __future__ import annotations

from hall_controller.engine import commands as cmd
from hall_controller.engine.errors import EngineError
from hall_controller.engine.events import BlockLeased
from hall_protocol import appointments
from hall_protocol import tickets as wire
from hall_protocol.errors import ErrorCode


def command_from_request(req: wire.RpcRequest) -> cmd.Command | None:
    """The engine command for a request; None for read-only requests (``TicketStatus``).

    The citizen's phone number (``notify_phone``) is not part of the command: the event log must not
    hold personal data, so the service keeps it beside the ticket id for the day."""
    if isinstance(req, wire.IssueTicket):
        if req.appointment_id is not None:
            return cmd.CheckIn(
                request_id=req.request_id, appointment_id=req.appointment_id, source_device=req.source_device
            )
        return cmd.IssueTicket(
            request_id=req.request_id,
            service=req.service,
            source_device=req.source_device,
            priority=req.priority,
            steps=req.steps,
            provisional=req.provisional,
            masked_name=req.masked_name,
            lang=req.lang,
        )
    if isinstance(req, wire.CheckIn):
        return _check_in(req)
    if isinstance(req, wire.RegisterAppointment):
        return cmd.RegisterAppointment(
            request_id=req.request_id, appointment_id=req.appointment_id, service=req.service,
            slot_start=req.slot_start, steps=req.steps, masked_name=req.masked_name, id_lookup=req.id_lookup,
        )
    if isinstance(req, wire.CancelAppointment):
        return cmd.CancelAppointment(request_id=req.request_id, appointment_id=req.appointment_id, reason=req.reason)
    if isinstance(req, wire.CancelTicket):
        return cmd.CancelTicket(request_id=req.request_id, ticket_id=req.ticket_id, reason=req.reason)
    if isinstance(req, wire.TicketStatus):
        return None
    if isinstance(req, wire.WindowCommand):
        return _window_command(req)
    if isinstance(req, wire.SubmitRating):
        return cmd.RecordRating(
            request_id=req.request_id, ticket_id=req.ticket_id, level=req.level, reasons=req.reasons,
            comment=req.comment, step=req.step,
        )
    if isinstance(req, wire.LeaseRequest):
        return cmd.LeaseBlock(request_id=req.request_id, device_id=req.device_id, service=req.service, size=req.size)
    raise EngineError(ErrorCode.UNKNOWN_TYPE, f"no command for {type(req).__name__}", "不支持的请求")


def _check_in(req: wire.CheckIn) -> cmd.CheckIn:
    """An appointment code is the appointment QR's text, a bare appointment id, or ``idk:`` and the keyed
    hash of an ID number (sent by a kiosk's agent: ``hall_protocol.appointments``)."""
    code = req.appointment_code
    if code.startswith(appointments.ID_LOOKUP_PREFIX):
        lookup = code[len(appointments.ID_LOOKUP_PREFIX):]
        if not appointments.is_id_lookup(lookup):
            raise EngineError(ErrorCode.MALFORMED, "an ID look-up is 64 hex digits", "签到信息无效")
        return cmd.CheckIn(request_id=req.request_id, id_lookup=lookup, source_device=req.source_device)
    if code.startswith(appointments.APPOINTMENT_PREFIX):
        try:
            code = appointments.parse_appointment_code(code).appointment_id
        except ValueError as err:
            raise EngineError(ErrorCode.MALFORMED, f"appointment code: {err}", "预约二维码无效") from err
    return cmd.CheckIn(request_id=req.request_id, appointment_id=code, source_device=req.source_device)


def _missing(field: str) -> EngineError:
    return EngineError(ErrorCode.MALFORMED, f"{field} is required for this operation", f"缺少参数：{field}")


def _window_command(req: wire.WindowCommand) -> cmd.Command:
    rid, wid, tid = req.request_id, req.window_id, req.ticket_id
    op = req.op
    if op is wire.WindowOp.LOGIN:
        if not req.staff_id:
            raise _missing("staff_id")
        return cmd.Login(request_id=rid, window_id=wid, staff_id=req.staff_id)
    if op is wire.WindowOp.LOGOUT:
        return cmd.Logout(request_id=rid, window_id=wid)
    if op is wire.WindowOp.OPEN:
        return cmd.OpenWindow(request_id=rid, window_id=wid)
    if op is wire.WindowOp.CLOSE:
        return cmd.CloseWindow(request_id=rid, window_id=wid)
    if op is wire.WindowOp.PAUSE:
        return cmd.PauseWindow(request_id=rid, window_id=wid, reason=req.reason)
    if op is wire.WindowOp.RESUME:
        return cmd.ResumeWindow(request_id=rid, window_id=wid)
    if op is wire.WindowOp.CALL_NEXT:
        return cmd.CallNext(request_id=rid, window_id=wid)
    if op is wire.WindowOp.CALL_TICKET:
        if tid is None:
            raise _missing("ticket_id")
        return cmd.CallTicket(request_id=rid, window_id=wid, ticket_id=tid, reason=req.reason)
    if op is wire.WindowOp.RECALL:
        return cmd.Recall(request_id=rid, window_id=wid, ticket_id=tid)
    if op is wire.WindowOp.START:
        return cmd.StartService(request_id=rid, window_id=wid, ticket_id=tid)
    if op is wire.WindowOp.FINISH:
        return cmd.FinishService(request_id=rid, window_id=wid, ticket_id=tid, also_done=req.services_done)
    if op is wire.WindowOp.NO_SHOW:
        return cmd.MarkNoShow(request_id=rid, window_id=wid, ticket_id=tid)
    if op is wire.WindowOp.TRANSFER:
        if not req.target_service and not req.target_window:
            raise _missing("target_service")
        return cmd.Transfer(
            request_id=rid, window_id=wid, ticket_id=tid, target_service=req.target_service or None,
            target_window=req.target_window or None, reason=req.reason,
        )
    if op is wire.WindowOp.PARK:
        return cmd.Park(request_id=rid, window_id=wid, ticket_id=tid, reason=req.reason)
    if op is wire.WindowOp.UNPARK:
        if tid is None:
            raise _missing("ticket_id")
        return cmd.Unpark(request_id=rid, window_id=wid, ticket_id=tid)
    raise EngineError(ErrorCode.MALFORMED, f"unknown window op {op!r}", "不支持的窗口操作")


def lease_granted(request_id: str, event: BlockLeased) -> wire.LeaseGranted:
    return wire.LeaseGranted(
        request_id=request_id,
        lease_id=event.lease_id,
        service=event.service,
        day=event.day,
        prefix=event.prefix,
        first=event.first,
        last=event.last,
    )
