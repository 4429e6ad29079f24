"""The hookconform pytest plugin (entry point `pytest11: hookconform`): fixtures and hooks only.

Fixtures:

- `hookconform_profile`: a loaded profile by name.
- `make_hookconform_capture` (session): a factory of started capture servers, stopped at the
  end of the session; `hookconform_capture`: one capture server per session, its recorded
  requests and scripts cleared before each test.

Every server binds 127.0.0.1 on a free port, so pytest-xdist workers never share one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from harness.capture import CaptureServer
from harness.profiles import Catalog, Profile, load_profiles


@pytest.fixture(scope="session")
def hookconform_catalog() -> Catalog:
    """Every loaded profile (bundled plus HOOKCONFORM_SPECS), loaded once per session."""
    return load_profiles()


@pytest.fixture(scope="session")
def hookconform_profile(hookconform_catalog: Catalog) -> Callable[[str], Profile]:
    """A loaded profile by name: `hookconform_profile("factorial").validate(event, payload)`."""
    return hookconform_catalog.get


@pytest.fixture(scope="session")
def make_hookconform_capture() -> Iterator[Callable[..., CaptureServer]]:
    """A factory of started capture servers (`max_body=` optional), all stopped at the end."""
    with ExitStack() as stack:

        def make(**options: int) -> CaptureServer:
            return stack.enter_context(CaptureServer(**options))

        yield make


@pytest.fixture(scope="session")
def _hookconform_session_capture(
    make_hookconform_capture: Callable[..., CaptureServer],
) -> CaptureServer:
    return make_hookconform_capture()


@pytest.fixture
def hookconform_capture(_hookconform_session_capture: CaptureServer) -> CaptureServer:
    """A capture server with nothing recorded and no script: `.url`, `.respond_with(...)`,
    `.script(path, [...])`, `.requests`, `.wait_for(n, timeout)`."""
    _hookconform_session_capture.clear()
    return _hookconform_session_capture
