"""The real pyserial GA 467 driver against the emulated reader on a pseudo-terminal, with every fault."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from drivers.health import HealthState
from drivers.idcard import Ga467Emulator, Ga467SerialConfig, IdReader, SamState, open_id_reader, sample_card
from drivers.idcard import errors as e
from drivers.idcard.commands import Command
from drivers.serial_pty import PtyHost

pytestmark = pytest.mark.integration

PtyDevice = Callable[[Ga467Emulator], PtyHost]


def reader_on(host: PtyHost, **kw: object) -> IdReader:
    options: dict[str, object] = {"response_timeout_s": 0.5, "read_timeout_s": 1.0, "inter_byte_timeout_s": 0.2}
    options.update(kw)
    return open_id_reader(Ga467SerialConfig(port=host.port, **options))  # type: ignore[arg-type]


async def test_reads_a_card(pty_device: PtyDevice) -> None:
    emu = Ga467Emulator(card=sample_card())
    reader = reader_on(pty_device(emu))
    record = await reader.read_card()
    assert record is not None
    assert record.id_number == "11010519491231002X"
    assert record.name == "张三"
    assert len(record.photo_wlt) == 1024
    assert record.fingerprint is None
    assert [Command.of(f) for f in emu.received] == [Command.FIND_CARD, Command.SELECT_CARD, Command.READ_TEXT_PHOTO]
    await reader.aclose()


async def test_reads_text_photo_and_fingerprint(pty_device: PtyDevice) -> None:
    emu = Ga467Emulator(card=sample_card(fingerprint=bytes(range(256)) * 4))
    reader = reader_on(pty_device(emu), with_fingerprint=True)
    record = await reader.read_card()
    assert record is not None
    assert record.fingerprint == bytes(range(256)) * 4
    assert Command.of(emu.received[-1]) is Command.READ_TEXT_PHOTO_FINGERPRINT
    emu.place(sample_card())  # a card without fingerprint data: length 0, not an error
    record = await reader.read_card()
    assert record is not None
    assert record.fingerprint == b""
    await reader.aclose()


async def test_no_card_is_none(pty_device: PtyDevice) -> None:
    reader = reader_on(pty_device(Ga467Emulator(card=None)))
    assert await reader.read_card() is None
    await reader.aclose()


async def test_card_pulled_mid_read_is_a_torn_frame(pty_device: PtyDevice) -> None:
    emu = Ga467Emulator(card=sample_card(), pull_card_during_read=True)
    reader = reader_on(pty_device(emu))
    with pytest.raises(e.FrameTruncated) as info:
        await reader.read_card()
    assert info.value.reason == "card-moved"
    assert await reader.read_card() is None
    emu.place(sample_card())
    assert await reader.read_card() is not None
    await reader.aclose()


FAILURES = [
    (Command.FIND_CARD, 0x40, e.UnknownCardType),
    (Command.FIND_CARD, 0x47, e.CardReadFailed),
    (Command.SELECT_CARD, 0x81, e.CardSelectFailed),
    (Command.SELECT_CARD, 0x31, e.CardAuthFailed),
    (Command.READ_TEXT_PHOTO, 0x41, e.CardReadFailed),
    (Command.READ_TEXT_PHOTO, 0x32, e.CardAuthFailed),
    (Command.READ_TEXT_PHOTO, 0x33, e.CardAuthFailed),
    (Command.READ_TEXT_PHOTO, 0x91, e.NoContent),
    (Command.READ_TEXT_PHOTO, 0x10, e.CommandRejected),
    (Command.READ_TEXT_PHOTO, 0x11, e.CommandRejected),
    (Command.READ_TEXT_PHOTO, 0x21, e.CommandRejected),
    (Command.READ_TEXT_PHOTO, 0x23, e.CommandRejected),
    (Command.READ_TEXT_PHOTO, 0x24, e.CommandRejected),
    (Command.READ_TEXT_PHOTO, 0x60, e.SamFault),
    (Command.READ_TEXT_PHOTO, 0x66, e.SamNotAuthorised),
]


@pytest.mark.parametrize(("command", "sw3", "kind"), FAILURES)
async def test_each_error_status_is_typed(
    pty_device: PtyDevice, command: Command, sw3: int, kind: type[e.ReaderStatusError]
) -> None:
    emu = Ga467Emulator(card=sample_card(), forced_status={command: sw3})
    reader = reader_on(pty_device(emu))
    with pytest.raises(kind) as info:
        await reader.read_card()
    assert info.value.sw3 == sw3
    await reader.aclose()


async def test_command_rejections_are_retried_once(pty_device: PtyDevice) -> None:
    emu = Ga467Emulator(card=sample_card(), forced_status={Command.READ_TEXT_PHOTO: 0x10})
    reader = reader_on(pty_device(emu))
    with pytest.raises(e.CommandRejected):
        await reader.read_card()
    assert [Command.of(f) for f in emu.received].count(Command.READ_TEXT_PHOTO) == 2
    await reader.aclose()


async def test_frames_split_across_reads(pty_device: PtyDevice) -> None:
    reader = reader_on(pty_device(Ga467Emulator(card=sample_card(), split_frames=True)))
    for _ in range(3):
        assert await reader.read_card() is not None
    await reader.aclose()


async def test_garbage_between_frames(pty_device: PtyDevice) -> None:
    emu = Ga467Emulator(card=sample_card(), garbage_between_frames=True, split_frames=True, seed=7)
    reader = reader_on(pty_device(emu))
    for _ in range(3):
        assert await reader.read_card() is not None
    health = await reader.health()
    assert health.state is HealthState.OK
    await reader.aclose()


async def test_answer_later_than_the_timeout(pty_device: PtyDevice) -> None:
    emu = Ga467Emulator(card=sample_card(), delay_s=0.8)
    reader = reader_on(pty_device(emu))
    with pytest.raises(e.ReaderTimeout) as info:
        await reader.read_card()
    assert info.value.reason == "reader-not-responding"
    emu.delay_s = 0.0
    # the late answer to the first FIND arrives around the next exchange: it must not confuse it. Whether it
    # lands before the new FIND is written (flushed) or after it (dropped, and logged) depends on scheduling;
    # either way the card must read correctly.
    record = await reader.read_card()
    assert record is not None
    assert record.id_number == "11010519491231002X"
    await reader.aclose()


async def test_corrupt_checksum_once_is_retried(pty_device: PtyDevice) -> None:
    reader = reader_on(pty_device(Ga467Emulator(card=sample_card(), corrupt_checksums=1)))
    assert await reader.read_card() is not None
    await reader.aclose()


async def test_corrupt_checksum_always_is_a_typed_error(pty_device: PtyDevice) -> None:
    reader = reader_on(pty_device(Ga467Emulator(card=sample_card(), corrupt_checksums=-1)))
    with pytest.raises(e.FrameChecksumError):
        await reader.read_card()
    health = await reader.health()
    assert health.state is HealthState.DEGRADED
    assert health.reasons == ("line-errors",)
    await reader.aclose()


@pytest.mark.parametrize(
    ("sam", "reason", "kind"),
    [
        (SamState.SELF_TEST_FAILED, "sam-fault", e.SamFault),
        (SamState.UNAUTHORISED, "sam-unauthorised", e.SamNotAuthorised),
    ],
)
async def test_sam_faults(pty_device: PtyDevice, sam: SamState, reason: str, kind: type[Exception]) -> None:
    reader = reader_on(pty_device(Ga467Emulator(card=sample_card(), sam=sam)))
    health = await reader.health()
    assert health.state is HealthState.FAULT
    assert health.reasons == (reason,)
    assert (await reader.self_test()).reasons == (reason,)
    with pytest.raises(kind):
        await reader.read_card()
    await reader.aclose()


async def test_self_test_reports_the_sam_number(pty_device: PtyDevice) -> None:
    reader = reader_on(pty_device(Ga467Emulator()))
    result = await reader.self_test()
    assert result.state is HealthState.OK
    assert "05.01-20240101-0012345678-0087654321" in result.detail
    await reader.aclose()


async def test_reader_that_never_answers(pty_device: PtyDevice) -> None:
    emu = Ga467Emulator(delay_s=5.0)
    reader = reader_on(pty_device(emu), response_timeout_s=0.2)
    health = await reader.health()
    assert health.state is HealthState.FAULT
    assert health.reasons == ("reader-not-responding",)
    await reader.aclose()


async def test_missing_port_is_absent(tmp_path: object) -> None:
    reader = open_id_reader(Ga467SerialConfig(port="/dev/onevisit-no-such-tty"))
    health = await reader.health()
    assert health.state is HealthState.ABSENT
    assert health.reasons == ("reader-absent",)
    with pytest.raises(e.ReaderAbsent) as info:
        await reader.read_card()
    assert info.value.reason == "reader-absent"


async def test_port_lost_while_in_use(pty_device: PtyDevice) -> None:
    host = pty_device(Ga467Emulator(card=sample_card()))
    reader = reader_on(host)
    assert await reader.read_card() is not None
    host.close()  # the USB reader is unplugged
    with pytest.raises(e.ReaderAbsent):
        await reader.read_card()
    assert (await reader.health()).state is HealthState.ABSENT
    await reader.aclose()
