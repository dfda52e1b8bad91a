"""``onevisit audit``: read the hall's audit log, export it as CSV, and check its hash chain.

    onevisit audit [--since DATE] [--until DATE] [--actor X] [--action Y] [--csv FILE] [--verify]

Dates are the server's local dates (``2025-03-10``) or times (``2025-03-10T09:30``); ``--until`` a date
includes that whole day. ``--actor`` matches a label (``staff:zhang``) or the id after it (``zhang``);
``--action`` matches an action (``window.call-next``) or its family (``window``). ``--verify`` checks the whole
chain, whatever the filters, and names the first line that was edited, deleted or inserted (exit status 1).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from hall_controller.audit import AuditLine, to_csv, verify
from hall_controller.store import Store

PAGE = 10_000


def local_time(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def parse_when(text: str, *, end: bool = False) -> float:
    """Epoch seconds of a local date or time; with ``end`` a bare date means the end of that day."""
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"not a date or time: {text!r} (e.g. 2025-03-10 or 2025-03-10T09:30)") from err
    if end and len(text) == 10:
        when += dt.timedelta(days=1)
    return when.timestamp()


def matches(line: AuditLine, actor: str, action: str) -> bool:
    e = line.entry
    if actor and actor not in (e.actor, e.actor.partition(":")[2]):
        return False
    return not action or e.action == action or e.action.startswith(action + ".")


async def _all_lines(store: Store, since: float = 0.0, until: float = float("inf")) -> list[AuditLine]:
    lines: list[AuditLine] = []
    while True:
        page = await store.audit_lines(since=since, until=until, limit=PAGE, after_seq=lines[-1].seq if lines else 0)
        lines += page
        if len(page) < PAGE:
            return lines


def _print(lines: Iterable[AuditLine], out: TextIO) -> int:
    n = 0
    for line in lines:
        e = line.entry
        outcome = "" if e.outcome == "ok" else f"  [{e.outcome}]"
        print(f"{line.seq:>7}  {local_time(e.ts)}  {e.actor:<24} {e.action:<22} {e.target:<18} {e.detail}"
              f"  @{e.origin}{outcome}".rstrip(), file=out)
        n += 1
    return n


async def _run(args: argparse.Namespace, since: float, until: float, out: TextIO) -> int:
    store = await Store.open(args.db)
    try:
        if args.verify:
            everything = await _all_lines(store)
            broken = verify(everything)
            if broken is not None:
                print(f"审计日志第 {broken} 行起被修改、删除或插入 / the audit log was edited, deleted or inserted "
                      f"at line {broken}", file=out)
                return 1
            print(f"审计日志完整，共 {len(everything)} 行 / the audit chain holds: {len(everything)} lines",
                  file=out)
            return 0
        lines = [x for x in await _all_lines(store, since, until) if matches(x, args.actor, args.action)]
        if args.csv:
            text = to_csv(lines, local_time)
            if args.csv == "-":
                out.write(text)
            else:
                # with a byte-order mark: spreadsheet programs then read the Chinese text as UTF-8
                await asyncio.to_thread(Path(args.csv).write_text, text, encoding="utf-8-sig")
                print(f"已导出 {len(lines)} 行到 {args.csv} / {len(lines)} lines written to {args.csv}", file=out)
            return 0
        if _print(lines, out) == 0:
            print("没有符合条件的记录 / no matching lines", file=out)
        return 0
    finally:
        await store.close()


def audit_cli(args: argparse.Namespace, out: TextIO | None = None) -> int:
    try:
        since = parse_when(args.since) if args.since else 0.0
        until = parse_when(args.until, end=True) if args.until else float("inf")
    except argparse.ArgumentTypeError as err:
        print(str(err), file=sys.stderr)
        return 2
    if not Path(args.db).is_file():  # opening would create an empty database
        print(f"没有数据库 {args.db} / no database at {args.db}", file=sys.stderr)
        return 2
    return asyncio.run(_run(args, since, until, out or sys.stdout))

