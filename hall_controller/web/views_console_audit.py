"""The audit log: filtered by time, actor, action and target, newest first, paged, exported as CSV, and the
hash chain's verification (checked in full on request, in parts, so a long log does not stall the loop)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from hall_controller import permissions
from hall_controller.audit import GENESIS, AuditLine, to_csv, verify
from hall_controller.store import Store
from hall_controller.web.auth import context, requires
from hall_controller.web.console_common import local_time
from hall_controller.web.render import page

PAGE_SIZE = 50
EXPORT_LIMIT = 200_000
VERIFY_CHUNK = 5_000


class AuditFilter(msgspec.Struct, frozen=True, kw_only=True):
    """The form as sent (times as the ``datetime-local`` inputs hold them, in the hall's zone)."""

    start: str = ""
    end: str = ""
    actor: str = ""
    action: str = ""
    target: str = ""


class AuditRow(msgspec.Struct, frozen=True, kw_only=True):
    seq: int
    ts: float
    time_text: str
    actor: str
    action: str
    target: str
    detail: str
    origin: str
    outcome: str


class AuditPage(msgspec.Struct, frozen=True, kw_only=True):
    filter: AuditFilter
    rows: tuple[AuditRow, ...]
    older_href: str  # "" when this is the oldest page
    newer_href: str  # "" when this is the newest page
    csv_href: str
    lines_total: int


class ChainState(msgspec.Struct, frozen=True, kw_only=True):
    ok: bool
    checked: int  # lines found intact (before the first bad one)
    first_bad: int | None  # the first line edited, deleted or inserted
    missing_tail: bool  # lines after the last one present were deleted


def _epoch(value: str, timezone: str) -> float | None:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(timezone)).timestamp() if value else None
    except ValueError:
        return None


def _filter(request: Request) -> AuditFilter:
    q = request.query_params
    return AuditFilter(start=q.get("from", "").strip(), end=q.get("to", "").strip(), actor=q.get("actor", "").strip(),
                       action=q.get("action", "").strip(), target=q.get("target", "").strip())


def _query(f: AuditFilter, **paging: int) -> str:
    params = {"from": f.start, "to": f.end, "actor": f.actor, "action": f.action, "target": f.target}
    return urlencode({k: v for k, v in {**params, **paging}.items() if v})


@dataclass(frozen=True, slots=True)
class _Search:
    store: Store
    f: AuditFilter
    timezone: str

    async def lines(self, *, before_seq: int = 0, after_seq: int = 0, limit: int = PAGE_SIZE + 1,
                    newest_first: bool = True) -> list[AuditLine]:
        since, until = _epoch(self.f.start, self.timezone), _epoch(self.f.end, self.timezone)
        return await self.store.audit_search(
            since=since if since is not None else 0.0, until=until if until is not None else float("inf"),
            actor=self.f.actor, action=self.f.action, target=self.f.target, before_seq=before_seq,
            after_seq=after_seq, limit=limit, newest_first=newest_first)


def _int(value: str) -> int:
    return int(value) if value.isdigit() else 0


async def audit_page(store: Store, f: AuditFilter, timezone: str, before: int, after: int) -> AuditPage:
    search = _Search(store, f, timezone)
    if after:  # going back towards the newest: read upwards, show newest first
        lines = await search.lines(after_seq=after, newest_first=False)
        more_newer, lines = len(lines) > PAGE_SIZE, lines[:PAGE_SIZE][::-1]
        more_older = bool(lines) and bool(await search.lines(before_seq=lines[-1].seq, limit=1))
    else:
        lines = await search.lines(before_seq=before)
        more_older, lines = len(lines) > PAGE_SIZE, lines[:PAGE_SIZE]
        more_newer = before > 0
    rows = tuple(AuditRow(seq=x.seq, ts=x.entry.ts, time_text=local_time(x.entry.ts, timezone, date=True),
                          actor=x.entry.actor, action=x.entry.action, target=x.entry.target, detail=x.entry.detail,
                          origin=x.entry.origin, outcome=x.entry.outcome) for x in lines)
    return AuditPage(
        filter=f, rows=rows,
        older_href=f"/console/audit?{_query(f, before=rows[-1].seq)}" if more_older and rows else "",
        newer_href=f"/console/audit?{_query(f, after=rows[0].seq)}" if more_newer and rows else "",
        csv_href=f"/console/audit.csv?{_query(f)}", lines_total=store.audit_seq,
    )


@requires(permissions.AUDIT)
async def audit(request: Request) -> Response:
    ctx = context(request)
    q = request.query_params
    data = await audit_page(ctx.service.store, _filter(request), ctx.config.hall.timezone, _int(q.get("before", "")),
                            _int(q.get("after", "")))
    return page(request, "console_audit.html", data)


@requires(permissions.AUDIT)
async def audit_csv(request: Request) -> Response:
    ctx = context(request)
    timezone = ctx.config.hall.timezone
    lines = await _Search(ctx.service.store, _filter(request), timezone).lines(limit=EXPORT_LIMIT, newest_first=False)
    body = to_csv(lines, lambda ts: local_time(ts, timezone, date=True))
    day = local_time(ctx.clock(), timezone, date=True)[:10]
    return Response("\ufeff" + body, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="audit-{ctx.config.hall.id}-{day}.csv"'})


async def chain_state(store: Store) -> ChainState:
    """Verify the whole chain, a part at a time; then that it still ends where the store says it does."""
    seq, prev, checked = 1, GENESIS, 0
    while lines := await store.audit_lines(after_seq=seq - 1, limit=VERIFY_CHUNK):
        bad = verify(lines, seq, prev)
        if bad is not None:
            return ChainState(ok=False, checked=bad - 1, first_bad=bad, missing_tail=False)
        seq, prev, checked = lines[-1].seq + 1, lines[-1].hash, checked + len(lines)
    missing = (seq - 1, prev) != (store.audit_seq, store.audit_hash)
    return ChainState(ok=not missing, checked=checked, first_bad=None, missing_tail=missing)


@requires(permissions.AUDIT)
async def audit_verify(request: Request) -> Response:
    return page(request, "_audit_chain.html", await chain_state(context(request).service.store))


ROUTES: list[BaseRoute] = [
    Route("/console/audit", audit),
    Route("/console/audit.json", audit),
    Route("/console/audit.csv", audit_csv),
    Route("/console/audit/verify", audit_verify),
    Route("/console/audit/verify.json", audit_verify),
]
