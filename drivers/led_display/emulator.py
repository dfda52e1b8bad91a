"""An LED window display as a sans-IO emulator (drivers.serial_pty.Emulator) that keeps its "screen".

Tests read ``screen`` to see what a citizen would see. Faults: NAK (one-shot or every command), frames
dropped without an answer, a display that is absent (never answers), hardware fault flags, a font that
lacks characters outside GB 2312 (as many LED controllers do).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.led_display import protocol as p
from drivers.stx_frame import BROADCAST, StxChecksumError, StxFrame, StxFrameError, StxParser


@dataclass
class LedDisplayEmulator:
    address: int = 1
    lines: int = 2
    columns: int = 16
    font: str = "gb2312"  # characters this font cannot encode are refused (NAK 0x05)
    brightness: int = 8
    faults: p.FaultFlag = p.FaultFlag.NONE
    nak_reason: p.NakReason | None = None  # answer NAK with this reason ...
    nak_count: int = 0  # ... to the next N commands (-1: to every command)
    drop_next: int = 0  # swallow the next N commands without answering
    absent: bool = False  # never answers anything
    reply_delay_s: float = 0.0
    screen: list[str] = field(default_factory=list)
    blinking: list[bool] = field(default_factory=list)
    received: list[StxFrame] = field(default_factory=list)
    line_errors: int = 0

    def __post_init__(self) -> None:
        self._parser = StxParser()
        self.screen = [""] * self.lines
        self.blinking = [False] * self.lines

    def receive(self, data: bytes) -> list[tuple[float, bytes]]:
        self._parser.receive_data(data)
        out: list[tuple[float, bytes]] = []
        while True:
            try:
                frame = self._parser.next_frame()
            except StxFrameError as err:
                self.line_errors += 1
                if isinstance(err, StxChecksumError) and not self.absent:
                    out.append((self.reply_delay_s, p.nak(self.address, 0, p.NakReason.CHECKSUM).encode()))
                continue
            if frame is None:
                return out
            if frame.addr not in (self.address, BROADCAST) or self.absent:
                continue
            self.received.append(frame)
            if self.drop_next:
                self.drop_next -= 1
                continue
            reply = self._handle(frame)
            if frame.addr != BROADCAST:
                out.append((self.reply_delay_s, reply.encode()))

    def _handle(self, frame: StxFrame) -> StxFrame:
        if self.nak_reason is not None and self.nak_count:
            if self.nak_count > 0:
                self.nak_count -= 1
            return p.nak(self.address, frame.cmd, self.nak_reason)
        data = frame.payload
        try:
            cmd = p.LedCommand(frame.cmd)
        except ValueError:
            return p.nak(self.address, frame.cmd, p.NakReason.UNKNOWN_COMMAND)
        match cmd:
            case p.LedCommand.SHOW:
                if len(data) < 2 or data[0] >= self.lines or data[1] not in (0, 1):
                    return p.nak(self.address, cmd, p.NakReason.BAD_PARAMETER)
                try:
                    text = data[2:].decode("gb18030")
                    text.encode(self.font)
                except UnicodeError:
                    return p.nak(self.address, cmd, p.NakReason.UNSUPPORTED_CHARACTER)
                self.screen[data[0]] = text
            case p.LedCommand.CLEAR:
                if len(data) != 1 or (data[0] >= self.lines and data[0] != p.ALL_LINES):
                    return p.nak(self.address, cmd, p.NakReason.BAD_PARAMETER)
                for i in range(self.lines) if data[0] == p.ALL_LINES else (data[0],):
                    self.screen[i] = ""
                    self.blinking[i] = False
            case p.LedCommand.BRIGHTNESS:
                if len(data) != 1 or data[0] > p.MAX_BRIGHTNESS:
                    return p.nak(self.address, cmd, p.NakReason.BAD_PARAMETER)
                self.brightness = data[0]
            case p.LedCommand.BLINK:
                if len(data) != 3 or data[0] >= self.lines or data[1] > 1:
                    return p.nak(self.address, cmd, p.NakReason.BAD_PARAMETER)
                self.blinking[data[0]] = bool(data[1])
            case p.LedCommand.STATUS:
                status = p.DisplayStatus(self.lines, self.columns, self.brightness, self.faults)
                return p.ack(self.address, cmd, status.encode())
        return p.ack(self.address, cmd)
