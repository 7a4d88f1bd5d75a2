"""The trends section's charts as plain geometry (pure): the HTML and compliance templates
draw them as inline SVG, so the report still loads nothing and its CSP stays strict."""

from __future__ import annotations

from dataclasses import dataclass

from secscan.history.trends import OpenFinding, Trends

#: At most this many runs are drawn (the newest); the numbers cover every run.
MAX_RUNS = 60
WIDTH = 480
HEIGHT = 120
#: Chart colours reuse the stylesheet's severity classes (no new CSS, so no new CSP hash).
SEVERITY_CSS = {s: f"sev-{s}" for s in ("critical", "high", "medium", "low", "info")}
STATE_CSS = {
    "fail": "sev-high",
    "waived": "sev-medium",
    "not_assessed": "sev-info",
    "pass": "sev-low",
}


@dataclass(frozen=True, slots=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    css: str
    title: str


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    width: int
    height: int
    rects: tuple[Rect, ...]
    #: (css class, label) pairs.
    legend: tuple[tuple[str, str], ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class TrendsView:
    summary: str
    branch: str
    runs: int
    charts: tuple[Chart, ...]
    #: (severity, fixes, mean days or None, deadline days or None)
    remediation: tuple[tuple[str, int, float | None, int | None], ...]
    breaches: tuple[OpenFinding, ...]


def view(trends: Trends, *, max_breaches: int = 20) -> TrendsView:
    points = trends.runs[-MAX_RUNS:]
    note = (
        f"newest {len(points)} of {len(trends.runs)} runs" if len(points) < len(trends.runs) else ""
    )
    open_chart = stacked(
        "Open findings by severity, per run",
        [
            [(SEVERITY_CSS[s.value], n, f"run {p.run_id}: {n} {s.value}") for s, n in p.open]
            for p in points
        ],
        tuple((SEVERITY_CSS[s.value], s.value) for s, _ in points[0].open) if points else (),
        note,
    )
    flow = diverging(
        "New (up) and fixed (down), per run",
        [(p.new, p.fixed, f"run {p.run_id}: +{p.new} new, -{p.fixed} fixed") for p in points],
        note,
    )
    charts = [open_chart, flow]
    if any(p.controls for p in points):
        charts.append(
            stacked(
                "Control states, per run",
                [
                    [
                        (STATE_CSS.get(state, "sev-info"), n, f"run {p.run_id}: {n} {state}")
                        for state, n in sorted(
                            p.controls,
                            key=lambda c: list(STATE_CSS).index(c[0]) if c[0] in STATE_CSS else 9,
                        )
                    ]
                    for p in points
                ],
                tuple((css, state.replace("_", " ")) for state, css in STATE_CSS.items()),
                note,
            )
        )
    deadlines = dict(trends.deadlines)
    return TrendsView(
        summary=trends.summary_line(),
        branch=trends.branch or "-",
        runs=len(trends.runs),
        charts=tuple(charts),
        remediation=tuple(
            (r.severity.value, r.fixes, r.mean_days, deadlines.get(r.severity))
            for r in trends.remediation
        ),
        breaches=trends.breaches[:max_breaches],
    )


def stacked(
    title: str,
    columns: list[list[tuple[str, int, str]]],
    legend: tuple[tuple[str, str], ...],
    note: str,
) -> Chart:
    top = max((sum(n for _, n, _ in col) for col in columns), default=0) or 1
    step = WIDTH / max(1, len(columns))
    rects = []
    for i, col in enumerate(columns):
        y = float(HEIGHT)
        for css, n, label in col:
            if n <= 0:
                continue
            h = HEIGHT * n / top
            y -= h
            rects.append(
                Rect(
                    round(i * step, 2),
                    round(y, 2),
                    round(max(1.0, step - 1), 2),
                    round(h, 2),
                    css,
                    label,
                )
            )
    return Chart(title, WIDTH, HEIGHT, tuple(rects), legend, note)


def diverging(title: str, columns: list[tuple[int, int, str]], note: str) -> Chart:
    top = max((max(a, b) for a, b, _ in columns), default=0) or 1
    half = HEIGHT / 2
    step = WIDTH / max(1, len(columns))
    rects = []
    for i, (new, fixed, label) in enumerate(columns):
        x, w = round(i * step, 2), round(max(1.0, step - 1), 2)
        if new:
            h = half * new / top
            rects.append(Rect(x, round(half - h, 2), w, round(h, 2), "sev-high", label))
        if fixed:
            rects.append(Rect(x, half, w, round(half * fixed / top, 2), "sev-low", label))
    return Chart(
        title, WIDTH, HEIGHT, tuple(rects), (("sev-high", "new"), ("sev-low", "fixed")), note
    )
