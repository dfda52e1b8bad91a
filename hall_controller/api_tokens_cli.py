"""``onevisit api-token add NAME --scope S ...|list|revoke NAME``: tokens of the open API's integrations."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from typing import TextIO

from hall_controller.api_tokens import ApiTokenStore, TokenError


def _when(ts: float | None) -> str:
    return "—" if ts is None else dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")


async def _run(args: argparse.Namespace, out: TextIO) -> int:
    store = await ApiTokenStore.open(args.db)
    try:
        action = args.token_command
        if action == "add":
            record, token = await store.add(args.name, args.scope or [])
            scopes = " ".join(sorted(record.scopes))
            print(f"已创建接口令牌 {record.name}（{scopes}）/ token for {record.name}:", file=out)
            print(token, file=out)
            print("请妥善保存：令牌只显示这一次。/ Keep it safe: it is shown only this once.", file=out)
        elif action == "list":
            for t in await store.list():
                state = f"已吊销 revoked {_when(t.revoked_at)}" if t.revoked_at else "有效 active"
                print(f"{t.name:<24} {' '.join(sorted(t.scopes)):<40} {state:<28} last used {_when(t.last_used_at)}",
                      file=out)
        elif action == "revoke":
            t = await store.revoke(args.name)
            print(f"{t.name}: 已吊销 / revoked", file=out)
        return 0
    except TokenError as err:
        print(f"{err.message_zh}\n{err.message_en}", file=sys.stderr)
        return 1
    finally:
        await store.close()


def api_token_cli(args: argparse.Namespace, out: TextIO | None = None) -> int:
    return asyncio.run(_run(args, out or sys.stdout))
