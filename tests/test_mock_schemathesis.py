"""schemathesis, every check and every phase, against every API the mock serves, over
loopback: the control API and each profile's subscription API, as their served OpenAPI
documents describe them, must draw no finding (no server error, no valid request refused, no
invalid one accepted, no undocumented answer). Bounded: a fixed seed and at most
`EXAMPLES` cases per operation and phase."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from mock_support import ATTEMPT_TIMEOUT, basic, receiver, resolver

from mock_provider.app import MockConfig
from mock_provider.server import MockServer

EXAMPLES = 10
HERE = Path(__file__).parent
ST = Path(sys.executable).with_name("st")
# (served profiles, the document, the credentials header)
APIS = {
    "control": (["clockodo", "resthooks"], "/_mock/openapi.json", None),
    "factorial": (
        ["factorial"],
        "/_mock/profiles/factorial/openapi.json",
        "x-api-key: test-api-key",
    ),
    "factorial-v1": (
        ["factorial-v1"],
        "/_mock/profiles/factorial-v1/openapi.json",
        "Authorization: Bearer test-api-key",
    ),
    "staffology": (
        ["staffology"],
        "/_mock/profiles/staffology/openapi.json",
        "Authorization: " + basic("test:test")["Authorization"],
    ),
    "resthooks": (["resthooks"], "/_mock/profiles/resthooks/openapi.json", None),
}


@pytest.fixture
def endpoint() -> Iterator[str]:
    with receiver() as found:  # echoes X-Hook-Secret, answers 200
        yield found.url


@pytest.mark.parametrize("api", list(APIS))
def test_schemathesis_finds_nothing(api: str, endpoint: str, tmp_path: Path) -> None:
    profiles, document, credentials = APIS[api]
    config = MockConfig(profiles, time_scale=0.001, timeout=ATTEMPT_TIMEOUT, resolver=resolver())
    command = [
        str(ST),
        "run",
        "",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        "1",
        "--generation-database",
        "none",
        "--no-color",
        "--workers",
        "1",
    ]
    if credentials:
        command += ["--header", credentials]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        "HOOKCONFORM_TEST_RECEIVER": endpoint,
    }
    with MockServer(config) as mock:
        command[2] = mock.url + document
        done = subprocess.run(
            command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
        )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    verdict = done.stdout.strip().splitlines()[-1]
    # "No issues found", or only warnings about test data it could not reach (an id that only
    # a delivery would make, say): never a failure or an error.
    assert "failure" not in verdict, done.stdout[-6000:]
    assert "error" not in verdict, done.stdout[-6000:]
    assert " passed" in done.stdout
