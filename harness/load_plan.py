"""The plan of a load run, made up front: every delivery's bytes, so none is made under load.

The parent process (the CLI, the pytest plugin) makes the plan with the receiver suite's
payload plans (`harness.plans`: the examples and generated valid payloads of each event,
from the cache when they were made before) and writes it as one JSON file that the Locust
child process (`harness.loadfile`, or plain `locust -f`) reads with the standard library
and `harness.signatures` alone. A delivery is its event, its headers and its body as the
provider sends it (envelope, event headers, the secret where the authenticity kind puts
it); a signature is made per request, over a fresh id and the present, since a timestamp
made at plan time would be stale a few minutes into a long run.

The target is resolved once, here (`harness.targets.pin`): Locust connects to the address
found and sends the name in the Host header, so the load goes where the other suites go.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.load_spec import Stage
from harness.plans import PlanSpec, plan_payloads
from harness.profiles import Profile
from harness.targets import Target
from harness.wire import delivery_request, event_headers

FORMAT = 1
PER_EVENT = 8  # generated payloads per event, besides its examples
DUPLICATES = 0.05  # of the deliveries, resent as a retry resends them (same id and body)


def deliveries(
    profile: Profile,
    events: Sequence[str],
    *,
    secret: str | None,
    seed: int,
    cache_dir: Path | None,
) -> list[dict[str, Any]]:
    """Every delivery of the plan: per event its examples, then generated valid payloads."""
    spec = PlanSpec(
        secret=secret,
        max_examples=PER_EVENT,
        concurrency=1,
        seed_value=seed,
        negatives=False,
        cache_dir=cache_dir,
    )
    own = (
        profile.semantics.authenticity.own_headers if profile.semantics.authenticity.scheme else ()
    )
    found = []
    for event, plan in plan_payloads(profile, events, spec).items():
        headers = event_headers(profile, event)
        for payload in [*plan.examples, *plan.fresh]:
            request = delivery_request(profile, payload, secret=secret, extra_headers=headers)
            kept = {k: v for k, v in request.headers.items() if k.lower() not in own}
            found.append(
                {"event": event, "headers": kept, "body": base64.b64encode(request.body).decode()}
            )
    return found


def plan_document(
    profile: Profile,
    target: Target,
    *,
    secret: str | None,
    events: Sequence[str],
    stages: Sequence[Stage],
    timeout: float,
    seed: int = 0,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """The plan as the child reads it."""
    scheme = profile.semantics.authenticity.scheme
    return {
        "format": FORMAT,
        "profile": profile.name,
        "url": target.url,
        "host": f"{target.scheme}://{_address(target)}:{target.port}",
        "authority": target.authority,
        "path": target.path,
        "timeout": timeout,
        "duplicates": DUPLICATES,
        "seed": seed,
        "stages": [dataclasses.asdict(s) for s in stages],
        "signing": None
        if scheme is None or secret is None
        else {"secret": secret, "scheme": dataclasses.asdict(scheme)},
        "deliveries": deliveries(profile, events, secret=secret, seed=seed, cache_dir=cache_dir),
    }


def _address(target: Target) -> str:
    address = target.addresses[0]
    return f"[{address}]" if ":" in address else address


def write_plan(document: dict[str, Any], path: Path) -> None:
    path.write_text(json.dumps(document), encoding="utf-8")
