"""The device's peripherals, opened from kiosk.toml's ``[devices]`` and turned into view-model calls.

Each device runs in its own loop; a driver exception is logged, reported as that device's health, and the
loop reopens the device after a pause — it never reaches the screens as a crash. Health goes to the
screens (a plain-language notice) and to the agent (telemetry) only when it changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.errors import DeviceAbsent, DeviceFault, DriverError
from drivers.receipt_printer import TicketPrint
from hall_protocol.health import HealthState, PeripheralHealth
from hall_runtime.backoff import Backoff
from kiosk.config import DevicesConfig
from kiosk.viewmodels.identify import EidInvalid, EidUnavailable
from kiosk.viewmodels.printing import LineSize, Receipt
from kiosk.viewmodels.session import Identity, IdSource

log = logging.getLogger(__name__)

HEALTH_EVERY_S = 15.0
READ_EVERY_S = 0.5
READ_BACKOFF_MAX_S = 4.0  # an unreadable card slows the poll, but a good card is still read soon
RETRY_S = (1.0, 30.0)  # backoff base and cap of a device loop that failed
MIME_SUFFIX = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}


def _nothing(*_args: object) -> None:
    return None


@dataclass
class DeviceCallbacks:
    """What the hub tells the app. Called on the event loop."""

    on_card: Callable[[str, str, IdSource], None] = _nothing  # id number, name, source
    on_card_error: Callable[[], None] = _nothing
    on_qr: Callable[[str], None] = _nothing
    on_key: Callable[[Any], None] = _nothing  # drivers.keypad.Key
    on_health: Callable[[str, PeripheralHealth], None] = _nothing


def _error_health(err: BaseException) -> PeripheralHealth:
    if isinstance(err, DeviceAbsent):
        return PeripheralHealth(state=HealthState.ABSENT, reasons=("device-absent",), detail=str(err))
    return PeripheralHealth(state=HealthState.FAULT, reasons=("driver-error",), detail=f"{type(err).__name__}: {err}")


class DevicePrinter:
    """The view-models' ``KioskPrinter`` over the receipt printer and the document (A4) printer drivers."""

    def __init__(self, receipt: Any | None, document: Any | None) -> None:
        self.receipt = receipt  # drivers.receipt_printer.ReceiptPrinter
        self.document = document  # drivers.document_printer.DocumentPrinter
        self._last_failed = "receipt"
        self._tmp = Path(tempfile.mkdtemp(prefix="onevisit-print-"))
        self.receipts_printed = 0
        self.documents_printed = 0

    async def print_receipt(self, receipt: Receipt) -> None:
        if self.receipt is None:
            self._last_failed = "receipt"
            raise DeviceAbsent("no receipt printer configured")
        texts = [line.text for line in receipt.lines]
        title = next((line.text for line in receipt.lines if line.size is not LineSize.NORMAL), "")
        lines = list(texts)
        if title in lines:
            lines.remove(title)
        try:
            if receipt.ticket is not None:  # the big-number ticket layout, with the provisional banner
                await self.receipt.print_ticket(TicketPrint.from_view(receipt.ticket, hall_name=title))
            else:
                await self.receipt.print_receipt(title, lines, receipt.qr)
        except DriverError:
            self._last_failed = "receipt"
            raise
        except Exception as err:  # a driver bug: still a printing failure the citizen is told about
            self._last_failed = "receipt"
            raise DeviceFault(f"receipt printer failed: {err!r}") from err
        self.receipts_printed += 1

    async def print_document(self, data: bytes, mime: str, title: str) -> None:
        if self.document is None:
            self._last_failed = "document"
            raise DeviceAbsent("no document printer configured")
        path = await asyncio.to_thread(self._write_temp, data, MIME_SUFFIX.get(mime, ".bin"))
        try:
            await self.document.print_file(path, title=title)
        except DriverError:
            self._last_failed = "document"
            raise
        except Exception as err:
            self._last_failed = "document"
            raise DeviceFault(f"document printer failed: {err!r}") from err
        finally:
            await asyncio.to_thread(path.unlink, missing_ok=True)  # the citizen's document never stays here
        self.documents_printed += 1

    def _write_temp(self, data: bytes, suffix: str) -> Path:
        fd, name = tempfile.mkstemp(suffix=suffix, dir=self._tmp)  # 0600
        with open(fd, "wb") as f:
            f.write(data)
        return Path(name)

    async def health(self) -> PeripheralHealth:
        device = self.document if self._last_failed == "document" else self.receipt
        if device is None:
            return PeripheralHealth(state=HealthState.ABSENT, reasons=("printer-absent",))
        try:
            health: PeripheralHealth = await device.health()
        except DriverError as err:
            return _error_health(err)
        return health

    def temp_files(self) -> list[Path]:
        return list(self._tmp.iterdir()) if self._tmp.exists() else []

    async def aclose(self) -> None:
        for device in (self.receipt, self.document):
            if device is not None:
                with contextlib.suppress(Exception):
                    await device.close()
        with contextlib.suppress(OSError):
            for p in self._tmp.iterdir():
                p.unlink()
            self._tmp.rmdir()


