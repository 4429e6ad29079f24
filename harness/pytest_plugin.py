"""The hookconform pytest plugin (entry point `pytest11: hookconform`).

Fixtures and hooks only. For now it offers `hookconform_profile`; the conformance options,
the mock provider and capture fixtures come with the suites that they drive.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.profiles import Catalog, Profile, load_profiles


@pytest.fixture(scope="session")
def hookconform_catalog() -> Catalog:
    """Every loaded profile (bundled plus HOOKCONFORM_SPECS), loaded once per session."""
    return load_profiles()


@pytest.fixture(scope="session")
def hookconform_profile(hookconform_catalog: Catalog) -> Callable[[str], Profile]:
    """A loaded profile by name: `hookconform_profile("factorial").validate(event, payload)`."""
    return hookconform_catalog.get
