"""Scanner runs served from the result cache: entries that still match, the rest scanned.

A scanner says how its results may be cached (scanners.base.Caching): per target, keyed by
the files of each target's cache scope, or as one entry for the whole run. Only a complete,
successful result is written: a tool error never reaches here (it raises), a result the
cache could not attribute to its targets, a run-dependent skip (a timeout) and a result that
read a file secscan cannot hash are scanned again next time.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from secscan import __version__
from secscan.errors import ReportError
from secscan.model import fingerprint, redact
from secscan.model.findings import AdvisorySource, Finding, NotAnalyzed, Package
from secscan.model.redact import Redactor
from secscan.scanners.base import Caching, ScanContext, ScanOutcome, ToolScanner
from secscan.util.atomic import write_atomic
from secscan.util.cachedir import Signer, digest_file, read_bytes

#: 2: entries are `<hex HMAC>\n<json>` (1 was bare JSON, never verified).
#: 3: keys cover the scope's paths and secscan's version; entries may carry components, an
#: advisory source and the digests of extra inputs (whole-run entries).
CACHE_FORMAT = 3
DEFAULT_MAX_BYTES = 512 * 1024 * 1024

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Entry:
    findings: tuple[Finding, ...] = ()
    not_analyzed: tuple[NotAnalyzed, ...] = ()
    suppressions: int = 0
    #: A whole-run entry's SBOM components and the advisory data it was matched against.
    components: tuple[Package, ...] = ()
    advisory_source: AdvisorySource | None = None
    #: (path, SHA-256) of files besides the targets that decided the result: a hit needs
    #: each of them unchanged.
    inputs: tuple[tuple[str, str], ...] = ()


_ENTRY = TypeAdapter(Entry)


class ResultCache:
    def __init__(self, directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.signer = Signer(directory)

    def key(
        self,
        scanner: str,
        tool_version: str,
        material: str,
        path: str,
        contents: Sequence[tuple[str, bytes]],
    ) -> str:
        """`contents`: (path, bytes) of every file that decides the entry's result.

        The paths are part of the key: cached findings carry their location, so two files
        with the same content must not share an entry, and a module whose files were
        renamed is a different module.
        """
        h = hashlib.sha256()
        for part in (f"v{CACHE_FORMAT}", __version__, scanner, tool_version, material, path):
            h.update(part.encode())
            h.update(b"\0")
        for rel, blob in contents:
            h.update(rel.encode())
            h.update(b"\0")
            h.update(hashlib.sha256(blob).digest())
        return h.hexdigest()

    def _path(self, scanner: str, key: str) -> Path:
        return self.directory / scanner / key[:2] / f"{key}.json"

    def get(self, scanner: str, key: str) -> Entry | None:
        path = self._path(scanner, key)
        try:
            data = path.read_bytes()
        except OSError:
            return None
        payload = self.signer.open(f"{scanner}/{key}", data)
        try:
            if payload is not None:
                return _ENTRY.validate_json(payload)
            why = "failed verification (not written with this cache's key)"
        except (ValidationError, ValueError):
            why = "does not parse"
        # A torn, forged or moved entry is never trusted: drop it and scan again.
        log.info("cache entry %s/%s %s: scanning the file again", scanner, key[:16], why)
        with contextlib.suppress(OSError):
            path.unlink()
        return None

    def put(self, scanner: str, key: str, entry: Entry) -> None:
        sealed = self.signer.seal(f"{scanner}/{key}", _ENTRY.dump_json(entry))
        if sealed is None:
            return
        with contextlib.suppress(ReportError):  # a cache that cannot be written is only slower
            # No fsync: an entry a power cut tears fails its MAC and the file is scanned again.
            write_atomic(self._path(scanner, key), sealed, durable=False)

    def prune(self) -> None:
        """Keep the cache under max_bytes, dropping the least recently written entries."""
        entries = []
        total = 0
        for p in self.directory.rglob("*.json"):
            with contextlib.suppress(OSError):
                st = p.stat()
                entries.append((st.st_mtime, st.st_size, p))
                total += st.st_size
        if total <= self.max_bytes:
            return
        for _, size, p in sorted(entries):
            with contextlib.suppress(OSError):
                p.unlink()
                total -= size
            if total <= self.max_bytes * 0.8:
                break


Scan = Callable[[ScanContext], ScanOutcome]
#: The address of a whole-run entry (no target path can be empty).
WHOLE_RUN = ""
#: Modules whose code shapes what an entry holds besides the scanner's own (snippets,
#: fingerprints, masks, the finding model).
_DERIVED = (
    "secscan.model.fingerprint",
    "secscan.model.redact",
    "secscan.model.findings",
    "secscan.scan.cache",
)


def scan(
    scanner: ToolScanner,
    ctx: ScanContext,
    cache: ResultCache,
    version: str,
    redactor: Redactor,
    run: Scan,
) -> tuple[ScanOutcome, bool]:
    """The scanner's outcome over ctx.targets and whether any of it came from the cache;
    `run` scans what the cache cannot answer (the pipeline's sharded scan)."""
    material = scanner.cache_material(ctx)
    if material is None or scanner.cache_mode is Caching.NONE:
        return run(ctx), False
    # Entries hold redacted findings (other redaction rules, other entries) parsed by this
    # secscan's code (an edited parser must not be answered by its old results).
    material = f"{material}\0redact={redact.RULES_VERSION}\0code={code_digest(type(scanner))}"
    if scanner.cache_mode is Caching.PER_RUN:
        return _whole_run(scanner, ctx, cache, version, material, redactor, run)
    return _per_target(scanner, ctx, cache, version, material, redactor, run)


def code_digest(cls: type) -> str:
    """SHA-256 of the source files of the scanner's class and its secscan base classes."""
    modules = (*(k.__module__ for k in cls.__mro__), *_DERIVED)
    return _modules_digest(tuple(dict.fromkeys(modules)))


@cache
def _modules_digest(modules: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for name in modules:
        module = sys.modules.get(name)
        if module is None or not name.startswith("secscan"):
            continue
        try:
            source = inspect.getsourcefile(module)
        except TypeError:
            source = None
        blob = read_bytes(Path(source)) if source else None
        h.update(name.encode() + b"\0" + (blob or b"<no source>") + b"\0")
    return h.hexdigest()


def _per_target(
    scanner: ToolScanner,
    ctx: ScanContext,
    cache: ResultCache,
    version: str,
    material: str,
    redactor: Redactor,
    run: Scan,
) -> tuple[ScanOutcome, bool]:
    """Scan only the targets whose entry is missing; the rest come from the cache."""
    found = _look_up(scanner.name, scanner.cache_scope, ctx, cache, version, material)
    hits = found.hits
    misses = _to_scan(ctx.targets, hits, found.scopes)
    for target in misses:
        hits.pop(target, None)
    fresh = _stamped(run(replace(ctx, targets=misses)), ctx, redactor) if misses else ScanOutcome()
    by_path, skipped = _masked_by_path(fresh, redactor)
    strays = (set(by_path) | set(skipped)) - set(misses)
    # Only results every part of which belongs to one scanned target are kept: a finding in a
    # file outside the selection, or packages and inputs no target owns, would be lost.
    if misses and not strays and not fresh.components and not fresh.inputs:
        for target in misses:
            if _keeps(target, found.keys, skipped, redactor):
                cache.put(
                    scanner.name,
                    found.keys[target],
                    Entry(
                        findings=tuple(by_path.get(target, ())),
                        not_analyzed=tuple(skipped.get(target, ())),
                        suppressions=fresh.suppressions_by_path.get(target, 0),
                    ),
                )
        cache.prune()
    merged = ScanOutcome(
        findings=(*(f for e in hits.values() for f in e.findings), *fresh.findings),
        not_analyzed=(*(n for e in hits.values() for n in e.not_analyzed), *fresh.not_analyzed),
        inline_suppressions=fresh.inline_suppressions + sum(e.suppressions for e in hits.values()),
        advisory_source=fresh.advisory_source,
        rulesets=fresh.rulesets or scanner.rulesets(ctx),
        components=fresh.components,
        notes=fresh.notes,
    )
    return merged, bool(hits)


@dataclass(frozen=True, slots=True)
class _Found:
    """What the cache holds for a run's targets."""

    #: target -> its entry, where the cache has one.
    hits: dict[str, Entry]
    #: target -> its entry's key, where every file of its scope could be read.
    keys: dict[str, str]
    #: target -> its cache scope, where the scanner can tell it.
    scopes: dict[str, tuple[str, ...]]


def _look_up(
    name: str,
    cache_scope: Callable[[str, ScanContext], tuple[str, ...] | None],
    ctx: ScanContext,
    cache: ResultCache,
    version: str,
    material: str,
) -> _Found:
    """Each target's key and entry, reading each file of the cache scopes once."""
    found = _Found({}, {}, {})
    contents: dict[str, bytes | None] = {}
    for target in ctx.targets:
        scope = cache_scope(target, ctx)
        if scope is None:
            continue  # secscan cannot tell what decides it: scanned every time
        found.scopes[target] = scope
        blobs = _scope_contents(ctx.root, scope, contents)
        if blobs is None:
            continue  # unreadable now: let the tool say what it makes of it
        key = cache.key(name, version, material, target, blobs)
        found.keys[target] = key
        entry = cache.get(name, key)
        if entry is not None:
            found.hits[target] = entry
    return found


def _scope_contents(
    root: Path, scope: Sequence[str], contents: dict[str, bytes | None]
) -> list[tuple[str, bytes]] | None:
    """(path, bytes) of each file of a scope, read once into `contents`; None as soon as
    one cannot be read."""
    blobs: list[tuple[str, bytes]] = []
    for rel in scope:
        if rel not in contents:
            contents[rel] = read_bytes(root / rel)
        blob = contents[rel]
        if blob is None:
            return None
        blobs.append((rel, blob))
    return blobs


def _to_scan(
    targets: Sequence[str], hits: Mapping[str, Entry], scopes: Mapping[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """The targets without an entry, with the targets of their scopes, in target order.

    A target is scanned again with the files that decide its findings (the other .tf files
    of a Terraform module), so the tool sees what it saw before; their fresh results
    replace the cached ones.
    """
    again = {t for t in targets if t not in hits}
    present = set(targets)
    again.update(s for t in tuple(again) for s in scopes.get(t, ()) if s in present)
    return tuple(t for t in targets if t in again)


def _masked_by_path(
    fresh: ScanOutcome, redactor: Redactor
) -> tuple[dict[str, list[Finding]], dict[str, list[NotAnalyzed]]]:
    """Fresh findings and files not analyzed by path, masked as an entry keeps them.

    Cached entries are files on disk too: credential literals are masked before they are
    written, by what the finding and its own file show (as a cold run keeps them until the
    final pass, so a warm run masks byte for byte as a cold one).
    """
    by_path: dict[str, list[Finding]] = {}
    for f in fresh.findings:
        by_path.setdefault(f.location.path, []).append(redactor.finding(f, own_file_only=True))
    skipped: dict[str, list[NotAnalyzed]] = {}
    for n in fresh.not_analyzed:
        skipped.setdefault(n.path, []).append(redactor.not_analyzed(n, own_only=True))
    return by_path, skipped


def _keeps(
    target: str,
    keys: Mapping[str, str],
    skipped: Mapping[str, Sequence[NotAnalyzed]],
    redactor: Redactor,
) -> bool:
    """Whether a scanned target's results may be written to the cache.

    A timeout describes this run (machine load), not the file: scan it next time. A file
    whose name holds a credential is never cached: entries keep paths.
    """
    return (
        target in keys
        and not any(n.transient for n in skipped.get(target, ()))
        and redactor.name(target) == target
    )


def _whole_run(
    scanner: ToolScanner,
    ctx: ScanContext,
    cache: ResultCache,
    version: str,
    material: str,
    redactor: Redactor,
    run: Scan,
) -> tuple[ScanOutcome, bool]:
    """One entry for the run, keyed by the files of every target's cache scope (the targets
    themselves, unless the scanner says otherwise: an image's digest is in its material)."""
    blobs = _run_contents(scanner.cache_scope, ctx)
    if blobs is None:
        return run(ctx), False
    key = cache.key(scanner.name, version, material, WHOLE_RUN, blobs)
    entry = cache.get(scanner.name, key)
    if entry is not None and all(digest_file(ctx.root / p) == d for p, d in entry.inputs):
        return _outcome(entry, scanner, ctx), True
    fresh = _stamped(run(ctx), ctx, redactor)
    inputs = _input_digests(fresh, ctx)
    if inputs is None:
        return fresh, False  # an input secscan cannot hash cannot be checked next time
    if _run_keeps(fresh, inputs, redactor):
        cache.put(
            scanner.name,
            key,
            Entry(
                findings=tuple(redactor.finding(f, own_file_only=True) for f in fresh.findings),
                not_analyzed=tuple(
                    redactor.not_analyzed(n, own_only=True) for n in fresh.not_analyzed
                ),
                suppressions=fresh.inline_suppressions,
                components=fresh.components,
                advisory_source=fresh.advisory_source,
                inputs=tuple(inputs),
            ),
        )
        cache.prune()
    return fresh, False


def _run_contents(
    cache_scope: Callable[[str, ScanContext], tuple[str, ...] | None], ctx: ScanContext
) -> list[tuple[str, bytes]] | None:
    """(path, bytes) of every file of every target's cache scope, each once; None when the
    scanner cannot tell a target's scope or a file cannot be read now (the tool says what it
    makes of it)."""
    files: dict[str, None] = {}
    for target in ctx.targets:
        scope = cache_scope(target, ctx)
        if scope is None:
            return None
        files.update(dict.fromkeys(scope))
    blobs: list[tuple[str, bytes]] = []
    for rel in files:
        blob = read_bytes(ctx.root / rel)
        if blob is None:
            return None
        blobs.append((rel, blob))
    return blobs


def _input_digests(fresh: ScanOutcome, ctx: ScanContext) -> list[tuple[str, str]] | None:
    """(path, SHA-256) of each file besides the targets the run read; None when one of them
    cannot be hashed."""
    inputs = []
    for rel in sorted(set(fresh.inputs) - set(ctx.targets)):
        digest = digest_file(ctx.root / rel)
        if digest is None:
            return None
        inputs.append((rel, digest))
    return inputs


def _run_keeps(fresh: ScanOutcome, inputs: Sequence[tuple[str, str]], redactor: Redactor) -> bool:
    """Whether a whole run's results may be written: no timeout (it describes this run, not
    the files) and no path it names holds a credential (entries keep paths)."""
    named = {f.location.path for f in fresh.findings}
    named.update(n.path for n in fresh.not_analyzed)
    named.update(rel for rel, _ in inputs)
    return not any(n.transient for n in fresh.not_analyzed) and all(
        redactor.name(p) == p for p in named
    )


def _stamped(outcome: ScanOutcome, ctx: ScanContext, redactor: Redactor) -> ScanOutcome:
    """Fresh findings with their snippets and fingerprints, as entries keep them: a hit then
    costs no file parsing. A fingerprint depends only on the findings of its own file and
    that file's content (both in the entry's key), so the cached one is the one a scan
    would compute."""
    findings = fingerprint.assign(outcome.findings, ctx.root, redactor, keep_assigned=True)
    return replace(outcome, findings=findings)


def _outcome(entry: Entry, scanner: ToolScanner, ctx: ScanContext) -> ScanOutcome:
    return ScanOutcome(
        findings=entry.findings,
        not_analyzed=entry.not_analyzed,
        inline_suppressions=entry.suppressions,
        advisory_source=entry.advisory_source,
        rulesets=scanner.rulesets(ctx),
        components=entry.components,
    )


#: The cache's "scanner" name for the redactor's clean-file markers.
CLEAN_FILES = "redact-clean"


class CleanFiles:
    """`redact.CleanFiles` on the result cache: an empty, sealed entry per (path, content)
    in which the redactor learnt no credential. Nothing of a credential is stored; a file
    that holds one has no marker and is learnt again on every scan."""

    def __init__(self, cache: ResultCache) -> None:
        self._cache = cache

    def _key(self, rel: str, content: bytes) -> str:
        return self._cache.key(CLEAN_FILES, redact.RULES_VERSION, "", rel, [(rel, content)])

    def is_clean(self, rel: str, content: bytes) -> bool:
        return self._cache.get(CLEAN_FILES, self._key(rel, content)) is not None

    def mark_clean(self, rel: str, content: bytes) -> None:
        self._cache.put(CLEAN_FILES, self._key(rel, content), Entry())
