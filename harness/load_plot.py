"""The latency-over-time page of a load run: one self-contained HTML file, an SVG in it.

Per second of the run: the median, p95 and slowest answer (lines, milliseconds on a
logarithmic scale), the deliveries sent (bars, on their own scale), the failures (red
marks) and the provider's timeout (a dashed line). No script and no library: it opens in
any browser, and it is small enough to keep as a CI artifact.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 900, 360, 64, 56, 36, 40
LINES = (("p50", "#2b6cb0"), ("p95", "#dd6b20"), ("max", "#718096"))


def _per_second(
    records: Sequence[tuple[float, float, str]], started: float
) -> list[list[tuple[float, str]]]:
    seconds = int(max((r[0] - started for r in records), default=0.0)) + 1
    buckets: list[list[tuple[float, str]]] = [[] for _ in range(seconds)]
    for sent, ms, outcome in records:
        buckets[max(0, int(sent - started))].append((ms, outcome))
    return buckets


def _quantile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)] if ordered else 0.0


def page(
    records: Sequence[tuple[float, float, str]],
    started: float,
    *,
    timeout: float,
    title: str,
) -> str:
    """The page for these records (as `harness.load.Measured` keeps them)."""
    buckets = _per_second(records, started)
    width, height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slowest = max([ms for b in buckets for ms, _ in b] + [timeout * 1000.0, 1.0])
    top = 10 ** math.ceil(math.log10(slowest))
    most = max([len(b) for b in buckets] + [1])

    def x(second: float) -> float:
        return LEFT + width * second / max(len(buckets), 1)

    def y(ms: float) -> float:
        floor = 0.1
        share = (math.log10(max(ms, floor)) - math.log10(floor)) / (
            math.log10(top) - math.log10(floor)
        )
        return TOP + height * (1 - share)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="11">'
    ]
    bar = width / max(len(buckets), 1)
    for second, bucket in enumerate(buckets):
        tall = height * len(bucket) / most * 0.35
        parts.append(
            f'<rect x="{x(second):.1f}" y="{TOP + height - tall:.1f}" width="{bar * 0.8:.1f}" '
            f'height="{tall:.1f}" fill="#e2e8f0"><title>{len(bucket)} sent in second '
            f"{second}</title></rect>"
        )
    decade = 0.1
    while decade <= top:
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + width}" y1="{y(decade):.1f}" y2="{y(decade):.1f}" '
            f'stroke="#edf2f7"/><text x="{LEFT - 6}" y="{y(decade) + 4:.1f}" '
            f'text-anchor="end">{decade:g} ms</text>'
        )
        decade *= 10
    limit = y(timeout * 1000.0)
    parts.append(
        f'<line x1="{LEFT}" x2="{LEFT + width}" y1="{limit:.1f}" y2="{limit:.1f}" '
        f'stroke="#c53030" stroke-dasharray="6 4"/><text x="{LEFT + width + 4}" '
        f'y="{limit + 4:.1f}" fill="#c53030">timeout</text>'
    )
    for name, colour in LINES:
        share = {"p50": 0.5, "p95": 0.95, "max": 1.0}[name]
        points = " ".join(
            f"{x(s + 0.4):.1f},{y(_quantile([ms for ms, _ in b], share)):.1f}"
            for s, b in enumerate(buckets)
            if b
        )
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
    for second, bucket in enumerate(buckets):
        failed = sum(1 for _, outcome in bucket if outcome != "2xx")
        if failed:
            parts.append(
                f'<circle cx="{x(second + 0.4):.1f}" cy="{TOP + height - 4}" r="4" '
                f'fill="#c53030"><title>{failed} not 2xx in second {second}</title></circle>'
            )
    for tick in range(0, len(buckets) + 1, max(1, len(buckets) // 10)):
        parts.append(
            f'<text x="{x(tick):.1f}" y="{TOP + height + 16}" text-anchor="middle">{tick} s</text>'
        )
    legend = "".join(f'<tspan fill="{colour}"> ━ {name}</tspan>' for name, colour in LINES)
    parts.append(
        f'<text x="{LEFT}" y="{TOP - 14}">{legend}<tspan fill="#a0aec0"> ▮ sent per second'
        f'</tspan><tspan fill="#c53030"> ● not 2xx</tspan></text>'
    )
    parts.append("</svg>")
    heading = html.escape(title)
    return (
        f"<!doctype html><meta charset='utf-8'><title>{heading}</title>"
        f"<h1 style='font-family:sans-serif;font-size:16px'>{heading}</h1>{''.join(parts)}\n"
    )
