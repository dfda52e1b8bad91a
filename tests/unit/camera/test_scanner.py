"""QR round trips: codes made with segno, distorted with Pillow, shown by the simulator, read by the
scanner through zxing-cpp, and classified by the payload parser."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import zxingcpp
from PIL import Image

from drivers.camera import (
    SIMULATED_EID_ISSUERS,
    AppointmentCode,
    CameraAbsent,
    CameraStalled,
    EidCode,
    PayloadRules,
    QrPayloadError,
    QrScanner,
    ScannedCode,
    SimCameraConfig,
    TicketStatusLink,
    UnknownCode,
    appointment_code,
    decode_image,
    open_camera,
    parse_payload,
)
from drivers.camera.sim import SimCamera
from hall_protocol.urls import ticket_status_url

from .pictures import empty_scene, qr_image, scan_until_error, scene

BASE = "http://127.0.0.1:8080"
RULES = PayloadRules(hall="demo", status_base_url=BASE, eid_issuers=SIMULATED_EID_ISSUERS)
APPT = appointment_code("demo", "20240611-0042")


async def scan_one(images: list[Image.Image], *, fps: float = 30.0, timeout: float = 5.0) -> ScannedCode:
    camera = SimCamera(images, fps=fps, stall_timeout=1.0)
    await camera.start()
    try:
        async with asyncio.timeout(timeout):
            codes = await QrScanner(camera).next_codes()
    finally:
        await camera.close()
    assert len(codes) == 1
    return codes[0]


@pytest.mark.parametrize(
    "distortion",
    [
        {},
        {"rotate": 90},
        {"rotate": 180},
        {"rotate": 33},
        {"rotate": -12, "shrink": 0.7},
        {"shrink": 0.5},
        {"scale": 9},
        {"noise": 25.0},
        {"blur": 1.2},
        {"contrast": 0.35},
        {"rotate": 20, "noise": 15.0, "blur": 0.8, "contrast": 0.6},
    ],
    ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items()) or "plain",
)
async def test_appointment_code_survives_distortion(distortion: dict[str, float]) -> None:
    code = await scan_one([scene(APPT, **distortion)])  # type: ignore[arg-type]
    assert code.text == APPT
    assert code.format == "QRCode"
    assert parse_payload(code.text, RULES) == AppointmentCode("demo", "20240611-0042")


async def test_ticket_status_link_round_trip() -> None:
    url = ticket_status_url(BASE, "demo", "A017", "Zm9vYmFyYmF6cXV4")
    code = await scan_one([scene(url, scale=4, rotate=8, noise=10.0)])
    assert parse_payload(code.text, RULES) == TicketStatusLink("demo", "A017", "Zm9vYmFyYmF6cXV4")


async def test_eid_code_round_trip() -> None:
    text = "OVSIMEID:" + "k3y_-" * 6
    code = await scan_one([scene(text, rotate=270)])
    parsed = parse_payload(code.text, RULES)
    assert isinstance(parsed, EidCode)
    assert parsed.issuer == "sim-eid"


async def test_chinese_text_round_trip_is_unknown() -> None:
    text = "欢迎光临政务服务大厅"
    code = await scan_one([scene(text)])
    assert code.text == text
    assert isinstance(parse_payload(code.text, RULES), UnknownCode)


async def test_a_mangled_appointment_code_is_read_but_rejected() -> None:
    mangled = APPT[:-1] + ("0" if APPT[-1] != "0" else "1")
    code = await scan_one([scene(mangled)])
    with pytest.raises(QrPayloadError) as caught:
        parse_payload(code.text, RULES)
    assert caught.value.field == "check"


async def test_two_codes_in_one_frame() -> None:
    camera = SimCamera([scene([APPT, "second"], scale=4)], fps=30)
    await camera.start()
    try:
        async with asyncio.timeout(5):
            codes = await QrScanner(camera).next_codes()
    finally:
        await camera.close()
    assert sorted(c.text for c in codes) == sorted([APPT, "second"])


async def test_nothing_is_reported_for_frames_without_codes() -> None:
    camera = SimCamera([empty_scene(), scene(APPT, noise=200.0, blur=6)], fps=40, stall_timeout=0.3)
    await camera.start()
    scanner = QrScanner(camera)
    try:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.5):
                await scanner.next_codes()
    finally:
        await camera.close()
    assert scanner.frames_decoded >= 3


async def test_code_held_for_many_frames_is_reported_once_per_presentation() -> None:
    fps, held, gap = 20.0, 8, 12  # gap of 0.6 s > forget_after, held for 0.4 s
    images = [scene(APPT)] * held + [empty_scene()] * gap + [scene(APPT)] * held + [scene("other")] * held
    camera = SimCamera(images, fps=fps, stall_timeout=0.4, loop=False)
    await camera.start()
    scanner = QrScanner(camera, forget_after=0.3)
    try:
        seen, error = await scan_until_error(scanner)
    finally:
        await camera.close()
    assert isinstance(error, CameraStalled)  # the end of a non-looping sequence
    assert [c.text for c in seen] == [APPT, APPT, "other"]
    assert seen[1].ts - seen[0].ts > 0.3  # the second report is a new presentation, not a repeat
    assert scanner.frames_decoded > len(seen)


async def test_scanner_propagates_a_vanished_camera() -> None:
    camera = SimCamera([scene(APPT), empty_scene()], fps=30)
    await camera.start()
    scanner = QrScanner(camera)
    async with asyncio.timeout(5):
        await scanner.next_codes()
    camera.vanish()
    with pytest.raises(CameraAbsent):
        async with asyncio.timeout(5):
            await scanner.next_codes()


async def test_sim_config_of_generated_codes_round_trip() -> None:
    camera = open_camera(SimCameraConfig(codes=(APPT, "OVSIMLIC:" + "L" * 20), hold_frames=2, fps=30))
    await camera.start()
    got = []
    try:
        async with asyncio.timeout(5):
            async for code in QrScanner(camera):
                got.append(code.text)
                if len(got) == 2:
                    break
    finally:
        await camera.close()
    assert got == [APPT, "OVSIMLIC:" + "L" * 20]


def test_decode_image_still_and_formats() -> None:
    assert [c.text for c in decode_image(qr_image(APPT))] == [APPT]
    # zxing-cpp's "QRCode" is the family: Micro QR codes are read too
    assert [c.format for c in decode_image(qr_image("12345", micro=True))] == ["MicroQRCode"]
    matrix = Image.fromarray(
        np.asarray(zxingcpp.create_barcode("HELLO", zxingcpp.BarcodeFormat.DataMatrix).to_image(scale=6))
    ).convert("RGB")
    assert decode_image(matrix) == []  # not asked for by default
    assert [c.text for c in decode_image(matrix, formats=("DataMatrix",))] == ["HELLO"]
    with pytest.raises(ValueError, match="NotAFormat"):
        decode_image(matrix, formats=("NotAFormat",))
    with pytest.raises(ValueError, match="at least one"):
        decode_image(matrix, formats=())


def test_scanned_code_repr_hides_the_text() -> None:
    assert "secret" not in repr(ScannedCode(text="secret-payload", format="QRCode", ts=1.0))
