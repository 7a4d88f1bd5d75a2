"""The Scanner interface every built-in and third-party scanner implements."""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

from secscan import _subprocess
from secscan._atomic import write_atomic
from secscan.config import Config
from secscan.errors import ScannerError, SecscanError, ToolError, ToolNotFoundError
from secscan.findings import AdvisorySource, Finding, FindingKind, NotAnalyzed

if TYPE_CHECKING:
    from secscan.cache import Signer


@dataclass(frozen=True)
class ScanRequest:
    """What the user asked for, beyond the files: an image, an advisory service."""

    image: str | None = None
    image_archive: Path | None = None
    #: Set by the pipeline when a local or remote OSV service backs dependency scanning.
    osv_url: str | None = None
    advisory_source: AdvisorySource | None = None
    advisory_db: Path | None = None
    #: Pre-commit / incremental mode: only these files were asked for.
    explicit_files: bool = False


@dataclass(frozen=True)
class ScanContext:
    root: Path
    targets: tuple[str, ...]
    config: Config
    timeout: float
    request: ScanRequest = field(default_factory=ScanRequest)
    jobs: int = 1

    def abspath(self, rel: str) -> str:
        """Absolute target paths: a file named `-rf` can never be read as an option."""
        return str(self.root / rel)

    def relpath(self, reported: str) -> str:
        """Map a path a tool printed back to a POSIX path relative to the scan root."""
        p = Path(reported)
        if not p.is_absolute():
            p = self.root / p
        try:
            return p.relative_to(self.root).as_posix()
        except ValueError:
            return Path(reported).as_posix()


@dataclass(frozen=True)
class ScanOutcome:
    findings: tuple[Finding, ...] = ()
    not_analyzed: tuple[NotAnalyzed, ...] = ()
    inline_suppressions: int = 0
    advisory_source: AdvisorySource | None = None
    rulesets: tuple[str, ...] = ()
    #: Per-file share of inline_suppressions, where the tool tells it (kept in the cache).
    suppressions_by_path: Mapping[str, int] = field(default_factory=dict)
    #: The targets the tool says it read; None when its output does not tell.
    analyzed: frozenset[str] | None = None


def normalized(paths: Iterable[str]) -> frozenset[str]:
    """Paths as the tools print them back (`docs/../a.py` is `a.py`): for comparing only."""
    return frozenset(posixpath.normpath(p) for p in paths)


#: How many unaccounted files an error names before it says "and N more".
MAX_NAMED = 10


def require_accounted(scanner: str, ctx: ScanContext, outcome: ScanOutcome) -> None:
    """Every target the tool was handed is one it analyzed or one it said it could not.

    A tool that accounts for fewer files than it was given (an empty document, a file
    skipped by an ignore file in the tree, a wrapper that scanned something else) has not
    assessed them: that is a scanner error naming the files, never a clean result.
    """
    if outcome.analyzed is None:
        raise ScannerError(scanner, "the tool's output does not say which files it analyzed")
    told = normalized([*outcome.analyzed, *(n.path for n in outcome.not_analyzed)])
    missing = [t for t in ctx.targets if posixpath.normpath(t) not in told]
    if not missing:
        return
    shown = ", ".join(missing[:MAX_NAMED])
    more = f" and {len(missing) - MAX_NAMED} more" if len(missing) > MAX_NAMED else ""
    raise ScannerError(
        scanner,
        f"the tool was given {len(ctx.targets)} file(s) but accounts for only "
        f"{len(ctx.targets) - len(missing)}; not analyzed: {shown}{more}",
    )


@runtime_checkable
class Scanner(Protocol):
    name: ClassVar[str]
    kind: ClassVar[FindingKind]
    description: ClassVar[str]

    def applies_to(self, path: str) -> bool:
        """Whether this scanner wants a file (POSIX path relative to the root)."""
        ...

    def select(self, files: Sequence[str], request: ScanRequest) -> tuple[str, ...]:
        """The targets this scanner would scan; empty means it has nothing to do."""
        ...

    def version(self) -> str:
        """The tool's version; raises ToolNotFoundError when the tool is not installed."""
        ...

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        """Run the tool over ctx.targets; raise ScannerError when it could not assess them."""
        ...


#: Tool versions by "path|mtime|size": asking semgrep its version costs seconds per scan, so
#: the answer is kept in the cache directory until the executable changes. The memo is sealed
#: with the cache's HMAC key like every entry: a forged version would only change cache keys
#: (a miss, since entries are authenticated too), but it would also be the version every
#: report and evidence record names, so an unverified memo is ignored and asked again.
_VERSIONS: dict[str, str] = {}
_VERSIONS_LABEL = "tool-versions"


