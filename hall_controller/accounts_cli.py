"""``onevisit staff add|list|disable|enable|reset-password``: people's accounts on the hall server."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import sys
from typing import TextIO

from hall_controller.accounts import AccountError, AccountStore, PersonRole

ROLE_ZH = {PersonRole.STAFF: "窗口人员", PersonRole.MANAGER: "大厅管理员", PersonRole.TECHNICIAN: "运维人员"}


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("新密码 / new password: ")
    if getpass.getpass("再次输入 / again: ") != first:
        raise AccountError("the two passwords differ", "两次输入的密码不一致")
    return first


async def _run(args: argparse.Namespace, out: TextIO) -> int:
    store = await AccountStore.open(args.db)
    try:
        action = args.staff_command
        if action == "add":
            a = await store.add(args.username, args.name or args.username, PersonRole(args.role), _password(args))
            print(f"已添加 {ROLE_ZH[a.role]} {a.username}（{a.display_name}）/ added {a.role} {a.username}", file=out)
        elif action == "list":
            now = dt.datetime.now().timestamp()
            for a in await store.list():
                state = "停用 disabled" if a.disabled else "锁定 locked" if a.locked(now) else "正常 active"
                print(f"{a.username:<20} {a.role.value:<11} {state:<12} {a.display_name}", file=out)
        elif action in ("disable", "enable"):
            a = await store.set_disabled(args.username, action == "disable")
            print(f"{a.username}: {'已停用 disabled' if a.disabled else '已启用 enabled'}", file=out)
        elif action == "reset-password":
            a = await store.set_password(args.username, _password(args))
            print(f"{a.username}: 密码已重置，账号已解锁 / password reset, account unlocked", file=out)
        return 0
    except AccountError as err:
        print(f"{err.message_zh}\n{err.message_en}", file=sys.stderr)
        return 1
    finally:
        await store.close()


def staff_cli(args: argparse.Namespace, out: TextIO | None = None) -> int:
    return asyncio.run(_run(args, out or sys.stdout))