class SimEidVerifier:
    """The view-models' ``EidVerifier`` over the camera package's simulated identity service (demo only)."""

    def __init__(self) -> None:
        from drivers.camera.eid import SimulatedEidVerifier

        self.service = SimulatedEidVerifier()

    def issue(self, holder_name: str, id_number: str) -> str:
        """Play the citizen's phone: a fresh e-ID QR text the service will accept once."""
        from drivers.camera.payloads import EidKind

        return self.service.issue(kind=EidKind.E_ID, holder_name=holder_name, id_number=id_number)

    async def verify(self, payload: str) -> Identity:
        from drivers.camera.errors import EidRejected, EidServiceUnavailable, QrPayloadError
        from drivers.camera.payloads import SIMULATED_EID_ISSUERS, EidCode, PayloadRules, parse_payload

        try:
            code = parse_payload(payload, PayloadRules(eid_issuers=SIMULATED_EID_ISSUERS))
        except QrPayloadError as err:
            raise EidInvalid(f"not an e-ID code: {err.problem}") from err
        if not isinstance(code, EidCode):
            raise EidInvalid("the QR code is not an e-ID code")
        try:
            credential = await self.service.verify(code)
        except EidRejected as err:
            raise EidInvalid(str(err)) from err
        except EidServiceUnavailable as err:
            raise EidUnavailable(str(err)) from err
        return Identity(id_number=credential.id_number, name=credential.holder_name, source=IdSource.EID_QR)


@dataclass
class _Slot:
    name: str
    driver: Any
    health: PeripheralHealth | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


