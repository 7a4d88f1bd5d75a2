"""One finding per flaw: reports of the same flaw by several tools (or one tool twice) merged.

bandit's B602 and the pack's shell-injection rule on one line are one flaw; so are B324 and
the MD5 rule, and a semgrep taint rule and its audit twin. Two findings are the same flaw
when they are in the same file, their lines overlap, and either they are the same tool's
same rule, or their CWEs overlap (code findings), or a trusted rule names the other as the
same flaw (`RuleClaims.same_flaw_as`: an explicit, tested table in the pack's metadata, for
reports of one flaw under different CWE ids, such as bandit B201 and the pack's Flask debug
rule). Findings of other kinds (dependencies, images, IaC, secrets) merge only when they are
the same report twice (same fingerprint).

Never merged: a finding its tool's inline comment hides with one it does not (`# nosec B602`
hides B602, not the B607 on its line), and a finding of a rule set the change under review
added with any other rule's (it may add a finding, never lower or merge away another).

Whose severity? The highest that any source gave: a rule that cannot trace a value to a
source (the pack's LOW audit rules) has no evidence the value is safe, and a taint rule's
evidence may raise a pattern tool's rating. The one way down is proof: a rule of a trusted
rule set whose match means the flagged value is safe (a literal, a constant, an allow-listed
callee; `RuleClaims.proves_safe`) lowers the sources it vouches for, where the spans
overlap, to its own rating. Such a proof is evidence, not a flaw: it is not reported itself.
Every merged or proven flaw records which source decided its severity and why (`rating`).

The merged finding keeps every source (tool, rule id, that tool's own fingerprint) so a
baseline or waiver written against any of them keeps matching, and the gate counts the flaw
once.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import replace

from secscan.model.findings import Finding, FindingKind, Rating, ScannerRun, Severity, Source

#: A finding with its place: (index of its run, index in the run's findings, the finding).
_Item = tuple[int, int, Finding]


def one_per_flaw(runs: Sequence[ScannerRun]) -> tuple[ScannerRun, ...]:
    """The runs with each flaw reported once, in the run of the source that decides it."""
    items = [(r, i, f) for r, run in enumerate(runs) for i, f in enumerate(run.findings)]
    replaced: dict[tuple[int, int], Finding] = {}
    dropped: set[tuple[int, int]] = set()
    for members in _same_flaw_groups(items):
        found = [items[n][2] for n in members]
        if len(members) == 1 and not is_proof(found[0]):
            continue
        head, flaw = decide(found)
        if flaw is None:
            # Only proofs of safety, vouching for nothing here: evidence, not a flaw.
            dropped.update((items[n][0], items[n][1]) for n in members)
            continue
        keep = members[head]
        replaced[(items[keep][0], items[keep][1])] = flaw
        dropped.update((items[n][0], items[n][1]) for n in members if n != keep)
    if not replaced and not dropped:
        return tuple(runs)
    return tuple(_kept(r, run, replaced, dropped) for r, run in enumerate(runs))


def _same_flaw_groups(items: Sequence[_Item]) -> list[list[int]]:
    """Indexes into `items`, grouped by flaw (union-find over `same_flaw` pairs), each group
    in item order, the groups in the order of their first member."""
    parent = list(range(len(items)))

    def root(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for a, b in _candidate_pairs(items):
        if same_flaw(items[a][2], items[b][2]):
            parent[root(b)] = root(a)
    groups: dict[int, list[int]] = {}
    for n in range(len(items)):
        groups.setdefault(root(n), []).append(n)
    return list(groups.values())


def _candidate_pairs(items: Sequence[_Item]) -> Iterator[tuple[int, int]]:
    """Pairs of located findings of one kind in one file whose line spans may overlap, the
    earlier-starting first (a sweep over each file's findings sorted by start line)."""
    buckets: dict[tuple[FindingKind, str], list[int]] = {}
    for n, (_, _, f) in enumerate(items):
        if f.kind is not FindingKind.POLICY and f.location.path and f.location.start_line:
            buckets.setdefault((f.kind, f.location.path), []).append(n)
    for members in buckets.values():
        members.sort(key=lambda n: (_start(items[n][2]), n))
        for a_pos, a in enumerate(members):
            fa = items[a][2]
            for b in members[a_pos + 1 :]:
                if _start(items[b][2]) > _end(fa):
                    break
                yield a, b


def _kept(
    r: int,
    run: ScannerRun,
    replaced: Mapping[tuple[int, int], Finding],
    dropped: Collection[tuple[int, int]],
) -> ScannerRun:
    """Run `r` with its merged findings in place and the ones merged into another dropped."""
    kept = tuple(
        replaced.get((r, i), f) for i, f in enumerate(run.findings) if (r, i) not in dropped
    )
    return run if kept == run.findings else replace(run, findings=kept)


def rule_key(f: Finding | Source) -> str:
    """How a rule is named in `RuleClaims`: "scanner:rule-id"."""
    return f"{f.scanner}:{f.rule_id}"


def is_proof(f: Finding) -> bool:
    """A trusted rule's match that proves the flagged value safe."""
    return f.claims is not None and bool(f.claims.proves_safe) and not f.review_rule


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
        return (a.suppression is None) == (b.suppression is None)
    if a.review_rule or b.review_rule:
        return False
    if (a.suppression is None) != (b.suppression is None):
        # Each tool's own comment hides only its own finding.
        return False
    if _names(a, b) or _names(b, a):
        return True
    return bool(set(a.cwe) & set(b.cwe))


def _names(a: Finding, b: Finding) -> bool:
    """Whether a's (trusted) rule names b's rule as the same flaw, or vouches for it."""
    if a.claims is None or a.review_rule:
        return False
    return rule_key(b) in a.claims.same_flaw_as or (
        bool(a.claims.proves_safe) and rule_key(b) in a.claims.vouches_for
    )


def decide(found: Sequence[Finding]) -> tuple[int, Finding | None]:
    """One flaw from the findings that report it: the index of the source that decides its
    severity and the merged finding (None when all of them are proofs of safety)."""
    proofs = [f for f in found if is_proof(f)]
    reports = [(n, f) for n, f in enumerate(found) if not is_proof(f)]
    if not reports:
        return 0, None
    rated = [(n, f, _proven(f, proofs)) for n, f in reports]

    def rank(item: tuple[int, Finding, Finding | None]) -> tuple[int, int, str, str, str]:
        _, f, proof = item
        return (
            -_effective(f, proof).rank,
            -f.severity.rank,
            f.scanner,
            f.rule_id,
            f.fingerprint,
        )

    rated.sort(key=rank)
    head, primary, proof = rated[0]
    severity = _effective(primary, proof)
    if proof is not None and severity.rank < primary.severity.rank:
        rating: Rating | None = _proven_rating(primary, proof, severity)
    elif len(reports) > 1:
        rating = _highest_rating(primary, rated[1:])
    else:
        rating = None
    return head, _merged(primary, [f for _, f, _ in rated[1:]], severity, rating)


def _proven_rating(primary: Finding, proof: Finding, severity: Severity) -> Rating:
    """Why a trusted rule's proof of safety lowered the primary source's rating."""
    claims = proof.claims
    why = claims.proves_safe if claims is not None else ""
    return Rating(
        proof.scanner,
        proof.rule_id,
        f"proven safe: {why} ({primary.scanner} {primary.rule_id} rated it "
        f"{primary.severity.value}; the trusted rule {proof.rule_id} rates it "
        f"{severity.value})",
        proven_safe=True,
    )


def _highest_rating(
    primary: Finding, others: Sequence[tuple[int, Finding, Finding | None]]
) -> Rating:
    """Why the primary source decided: it rated the flaw highest of the tools that saw it."""
    also = ", ".join(f"{f.scanner} {f.rule_id} {_effective(f, p).value}" for _, f, p in others)
    return Rating(
        primary.scanner,
        primary.rule_id,
        f"the highest rating of the tools that reported it (also: {also})",
    )


def _merged(
    primary: Finding, rest: Sequence[Finding], severity: Severity, rating: Rating | None
) -> Finding:
    """The primary source, rated, carrying every other source and their CWEs and references."""
    everything = (primary, *rest)
    sources = tuple(
        dict.fromkeys(
            Source(o.scanner, o.rule_id, o.fingerprint, o.severity, o.title)
            for o in rest
            if (o.scanner, o.rule_id, o.fingerprint)
            != (primary.scanner, primary.rule_id, primary.fingerprint)
        )
    )
    return replace(
        primary,
        severity=severity,
        rating=rating,
        cwe=tuple(dict.fromkeys(c for f in everything for c in f.cwe)),
        references=tuple(dict.fromkeys(u for f in everything for u in f.references)),
        also_reported_by=(*primary.also_reported_by, *sources),
    )


def _proven(f: Finding, proofs: Sequence[Finding]) -> Finding | None:
    """The lowest-rated proof that vouches for f's rule on an overlapping span, if any."""
    covering = [
        p
        for p in proofs
        if p.claims is not None and rule_key(f) in p.claims.vouches_for and _overlap(p, f)
    ]
    return min(covering, key=lambda p: (p.severity.rank, p.rule_id), default=None)


def _effective(f: Finding, proof: Finding | None) -> Severity:
    if proof is None or proof.severity.rank >= f.severity.rank:
        return f.severity
    return proof.severity


def _overlap(a: Finding, b: Finding) -> bool:
    """Whether two findings' spans (line and column) overlap: a proof vouches only for the
    expression it matched, not for another call on the same line."""
    big = 1 << 30
    a0 = (_start(a), a.location.start_column or 0)
    a1 = (_end(a), a.location.end_column or big)
    b0 = (_start(b), b.location.start_column or 0)
    b1 = (_end(b), b.location.end_column or big)
    return a0 < b1 and b0 < a1


def _start(f: Finding) -> int:
    return f.location.start_line or 0


def _end(f: Finding) -> int:
    return max(f.location.end_line or 0, _start(f))
