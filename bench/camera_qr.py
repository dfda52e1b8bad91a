"""QR decode cost per frame (zxing-cpp) and scan latency from frame capture to a yielded code.

Run: python -m bench.camera_qr
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time

from PIL import Image

from drivers.camera import QrScanner, appointment_code
from drivers.camera.frames import as_rgb_pixels
from drivers.camera.scanner import decode_pixels, resolve_formats
from drivers.camera.sim import SimCamera, code_picture

CODE = appointment_code("demo", "BENCH-1")


def decode_ms(width: int, height: int, text: str | None, n: int = 60) -> tuple[float, float]:
    picture = (
        code_picture(text, width, height, fill=0.35) if text else Image.new("RGB", (width, height), (200, 200, 200))
    )
    pixels = as_rgb_pixels(picture)
    formats = resolve_formats(("QRCode",))
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        decode_pixels(pixels, formats, 0.0)
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


async def scan_latency(rounds: int = 20) -> tuple[float, float]:
    empty = Image.new("RGB", (640, 480), (200, 200, 200))
    camera = SimCamera([empty] * 6 + [code_picture(CODE, 640, 480, fill=0.35)] * 6, fps=15)
    await camera.start()
    scanner = QrScanner(camera, forget_after=0.2)
    samples = []
    for _ in range(rounds):
        codes = await scanner.next_codes()
        samples.append((time.monotonic() - codes[0].ts) * 1000)
    await camera.close()
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


def main() -> None:
    results: dict[str, float] = {}
    for width, height in ((640, 480), (1280, 720)):
        for label, text in (("code", CODE), ("empty", None)):
            p50, p95 = decode_ms(width, height, text)
            results[f"decode_{width}x{height}_{label}_p50_ms"] = round(p50, 2)
            print(f"decode {width}x{height} {label:5s}: p50 {p50:6.2f} ms  p95 {p95:6.2f} ms")
    p50, p95 = asyncio.run(scan_latency())
    print(f"scan latency (frame capture → code), 640x480 simulator at 15 fps: p50 {p50:.1f} ms  p95 {p95:.1f} ms")
    results.update(scan_latency_p50_ms=round(p50, 1), scan_latency_p95_ms=round(p95, 1))
    print(json.dumps({"bench": "camera_qr", **results}))


if __name__ == "__main__":
    main()
