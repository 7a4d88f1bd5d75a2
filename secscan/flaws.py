"""One finding per flaw: reports of the same flaw by several tools (or one tool twice) merged.

bandit's B602 and the pack's shell-injection rule on one line are one flaw; so are B324 and
the SHA-1 rule, and a semgrep taint rule and its audit twin. Two findings are the same flaw
when they are in the same file, their lines overlap, and either they are the same tool's
same rule or their CWEs overlap (code findings); findings of other kinds (dependencies,
images, IaC, secrets) merge only when they are the same report twice (same fingerprint).
The merged finding keeps every source (tool, rule id, that tool's own fingerprint) so a
baseline or waiver written against any of them keeps matching, and the gate counts the
flaw once.

Whose severity? A scanner that says it is a severity authority (`Scanner.severity_authority`:
the secscan semgrep pack, whose rules are calibrated by data flow, while a pattern tool
such as bandit rates the API it saw, not where the data came from) decides when it is among
the sources. Without one, the most severe source decides.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace

from secscan.findings import Finding, FindingKind, ScannerRun, Source

Order = Callable[[Finding], tuple[int, int, str, str, str]]


def one_per_flaw(
    runs: Sequence[ScannerRun], authorities: Collection[str] = ()
) -> tuple[ScannerRun, ...]:
    """The runs with each flaw reported once, in the run of the source that decides it.

    `authorities` are the scanners whose severity decides a flaw they are a source of.
    """
    precedence = _precedence(frozenset(authorities))
    items = [(r, i, f) for r, run in enumerate(runs) for i, f in enumerate(run.findings)]
    parent = list(range(len(items)))

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    buckets: dict[tuple[FindingKind, str], list[int]] = {}
    for n, (_, _, f) in enumerate(items):
        if f.kind is not FindingKind.POLICY and f.location.path and f.location.start_line:
            buckets.setdefault((f.kind, f.location.path), []).append(n)
    for members in buckets.values():
        members.sort(key=lambda n: (_start(items[n][2]), n))
        for a_pos, a in enumerate(members):
            fa = items[a][2]
            for b in members[a_pos + 1 :]:
                fb = items[b][2]
                if _start(fb) > _end(fa):
                    break
                if same_flaw(fa, fb):
                    parent[root(b)] = root(a)

    groups: dict[int, list[int]] = {}
    for n in range(len(items)):
        groups.setdefault(root(n), []).append(n)
    replaced: dict[tuple[int, int], Finding] = {}
    dropped: set[tuple[int, int]] = set()
    for members in groups.values():
        if len(members) == 1:
            continue
        ordered = sorted(members, key=lambda n: precedence(items[n][2]))
        head, rest = ordered[0], ordered[1:]
        r, i, primary = items[head]
        replaced[(r, i)] = merged(primary, [items[n][2] for n in rest], precedence)
        dropped.update((items[n][0], items[n][1]) for n in rest)
    if not replaced:
        return tuple(runs)
    out = []
    for r, run in enumerate(runs):
        kept = tuple(
            replaced.get((r, i), f) for i, f in enumerate(run.findings) if (r, i) not in dropped
        )
        out.append(run if kept == run.findings else replace(run, findings=kept))
    return tuple(out)


def same_flaw(a: Finding, b: Finding) -> bool:
    if a.kind is not b.kind or a.location.path != b.location.path:
        return False
    if _start(b) > _end(a) or _start(a) > _end(b):
        return False
    if a.kind is not FindingKind.CODE:
        # one advisory on two packages of an image, two advisories on one requirement line:
        # different flaws; only a true duplicate (same report, same fingerprint) collapses
        return (a.scanner, a.rule_id, a.fingerprint, a.package) == (
            b.scanner,
            b.rule_id,
            b.fingerprint,
            b.package,
        )
    if a.scanner == b.scanner and a.rule_id == b.rule_id:
        return True
    return bool(set(a.cwe) & set(b.cwe))


def merged(primary: Finding, others: Sequence[Finding], order: Order) -> Finding:
    """The primary finding, listing the others as sources in `order`; CWEs and references
    united."""
    sources = tuple(
        dict.fromkeys(
            Source(o.scanner, o.rule_id, o.fingerprint, o.severity, o.title)
            for o in sorted(others, key=order)
            if (o.scanner, o.rule_id, o.fingerprint)
            != (primary.scanner, primary.rule_id, primary.fingerprint)
        )
    )
    everything = (primary, *others)
    return replace(
        primary,
        cwe=tuple(dict.fromkeys(c for f in everything for c in f.cwe)),
        references=tuple(dict.fromkeys(u for f in everything for u in f.references)),
        also_reported_by=(*primary.also_reported_by, *sources),
    )


def _precedence(authorities: frozenset[str]) -> Order:
    """Which source of a flaw comes first: an authority, then the most severe."""

    def key(f: Finding) -> tuple[int, int, str, str, str]:
        return (
            0 if f.scanner in authorities else 1,
            -f.severity.rank,
            f.scanner,
            f.rule_id,
            f.fingerprint,
        )

    return key


def _start(f: Finding) -> int:
    return f.location.start_line or 0


def _end(f: Finding) -> int:
    return max(f.location.end_line or 0, _start(f))
