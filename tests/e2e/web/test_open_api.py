"""The open API against its own served OpenAPI document, with schemathesis (every operation, generated inputs,
every check: status codes, content types and bodies as documented, no server errors, auth enforced)."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
from pathlib import Path

import pytest

from onevisit.broker import PrivateBroker
from tests.e2e.web.harness import live_hall
from tests.fixtures.components import unavailable

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[3]


async def test_the_api_keeps_to_its_document(mosquitto: PrivateBroker, tmp_path: Path) -> None:
    if importlib.util.find_spec("schemathesis") is None:
        unavailable("schemathesis", "not installed (the dev extra of pyproject.toml)")
    async with live_hall(mosquitto, tmp_path) as hall:
        _, token = await hall.api_tokens.add("schemathesis", ["appointments", "tickets", "hall", "ratings",
                                                                "reports"])
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "schemathesis.cli", "run", f"{hall.url}/api/v1/openapi.json",
            "-H", f"Authorization: Bearer {token}", "--checks", "all", "--max-examples", "20",
            "--generation-deterministic", "--no-color",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=tmp_path,
            env=dict(os.environ, PYTHONPATH=os.environ.get("PYTHONPATH", str(ROOT))),
        )
        out, _ = await asyncio.wait_for(proc.communicate(), 280)
        report = out.decode(errors="replace")
        assert proc.returncode == 0, report[-6000:]
        assert "openapi.json" in report or "passed" in report.lower()
