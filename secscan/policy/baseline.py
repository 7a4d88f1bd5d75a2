"""Baselines: the findings a project already knows about, so a gate can count only new ones.

Matching is by fingerprint *and* occurrence count: a baseline entry accepts as many
findings with its fingerprint as it has occurrences, never more. One accepted finding can
therefore not hide a second identical one (bandit's baseline has that bug, bandit#1467).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from secscan import __version__
from secscan.errors import ConfigError, ReportError
from secscan.model.findings import Finding, Scope
from secscan.model.redact import mask_name
from secscan.util import files as _files
from secscan.util import jsonio as _json
from secscan.util.atomic import write_atomic

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
    #: The scope the finding was in ("" when not recorded: an older file). An entry in a
    #: non-source scope accepts only findings outside source: a flaw moved from tests/ into
    #: the product is a new finding there, whatever its fingerprint.
    scope: str = ""

    @property
    def gating(self) -> bool:
        return self.scope in ("", Scope.SOURCE.value)


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
    #: Of `_counts`, the entries recorded in source scope (or with no scope recorded).
    _source: Counter[str] = field(default_factory=Counter, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        counts: Counter[str] = Counter()
        source: Counter[str] = Counter()
        for e in self.entries:
            counts[e.fingerprint] += e.count
            if e.gating:
                source[e.fingerprint] += e.count
        object.__setattr__(self, "_counts", counts)
        object.__setattr__(self, "_source", source)

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
        # Entries outside source scope, and those in it, counted apart: a source finding is
        # accepted only by a source entry; any other by either (the non-source ones first).
        other = Counter({fp: n - self._source[fp] for fp, n in self._counts.items()})
        source = Counter(self._source)
        new: list[Finding] = []
        known: list[Finding] = []
        for f in sorted(findings, key=lambda f: f.sort_key):
            gating = f.scope is Scope.SOURCE
            # a merged flaw is known when the baseline has any of its tools' fingerprints
            fp = next(
                (
                    x
                    for x in f.fingerprints
                    if x and (source[x] > 0 or (not gating and other[x] > 0))
                ),
                None,
            )
            if fp is None:
                new.append(f)
                continue
            if not gating and other[fp] > 0:
                other[fp] -= 1
            else:
                source[fp] -= 1
            known.append(f)
        return Split(tuple(new), tuple(known))

    def pruned(self, findings: Iterable[Finding]) -> Baseline:
        """Only what is still found: fixed findings leave the baseline, new ones do not enter."""
        now = Counter(f.fingerprint for f in findings if f.fingerprint)
        kept = []
        for e in self.entries:
            n = min(e.count, now[e.fingerprint])
            now[e.fingerprint] -= n
            if n:
                kept.append(replace(e, count=n))
        return Baseline(tuple(kept), self.source, self.created_at)


def _entries(findings: Iterable[Finding]) -> tuple[BaselineEntry, ...]:
    # Findings without a fingerprint cannot be recognised again: they always count as new.
    by_fp: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        if f.fingerprint:
            by_fp.setdefault((f.fingerprint, f.scope.value), []).append(f)
    out = [
        BaselineEntry(
            fp, len(fs), fs[0].scanner, fs[0].rule_id, mask_name(fs[0].location.path), scope
        )
        for (fp, scope), fs in by_fp.items()
    ]
    return tuple(sorted(out, key=lambda e: (e.path, e.scanner, e.rule_id, e.fingerprint, e.scope)))


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
                **({"scope": e.scope} if e.scope else {}),
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
        from secscan.model import results  # the results module imports policy.decision: import late

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
        _scope(item.get("scope", ""), source, key),
    )


def _scope(value: Any, source: str, key: str) -> str:
    if value == "":
        return ""
    if not isinstance(value, str) or value not in {s.value for s in Scope}:
        raise ConfigError(
            f"`scope` must be one of {', '.join(s.value for s in Scope)}",
            path=source,
            key=f"{key}.scope",
        )
    return value


def load_baseline(path: Path) -> Baseline:
    try:
        text = _files.read_text(path, limit=_files.MAX_DATA_BYTES)
    except ConfigError as e:
        if e.message == "file not found":
            raise ConfigError("baseline file not found", path=str(path)) from e
        raise
    return loads(text, str(path))
