"""The controller store keeps the hall secret: made once, the same after a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from hall_controller.core import ControllerCore
from hall_controller.engine.ids import SECRET_BYTES, TicketKeys
from hall_controller.store import Store
from hall_protocol.hall_config import load_hall_config

CONFIG = load_hall_config(Path(__file__).resolve().parents[3] / "configs/demo/hall.toml")
T0 = 1_795_000_000.0


async def test_the_hall_secret_is_made_once_and_kept(tmp_path: Path) -> None:
    db = tmp_path / "hall.db"
    store = await Store.open(db)
    try:
        secret = await store.hall_secret()
        assert len(secret) == SECRET_BYTES
        assert await store.hall_secret() == secret
    finally:
        await store.close()
    store = await Store.open(db)
    try:
        assert await store.hall_secret() == secret
        core = await ControllerCore.restore(CONFIG, store, T0)
        assert core.state.keys == TicketKeys(secret)
    finally:
        await store.close()
    other = await Store.open(tmp_path / "other.db")
    try:
        assert await other.hall_secret() != secret
    finally:
        await other.close()


async def test_a_stop_during_a_commit_that_finished_stays_a_stop(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM cancels the wait for a COMMIT that the database's thread still completes: the rollback finds no
    transaction, and the cancellation (a clean stop) must not turn into that error."""
    db = tmp_path / "hall.db"
    store = await Store.open(db)
    execute = store._db.execute

    async def commit_then_stop(sql: str, *args: Any) -> Any:
        result = await execute(sql, *args)
        if sql == "COMMIT":
            raise asyncio.CancelledError
        return result

    try:
        monkeypatch.setattr(store._db, "execute", commit_then_stop)
        with pytest.raises(asyncio.CancelledError):
            await store.commit_batch([b'{"e":1}'], T0, [])
        monkeypatch.undo()
    finally:
        await store.close()
    store = await Store.open(db)
    try:
        assert [e.body for e in await store.events_after(0)] == [b'{"e":1}']  # it was committed
    finally:
        await store.close()