def _versions_file() -> Path:
    from secscan.cache import default_dir

    return default_dir() / "tool-versions.json"


def _signer() -> Signer:
    from secscan.cache import Signer, default_dir

    return Signer(default_dir())


def _known_versions() -> dict[str, str]:
    if not _VERSIONS:
        try:
            payload = _signer().open(_VERSIONS_LABEL, _versions_file().read_bytes())
            data = json.loads(payload) if payload is not None else None
            if isinstance(data, dict):
                _VERSIONS.update({str(k): str(v) for k, v in data.items()})
        except (OSError, ValueError):
            pass
    return _VERSIONS


def _remember_version(key: str, version: str) -> None:
    _VERSIONS[key] = version
    sealed = _signer().seal(_VERSIONS_LABEL, json.dumps(_VERSIONS, sort_keys=True).encode())
    if sealed is not None:
        with contextlib.suppress(SecscanError):
            write_atomic(_versions_file(), sealed)


class ToolScanner:
    """A scanner that is one external command: argv() + run + pure parse()."""

    name: ClassVar[str]
    kind: ClassVar[FindingKind]
    description: ClassVar[str] = ""
    executable: ClassVar[str]
    #: Exit codes that mean "ran to the end" (bandit and semgrep exit 1 on findings).
    ok_codes: ClassVar[Collection[int]] = (0,)
    version_args: ClassVar[tuple[str, ...]] = ("--version",)
    #: Seconds past the scan deadline before the process is killed, for tools that enforce
    #: the same deadline themselves and say why when they stop.
    timeout_slack: ClassVar[float] = 0.0
    #: A file's findings depend only on the files in cache_scope(): results may be cached per file.
    file_local: ClassVar[bool] = False

    def cache_material(self, ctx: ScanContext) -> str | None:
        """Everything besides file content and tool version that changes results (rules,
        options), or None when this run must not be cached."""
        return ""

    def rulesets(self, ctx: ScanContext) -> tuple[str, ...]:
        """The rule sets the tool ran with, as the user named them (for the evidence trail)."""
        return ()

    def cache_scope(self, rel: str, ctx: ScanContext) -> tuple[str, ...]:
        """Files whose content decides `rel`'s findings (itself, for truly file-local tools)."""
        return (rel,)

    def applies_to(self, path: str) -> bool:
        return False

    def select(self, files: Sequence[str], request: ScanRequest) -> tuple[str, ...]:
        return tuple(f for f in files if self.applies_to(f))

    def tool_path(self) -> str:
        """The tool's executable; SECSCAN_TOOL_<NAME> overrides it (a pinned or wrapped binary)."""
        override = os.environ.get(f"SECSCAN_TOOL_{self.executable.upper().replace('-', '_')}")
        if override:
            return override
        found = _subprocess.which(self.executable)
        if found is None:
            raise ToolNotFoundError(
                f"{self.executable} is not installed (not beside python, not on PATH)",
                argv0=self.executable,
            )
        return found

    def version(self) -> str:
        tool = self.tool_path()
        try:
            st = os.stat(tool)
            memo_key: str | None = f"{tool}|{st.st_mtime_ns}|{st.st_size}"
        except OSError:
            memo_key = None
        known = _known_versions()
        if memo_key is not None and memo_key in known:
            return known[memo_key]
        done = _subprocess.run([tool, *self.version_args], timeout=120, env=self.env())
        version = self.parse_version(done.stdout + done.stderr)
        if memo_key is not None:
            _remember_version(memo_key, version)
        return version

    def parse_version(self, text: str) -> str:
        first = text.strip().splitlines()
        return first[0].strip() if first else "unknown"

    def env(self) -> Mapping[str, str]:
        return {}

    def argv(self, ctx: ScanContext) -> list[str]:
        raise NotImplementedError

    def parse(self, stdout: str, ctx: ScanContext) -> ScanOutcome:
        raise NotImplementedError

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        done = self.execute(self.argv(ctx), ctx)
        return self.parse(done.stdout, ctx)

    def execute(
        self, argv: Sequence[str], ctx: ScanContext, ok_codes: Collection[int] | None = None
    ) -> _subprocess.Completed:
        try:
            return _subprocess.run(
                argv,
                ok_codes=self.ok_codes if ok_codes is None else ok_codes,
                timeout=ctx.timeout + self.timeout_slack,
                cwd=ctx.root,
                env=self.env(),
            )
        except ToolError as e:
            e.stderr = self.redact_stderr(e.stderr)
            raise ScannerError(self.name, e.diagnostics()) from e

    def redact_stderr(self, stderr: str) -> str:
        """What of the tool's stderr may be shown (some tools quote scanned lines there)."""
        return stderr
