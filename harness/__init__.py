"""hookconform: a conformance test harness and mock provider for webhooks.

`harness` is the checker: provider profiles (`harness.profiles`), payload strategies
(`harness.strategies`), the click CLI (`harness.cli`) and the pytest plugin
(`harness.pytest_plugin`).
"""

from __future__ import annotations

from harness.errors import ConformanceFailure, HarnessError, SchemaViolation, SpecError
from harness.profiles import Event, Profile, load_profiles

__version__ = "0.1.0"

__all__ = [
    "ConformanceFailure",
    "Event",
    "HarnessError",
    "Profile",
    "SchemaViolation",
    "SpecError",
    "__version__",
    "load_profiles",
]
