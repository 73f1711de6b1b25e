"""schemathesis against both services' OpenAPI documents, with a valid token: no 5xx, and
every response (status, content type, body) as documented. Bounded: a few examples per
operation, so it stays a small part of `make test`."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from silta_platform.auth import KELA_AUDIENCE, MUNICIPALITY_AUDIENCE
from silta_platform.authorisation import COUNTY_ROLES, KELA_ROLES, Role

pytestmark = pytest.mark.e2e

ST = Path(sys.executable).parent / "st"
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    )
)
MAX_EXAMPLES = "20"


async def test_both_services_answer_as_documented(silta: Any, tmp_path: Path) -> None:
    issuer = silta.issuer
    assert issuer is not None
    everyone = (
        (
            silta.kela,
            issuer.mint(
                roles=sorted({*KELA_ROLES, Role.OPERATIONS}), org="kela", audience=KELA_AUDIENCE
            ),
        ),
        (
            silta.municipality,
            issuer.mint(
                roles=sorted({*COUNTY_ROLES, Role.OPERATIONS}),
                org="county-11",
                counties=["11"],
                audience=MUNICIPALITY_AUDIENCE,
            ),
        ),
    )
    failures = []
    for process, token in everyone:
        command = [
            str(ST),
            "run",
            f"{process.base_url}/openapi.json",
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            CHECKS,
            "--mode",
            "all",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            "4",
            "--workers",
            "1",
            "--request-timeout",
            "10",
            "--suppress-health-check",
            "all",
            # A long poll with nothing to report answers only after `wait` seconds (up to 30,
            # past the request timeout): the change feed is tested in test_change_feed.py.
            "--exclude-path",
            "/v1/events",
            "--report-dir",
            str(tmp_path / process.name),
        ]
        result = await asyncio.to_thread(
            subprocess.run,
            command,
            capture_output=True,
            text=True,
            timeout=600,
            cwd=tmp_path,  # its cache goes there, not into the repository
        )
        if result.returncode != 0:
            failures.append(
                f"--- {process.name}\n{result.stdout[-20000:]}\n{result.stderr[-3000:]}"
            )
    assert not failures, "\n".join(failures)
