"""The real card reader: the system's PC/SC service (pcscd) through pyscard's ``scard`` layer.

pyscard is blocking, so it never runs on the event loop:
- one monitor thread owns its own PC/SC context and waits in ``SCardGetStatusChange`` (readers appear and
  vanish through the ``\\\\?PnP?\\Notification`` pseudo-reader, cards through each reader's state). It reaches
  the loop only through ``loop.call_soon_threadsafe``. When pcscd goes away the context is dead for good,
  so the thread drops it, reports ``pcscd-unavailable`` and re-establishes a new one with backoff.
- card sessions run on a single-thread executor (one card operation at a time), each with a fresh context,
  so a pcscd restart between two sessions needs no repair at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from drivers.health import PeripheralHealth
from drivers.smartcard.apdu import CommandApdu
from drivers.smartcard.atr import parse_atr
from drivers.smartcard.channel import ApduChannel, SingleCommand, as_command
from drivers.smartcard.config import PcscConfig
from drivers.smartcard.errors import (
    CardMute,
    CardRemovedError,
    NoCard,
    PcscUnavailable,
    ReaderAbsent,
    SmartcardError,
    UnsupportedCard,
)
from drivers.smartcard.hub import EventHub, EventStream
from drivers.smartcard.interface import CardApplication, SelfTestResult
from drivers.smartcard.state import Slot

try:
    from smartcard import scard
except ImportError as err:  # pragma: no cover - depends on the machine
    raise ImportError("drivers.smartcard.pcsc needs pyscard (and libpcsclite): pip install pyscard") from err

log = logging.getLogger(__name__)
T = TypeVar("T")

PNP_READER = "\\\\?PnP?\\Notification"


def _code(hresult: int) -> int:
    return hresult & 0xFFFFFFFF


OK = 0
E_TIMEOUT = _code(scard.SCARD_E_TIMEOUT)
E_CANCELLED = _code(scard.SCARD_E_CANCELLED)
E_NO_READERS = _code(scard.SCARD_E_NO_READERS_AVAILABLE)
E_UNKNOWN_READER = _code(scard.SCARD_E_UNKNOWN_READER)
E_READER_UNAVAILABLE = _code(scard.SCARD_E_READER_UNAVAILABLE)
E_NO_SMARTCARD = _code(scard.SCARD_E_NO_SMARTCARD)
W_REMOVED_CARD = _code(scard.SCARD_W_REMOVED_CARD)
W_UNRESPONSIVE = _code(scard.SCARD_W_UNRESPONSIVE_CARD)
W_UNPOWERED = _code(scard.SCARD_W_UNPOWERED_CARD)
# The context or the daemon behind it is gone: only a new context (after pcscd is back) helps.
SERVICE_LOST = frozenset(_code(c) for c in (
    scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED, scard.SCARD_E_INVALID_HANDLE,
    scard.SCARD_F_COMM_ERROR, scard.SCARD_E_NO_MEMORY, scard.SCARD_F_INTERNAL_ERROR,
    scard.SCARD_E_INVALID_PARAMETER,
))
# A transmit that failed this way may mean the card left mid-exchange; the reader state tells.
MAYBE_REMOVED = frozenset(_code(c) for c in (
    scard.SCARD_E_NOT_TRANSACTED, scard.SCARD_F_COMM_ERROR, scard.SCARD_W_UNRESPONSIVE_CARD,
    scard.SCARD_E_COMM_DATA_LOST, scard.SCARD_W_RESET_CARD, scard.SCARD_F_UNKNOWN_ERROR,
))


def _message(hresult: int) -> str:
    try:
        return f"{scard.SCardGetErrorMessage(hresult)} (0x{_code(hresult):08X})"
    except Exception:  # pragma: no cover - pyscard may not know every code
        return f"0x{_code(hresult):08X}"


def _slot_from_state(event_state: int, atr: Any) -> Slot:
    if event_state & scard.SCARD_STATE_MUTE:
        return Slot(mute=True)
    if event_state & scard.SCARD_STATE_PRESENT:
        return Slot(atr=bytes(atr)) if atr else Slot(mute=True)
    return Slot()


@dataclass
class _Session:
    context: int
    card: int
    protocol: int
    reader: str


class PcscCardReader:
    """``async with PcscCardReader(config) as reader``; or through ``open_card_reader``."""

    def __init__(self, config: PcscConfig | None = None) -> None:
        self.config = config or PcscConfig()
        self._hub = EventHub()
        self._stop = threading.Event()
        self._monitor_context: int | None = None
        self._context_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pcsc-io")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._first_report = asyncio.Event()

    async def __aenter__(self) -> PcscCardReader:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._monitor, name="pcsc-monitor", daemon=True)
        self._thread.start()
        # Wait for the first report (readers found, or pcscd unreachable) so health() is meaningful at once.
        await asyncio.wait_for(self._first_report.wait(), timeout=self.config.poll_interval_s + 5)

    async def aclose(self) -> None:
        self._stop.set()
        with self._context_lock:
            if self._monitor_context is not None:
                scard.SCardCancel(self._monitor_context)  # wakes SCardGetStatusChange at once
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, self.config.poll_interval_s + 2)
        self._io.shutdown(wait=False, cancel_futures=True)

    # -- monitor thread ------------------------------------------------------------------------------
    def _post(self, fn: Callable[..., None], *args: object) -> None:
        """Hand a result from the monitor thread to the loop: the hub and its queues are loop-only objects."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return

        def run() -> None:
            fn(*args)
            self._first_report.set()

        with contextlib.suppress(RuntimeError):  # the loop closed while we were shutting down
            loop.call_soon_threadsafe(run)

    def _wanted(self, name: str) -> bool:
        return name != PNP_READER and self.config.reader_filter.lower() in name.lower()

    def _monitor(self) -> None:
        backoff = self.config.reconnect_initial_s
        lost_reported = False
        while not self._stop.is_set():
            hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if _code(hresult) != OK:
                if not lost_reported:
                    log.warning("pcscd unavailable: %s; retrying", _message(hresult))
                    lost_reported = True
                self._post(self._hub.service_lost, f"cannot reach pcscd: {_message(hresult)}")
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.config.reconnect_max_s)
                continue
            if lost_reported:
                log.info("pcscd reachable again")
                lost_reported = False
            backoff = self.config.reconnect_initial_s
            with self._context_lock:
                self._monitor_context = context
            try:
                reason = self._watch(context)
            finally:
                with self._context_lock:
                    self._monitor_context = None
                scard.SCardReleaseContext(context)
            if reason is not None:
                log.warning("lost pcscd: %s; reconnecting", reason)
                lost_reported = True
                self._post(self._hub.service_lost, reason)
                self._stop.wait(backoff)

    def _watch(self, context: int) -> str | None:
        """Follow readers and cards on one context; return why the context died (None: asked to stop)."""
        known: dict[str, int] = {}
        poll_ms = int(self.config.poll_interval_s * 1000)
        while not self._stop.is_set():
            hresult, names = scard.SCardListReaders(context, [])
            code = _code(hresult)
            if code == E_NO_READERS:
                names = []
            elif code != OK:
                return f"listing readers failed: {_message(hresult)}"
            wanted = [n for n in names if self._wanted(n)]
            known = {n: s for n, s in known.items() if n in wanted}
            states: list[tuple[str, int]] = [(n, known.get(n, scard.SCARD_STATE_UNAWARE)) for n in wanted]
            # pcsc-lite compares the high word of the PnP state with its reader count to spot hot-plug.
            states.append((PNP_READER, len(names) << 16))
            hresult, new_states = scard.SCardGetStatusChange(context, poll_ms, states)
            code = _code(hresult)
            if code in (E_TIMEOUT, E_CANCELLED):
                if not known and not wanted:
                    self._post(self._hub.apply, {})
                continue
            if code in (E_UNKNOWN_READER, E_READER_UNAVAILABLE):
                continue  # a reader left between listing and waiting: list again
            if code != OK:
                return f"waiting for reader changes failed: {_message(hresult)}"
            snapshot: dict[str, Slot] = {}
            for name, event_state, atr in new_states:
                if name == PNP_READER:
                    continue
                if event_state & (scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_IGNORE):
                    known.pop(name, None)
                    continue
                known[name] = event_state & ~scard.SCARD_STATE_CHANGED
                snapshot[name] = _slot_from_state(event_state, atr)
            self._post(self._hub.apply, snapshot)
        return None

    # -- card sessions (executor thread) ----------------------------------------------------------------
    def _open(self, reader: str) -> _Session:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if _code(hresult) != OK:
            raise PcscUnavailable(f"cannot reach pcscd: {_message(hresult)}")
        hresult, card, protocol = scard.SCardConnect(
            context, reader, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1)
        code = _code(hresult)
        if code != OK:
            scard.SCardReleaseContext(context)
            raise self._connect_error(reader, hresult)
        # A transaction keeps other PC/SC clients from interleaving APDUs with our script.
        hresult = scard.SCardBeginTransaction(card)
        if _code(hresult) != OK:
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
            scard.SCardReleaseContext(context)
            raise self._connect_error(reader, hresult)
        return _Session(context, card, protocol, reader)

    @staticmethod
    def _connect_error(reader: str, hresult: int) -> SmartcardError:
        code = _code(hresult)
        detail = f"{reader}: connect failed: {_message(hresult)}"
        if code in (E_NO_SMARTCARD, W_REMOVED_CARD):
            return NoCard(detail)
        if code in (W_UNRESPONSIVE, W_UNPOWERED):
            return CardMute(detail)
        if code in (E_UNKNOWN_READER, E_READER_UNAVAILABLE):
            return ReaderAbsent(detail)
        if code in SERVICE_LOST:
            return PcscUnavailable(detail)
        return SmartcardError(detail)

    def _close(self, session: _Session) -> None:
        scard.SCardEndTransaction(session.card, scard.SCARD_LEAVE_CARD)
        scard.SCardDisconnect(session.card, scard.SCARD_LEAVE_CARD)
        scard.SCardReleaseContext(session.context)

    def _transmit(self, session: _Session, data: bytes) -> bytes:
        hresult, response = scard.SCardTransmit(session.card, session.protocol, list(data))
        code = _code(hresult)
        if code == OK and len(response) >= 2:
            return bytes(response)
        if code == OK:
            # No status word: the card went silent mid-answer (vpcd reports a vanished card this way).
            detail = f"{session.reader}: answer of {len(response)} bytes has no status word"
        else:
            detail = f"{session.reader}: transmit failed: {_message(hresult)}"
        if code in (E_NO_SMARTCARD, W_REMOVED_CARD):
            raise CardRemovedError(detail)
        if code == OK or code in MAYBE_REMOVED:
            if self._card_left(session):
                raise CardRemovedError(detail + "; the card left the reader")
            raise CardMute(detail + "; the card is still there but stopped answering")
        if code in SERVICE_LOST or code == E_READER_UNAVAILABLE:
            raise PcscUnavailable(detail)
        raise SmartcardError(detail)

    def _card_left(self, session: _Session) -> bool:
        """After a failed exchange: is the card gone? pcscd notices removal on its next poll, so wait for it."""
        states = [(session.reader, scard.SCARD_STATE_UNAWARE)]
        hresult, new_states = scard.SCardGetStatusChange(session.context, 0, states)
        if _code(hresult) != OK:
            return False
        _, state, _ = new_states[0]
        if not state & scard.SCARD_STATE_PRESENT:
            return True
        current = state & ~scard.SCARD_STATE_CHANGED
        timeout_ms = int(self.config.removal_grace_s * 1000)
        hresult, new_states = scard.SCardGetStatusChange(session.context, timeout_ms, [(session.reader, current)])
        if _code(hresult) != OK:
            return False
        _, state, _ = new_states[0]
        return not state & scard.SCARD_STATE_PRESENT

    async def _in_io(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._io, fn, *args)

    # -- CardReader ---------------------------------------------------------------------------------------
    def events(self) -> EventStream:
        return self._hub.subscribe()

    async def transmit(self, command: CommandApdu | bytes, *, reader: str | None = None) -> tuple[bytes, int]:
        return await self.run_script(SingleCommand(as_command(command)), reader=reader)

    def _pick(self, reader: str | None) -> tuple[str, bytes]:
        hub = self._hub
        if not hub.service_up:
            raise PcscUnavailable(hub.detail or "pcscd not reachable")
        if reader is not None:
            slot = hub.slots.get(reader)
            if slot is None:
                raise ReaderAbsent(f"reader {reader!r} not connected")
            candidates = [(reader, slot)]
        else:
            if not hub.slots:
                raise ReaderAbsent("no card reader connected")
            candidates = sorted(hub.slots.items())
        for name, slot in candidates:
            if slot.atr is not None:
                return name, slot.atr
        if any(slot.mute for _, slot in candidates):
            raise CardMute("card present but gives no answer-to-reset")
        raise NoCard("no card in " + ", ".join(name for name, _ in candidates))

    async def run_script(self, app: CardApplication[T], *, reader: str | None = None) -> T:
        name, atr_bytes = self._pick(reader)
        atr = parse_atr(atr_bytes)
        if not app.matches(atr):
            raise UnsupportedCard(f"application {app.name} does not handle ATR {atr.hex}")
        session = await self._in_io(self._open, name)
        try:

            async def raw(data: bytes) -> bytes:
                return await self._in_io(self._transmit, session, data)

            return await app.run(ApduChannel(name, atr, raw))
        finally:
            await self._in_io(self._close, session)

    async def health(self) -> PeripheralHealth:
        return self._hub.health()

    async def self_test(self) -> SelfTestResult:
        """Really talk to pcscd (a fresh context and a reader list), then report what the monitor sees."""

        def probe() -> tuple[bool, str, tuple[str, ...]]:
            hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
            if _code(hresult) != OK:
                return False, _message(hresult), ()
            try:
                hresult, names = scard.SCardListReaders(context, [])
                if _code(hresult) == E_NO_READERS:
                    return True, "no readers", ()
                if _code(hresult) != OK:
                    return False, _message(hresult), ()
                return True, "ok", tuple(n for n in names if self._wanted(n))
            finally:
                scard.SCardReleaseContext(context)

        service_ok, detail, readers = await self._in_io(probe)
        checks = (("pcscd", service_ok, detail),
                  ("reader", bool(readers), ", ".join(readers) or "no matching reader"))
        health = self._hub.health()
        present = any(slot.card_present for slot in self._hub.slots.values())
        return SelfTestResult(passed=service_ok and bool(readers), health=health, readers=readers,
                              card_present=present, checks=checks)
