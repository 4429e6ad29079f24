"""schemathesis hooks for the tests that fuzz the mock (SCHEMATHESIS_HOOKS=schemathesis_hooks).

A subscription's target must answer the profile's handshake (resthooks' X-Hook-Secret echo)
for a create to succeed: a generated loopback URL where nothing listens would make every valid
create a refusal. So a generated target URL that the mock would take is pointed at the test's
receiver (HOOKCONFORM_TEST_RECEIVER), which answers every handshake; anything else is left as
generated, so that invalid targets still test the refusals.
"""

from __future__ import annotations

import os
import re
from typing import Any

import schemathesis

from mock_provider.control_openapi import LOOPBACK_URL

FIELDS = ("target_url", "url")


@schemathesis.hook
def before_call(context: Any, case: Any, **kwargs: Any) -> None:
    receiver = os.environ.get("HOOKCONFORM_TEST_RECEIVER")
    if not receiver or not isinstance(case.body, dict):
        return
    for name in FIELDS:
        value = case.body.get(name)
        if isinstance(value, str) and re.match(LOOPBACK_URL, value):
            case.body[name] = receiver
