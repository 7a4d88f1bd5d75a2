"""Baselines: the findings a project already knows about, so a gate can count only new ones.

Matching is by fingerprint *and* occurrence count: a baseline entry accepts as many
findings with its fingerprint as it has occurrences, never more. One accepted finding can
therefore not hide a second identical one (bandit's baseline has that bug, bandit#1467).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from secscan import __version__, _json
from secscan._atomic import write_atomic
from secscan.errors import ConfigError, ReportError
from secscan.findings import Finding
from secscan.redact import mask_name

SCHEMA = "secscan-baseline"
SCHEMA_VERSION = 1
BASELINE_FILE = ".secscan-baseline.json"


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    fingerprint: str
    count: int
    # For people reading the file in review; matching uses only the fingerprint and count.
    scanner: str = ""
    rule_id: str = ""
    path: str = ""


@dataclass(frozen=True, slots=True)
class Split:
    new: tuple[Finding, ...]
    known: tuple[Finding, ...]


@dataclass(frozen=True)
class Baseline:
    """A multiset of fingerprints: from a baseline file or from an older results file."""

    entries: tuple[BaselineEntry, ...] = ()
    source: str = "<memory>"
    created_at: str | None = None
    _counts: Counter[str] = field(default_factory=Counter, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        counts: Counter[str] = Counter()
        for e in self.entries:
            counts[e.fingerprint] += e.count
        object.__setattr__(self, "_counts", counts)

    @property
    def counts(self) -> Mapping[str, int]:
        return self._counts

    def __len__(self) -> int:
        return sum(self._counts.values())

    @classmethod
    def from_findings(cls, findings: Iterable[Finding], source: str = "<memory>") -> Baseline:
        return cls(_entries(findings), source)

    def split(self, findings: Sequence[Finding]) -> Split:
        """Which findings are new. Identical fingerprints are taken in report order, so the
        result does not depend on the order the scanners returned them in.
        """
        left = Counter(self._counts)
        new: list[Finding] = []
        known: list[Finding] = []
        for f in sorted(findings, key=lambda f: f.sort_key):
            # a merged flaw is known when the baseline has any of its tools' fingerprints
            fp = next((x for x in f.fingerprints if x and left[x] > 0), None)
            if fp is not None:
                left[fp] -= 1
                known.append(f)
            else:
                new.append(f)
        return Split(tuple(new), tuple(known))

    def pruned(self, findings: Iterable[Finding]) -> Baseline:
        """Only what is still found: fixed findings leave the baseline, new ones do not enter."""
        now = Counter(f.fingerprint for f in findings if f.fingerprint)
        kept = []
        for e in self.entries:
            n = min(e.count, now[e.fingerprint])
            now[e.fingerprint] -= n
            if n:
                kept.append(BaselineEntry(e.fingerprint, n, e.scanner, e.rule_id, e.path))
        return Baseline(tuple(kept), self.source, self.created_at)


def _entries(findings: Iterable[Finding]) -> tuple[BaselineEntry, ...]:
    # Findings without a fingerprint cannot be recognised again: they always count as new.
    by_fp: dict[str, list[Finding]] = {}
    for f in findings:
        if f.fingerprint:
            by_fp.setdefault(f.fingerprint, []).append(f)
    out = [
        BaselineEntry(fp, len(fs), fs[0].scanner, fs[0].rule_id, mask_name(fs[0].location.path))
        for fp, fs in by_fp.items()
    ]
    return tuple(sorted(out, key=lambda e: (e.path, e.scanner, e.rule_id, e.fingerprint)))


def dumps(baseline: Baseline, now: datetime) -> str:
    """Sorted and stable, so a baseline diff in review shows only what changed."""
    data = {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "created_at": now.isoformat(),
        "secscan_version": __version__,
        "findings": [
            {
                "fingerprint": e.fingerprint,
                "count": e.count,
                "scanner": e.scanner,
                "rule_id": e.rule_id,
                "path": e.path,
            }
            for e in baseline.entries
        ],
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_baseline(path: Path, baseline: Baseline, now: datetime) -> None:
    write_atomic(path, dumps(baseline, now))


def loads(text: str, source: str) -> Baseline:
    """A baseline file, or a secscan-results.json (e.g. of the merge-base commit)."""
    try:
        data = _json.loads(text)
    except ValueError as e:
        raise ConfigError(f"baseline is not JSON: {e}", path=source) from e
    if isinstance(data, dict) and data.get("schema") == "secscan-results":
        from secscan import results  # the results module imports policy.decision: import late

        try:
            saved = results.loads(text, source)
        except ReportError as e:
            raise ConfigError(e.diagnostics(), path=source) from e
        return Baseline.from_findings(saved.result.findings, source)
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ConfigError(
            f'not a secscan baseline (no "schema": "{SCHEMA}") nor a secscan results file',
            path=source,
        )
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ConfigError(
            f"baseline schema version {data.get('schema_version')!r} is not one this secscan "
            f"reads ({SCHEMA_VERSION})",
            path=source,
            key="schema_version",
        )
    items = data.get("findings")
    if not isinstance(items, list):
        raise ConfigError("`findings` must be a list", path=source, key="findings")
    entries = [_entry(item, i, source) for i, item in enumerate(items)]
    created = data.get("created_at")
    return Baseline(tuple(entries), source, created if isinstance(created, str) else None)


def _entry(item: Any, i: int, source: str) -> BaselineEntry:
    key = f"findings.{i}"
    if not isinstance(item, dict):
        raise ConfigError("each entry must be an object", path=source, key=key)
    fp, count = item.get("fingerprint"), item.get("count", 1)
    if not isinstance(fp, str) or not fp:
        raise ConfigError(
            "`fingerprint` must be a non-empty string", path=source, key=f"{key}.fingerprint"
        )
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ConfigError("`count` must be a whole number >= 1", path=source, key=f"{key}.count")
    return BaselineEntry(
        fp,
        count,
        str(item.get("scanner", "")),
        str(item.get("rule_id", "")),
        str(item.get("path", "")),
    )


def load_baseline(path: Path) -> Baseline:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise ConfigError("baseline file not found", path=str(path)) from e
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read baseline: {e}", path=str(path)) from e
    return loads(text, str(path))