class DeviceHub:
    """Opens the configured devices a role uses and runs their loops until cancelled."""

    def __init__(self, devices: DevicesConfig, *, use: tuple[str, ...], callbacks: DeviceCallbacks) -> None:
        self.config = devices
        self.callbacks = callbacks
        self.use = tuple(name for name in use if getattr(devices, name) is not None)
        self.health: dict[str, PeripheralHealth] = {}
        self.id_reader: Any | None = None
        self.card_reader: Any | None = None
        self.camera: Any | None = None
        self.led: Any | None = None
        self.keypad: Any | None = None
        self._scan_on = asyncio.Event()
        self._scan_task: asyncio.Task[None] | None = None
        receipt = document = None
        if "id_reader" in self.use:
            from drivers.idcard import open_id_reader

            self.id_reader = open_id_reader(devices.id_reader)  # type: ignore[arg-type]
        if "receipt_printer" in self.use:
            from drivers.receipt_printer import open_receipt_printer

            receipt = open_receipt_printer(devices.receipt_printer)  # type: ignore[arg-type]
        if "document_printer" in self.use:
            from drivers.document_printer import open_document_printer

            document = open_document_printer(devices.document_printer)  # type: ignore[arg-type]
        if "camera" in self.use:
            from drivers.camera import open_camera

            self.camera = open_camera(devices.camera)  # type: ignore[arg-type]
        if "led_display" in self.use:
            from drivers.led_display import open_led_display

            self.led = open_led_display(devices.led_display)  # type: ignore[arg-type]
        if "keypad" in self.use:
            from drivers.keypad import open_keypad

            self.keypad = open_keypad(devices.keypad)  # type: ignore[arg-type]
        self.printer = DevicePrinter(receipt, document) if receipt or document else None

    # control -----------------------------------------------------------------------------------------

    def set_scanning(self, on: bool) -> None:
        """The camera decodes QR codes only while a screen expects one (cheaper; no stray reads)."""
        if on:
            self._scan_on.set()
        else:
            self._scan_on.clear()
            if self._scan_task is not None and not self._scan_task.done():
                self._scan_task.cancel()

    @property
    def scanning(self) -> bool:
        return self._scan_on.is_set()

    async def show_led(self, lines: tuple[str, ...]) -> None:
        if self.led is None:
            return
        try:
            for n, text in enumerate(lines):
                await self.led.show(text, line=n)
        except DriverError as err:
            log.warning("LED display: %s", err)
            self._report("led_display", _error_health(err))

    # running -----------------------------------------------------------------------------------------

    async def run(self) -> None:
        loops: list[Callable[[], Awaitable[None]]] = []
        if self.id_reader is not None:
            loops.append(self._id_reader_loop)
        if "card_reader" in self.use:
            loops.append(self._card_reader_loop)
        if self.camera is not None:
            loops.append(self._camera_loop)
        if self.keypad is not None:
            loops.append(self._keypad_loop)
        loops.append(self._health_loop)
        try:
            async with asyncio.TaskGroup() as tg:
                for loop in loops:
                    tg.create_task(self._guarded(loop), name=f"device-{loop.__name__}")
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        self.set_scanning(False)
        for driver, close in ((self.id_reader, "aclose"), (self.camera, "close"), (self.led, "aclose"),
                              (self.keypad, "aclose")):
            if driver is not None:
                with contextlib.suppress(Exception):
                    await getattr(driver, close)()
        if self.printer is not None:
            await self.printer.aclose()

    async def _guarded(self, loop: Callable[[], Awaitable[None]]) -> None:
        """Restart a device loop after anything it did not handle itself, with a growing pause."""
        backoff = Backoff(base=RETRY_S[0], cap=RETRY_S[1])
        while True:
            try:
                await loop()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                delay = backoff.next_delay()
                log.exception("device loop %s failed; restarting in %.0f s", loop.__name__, delay)
                await asyncio.sleep(delay)

    def _report(self, device: str, health: PeripheralHealth) -> None:
        if self.health.get(device) == health:
            return
        self.health[device] = health
        log.info("%s: %s %s", device, health.state.value, ",".join(health.reasons))
        self.callbacks.on_health(device, health)

    async def _health_loop(self) -> None:
        while True:
            await self.check_health()
            await asyncio.sleep(HEALTH_EVERY_S)

    async def check_health(self) -> None:
        """Ask every peripheral how it is and report it (every HEALTH_EVERY_S, and on demand)."""
        drivers: dict[str, Any] = {}
        if self.id_reader is not None:
            drivers["id_reader"] = self.id_reader
        if self.printer is not None and self.printer.receipt is not None:
            drivers["receipt_printer"] = self.printer.receipt
        if self.printer is not None and self.printer.document is not None:
            drivers["document_printer"] = self.printer.document
        if self.led is not None:
            drivers["led_display"] = self.led
        if self.keypad is not None:
            drivers["keypad"] = self.keypad
        for name, driver in drivers.items():
            try:
                health = await driver.health()
            except DriverError as err:
                health = _error_health(err)
            self._report(name, health)

    async def _id_reader_loop(self) -> None:
        from drivers.idcard.errors import IdCardError

        reader = self.id_reader
        assert reader is not None
        present = False
        failures = 0
        # the poll slows down by the same steps every time, without jitter: nobody else shares this reader
        slowdown = Backoff(base=READ_EVERY_S, cap=READ_BACKOFF_MAX_S)
        while True:
            try:
                record = await reader.read_card()
            except IdCardError as err:
                failures += 1
                log.warning("ID reader: %s", err)
                if failures == 1:  # once per unreadable presentation, not once per poll
                    self.callbacks.on_card_error()
                present = False
                if failures >= 3:
                    self._report("id_reader", await reader.health())
                await asyncio.sleep(slowdown.ceiling(failures))
                continue
            if failures >= 3:
                self._report("id_reader", await reader.health())
            failures = 0
            if record is None:
                present = False
            elif not present:  # a card that stays on the reader is read once, not every poll
                present = True
                self.callbacks.on_card(record.id_number, record.name, IdSource.ID_CARD)
            await asyncio.sleep(READ_EVERY_S)

    async def _card_reader_loop(self) -> None:
        from drivers.smartcard import CardInserted, SmartcardError, open_card_reader
        from drivers.smartcard.apps.sscard import SocialSecurityCardApplication

        async with open_card_reader(self.config.card_reader) as reader:  # type: ignore[arg-type]
            self.card_reader = reader
            self._report("card_reader", await reader.health())
            async for event in reader.events():
                if not isinstance(event, CardInserted):
                    continue
                try:
                    result = await reader.run_script(SocialSecurityCardApplication(read_holder=True),
                                                     reader=event.reader)
                except SmartcardError as err:
                    log.info("card in %s is not a readable social security card: %s", event.reader, err)
                    self.callbacks.on_card_error()
                    continue
                holder = result.holder
                if holder is None or not holder.social_security_number:
                    self.callbacks.on_card_error()
                else:  # 社会保障号码 is the holder's resident ID number
                    self.callbacks.on_card(holder.social_security_number, holder.name, IdSource.SSC)

    async def _camera_loop(self) -> None:
        from drivers.camera import CameraError, QrScanner

        camera = self.camera
        assert camera is not None
        backoff = Backoff(base=RETRY_S[0], cap=RETRY_S[1])
        while True:
            await self._scan_on.wait()
            try:
                await camera.start()
                self._report("camera", await camera.health())
                scanner = QrScanner(camera)
                self._scan_task = asyncio.create_task(self._scan(scanner))
                try:
                    await self._scan_task
                except asyncio.CancelledError:
                    current = asyncio.current_task()
                    if current is not None and current.cancelling():
                        raise
                backoff.reset()
            except CameraError as err:
                log.warning("camera: %s", err)
                self._report("camera", _error_health(err))
                await asyncio.sleep(backoff.next_delay())
            finally:
                with contextlib.suppress(Exception):
                    await camera.close()

    async def _scan(self, scanner: Any) -> None:
        while True:
            for code in await scanner.next_codes():
                self.callbacks.on_qr(code.text)

    async def _keypad_loop(self) -> None:
        from drivers.keypad import KeypadError

        keypad = self.keypad
        assert keypad is not None
        backoff = Backoff(base=RETRY_S[0], cap=RETRY_S[1])
        while True:
            try:
                async for event in keypad.events():
                    self.callbacks.on_key(event.key)
                    backoff.reset()
            except KeypadError as err:
                log.warning("keypad: %s", err)
                self._report("keypad", await keypad.health())
                await asyncio.sleep(backoff.next_delay())
