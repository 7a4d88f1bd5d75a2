"""The Scanner interface every built-in and third-party scanner implements."""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, ClassVar, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from secscan.errors import (
    ScannerError,
    SecscanError,
    ToolError,
    ToolLockMismatch,
    ToolNotFoundError,
)
from secscan.model.findings import (
    AdvisorySource,
    Finding,
    FindingKind,
    NotAnalyzed,
    Package,
    Scope,
    Severity,
)
from secscan.settings import trust
from secscan.settings.config import Config
from secscan.util import proc as _subprocess
from secscan.util.atomic import write_atomic
from secscan.util.installed import distribution_version
from secscan.util.tooldigest import ToolIdentity, identify

if TYPE_CHECKING:
    from secscan.settings.toollock import ToolLock
    from secscan.util.cachedir import Signer


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
    #: What identifies the advisory data behind osv_url / advisory_db (a local mirror's
    #: digest, a shared mirror's freshness); None: unknown, so advisory results are not cached.
    advisory_digest: str | None = None
    #: The local OSV server's URL, started on first call (a run served from the cache, or one
    #: scanning only an image, never starts it); set by the pipeline with a local mirror.
    osv_endpoint: Callable[[], str] | None = field(default=None, compare=False)
    #: Files without a suffix whose shebang names Python (found by discovery).
    python_scripts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ScanContext:
    """One scanner's run: the root, its targets, the config, its deadline and share of cores."""

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
    """What a scanner's run found and what it could not analyze (`scan`'s result)."""

    findings: tuple[Finding, ...] = ()
    not_analyzed: tuple[NotAnalyzed, ...] = ()
    inline_suppressions: int = 0
    advisory_source: AdvisorySource | None = None
    rulesets: tuple[str, ...] = ()
    #: Per-file share of inline_suppressions, where the tool tells it (kept in the cache).
    suppressions_by_path: Mapping[str, int] = field(default_factory=dict)
    #: The targets the tool says it read; None when its output does not tell.
    analyzed: frozenset[str] | None = None
    #: Every package the scanner saw, vulnerable or not (the SBOM's components).
    components: tuple[Package, ...] = ()
    #: Files besides the targets whose content decided the result (a requirements file's
    #: `-r` includes): a whole-run cache entry is used only while they are unchanged.
    inputs: tuple[str, ...] = ()
    #: What the run did differently from what was asked, in words (semgrep fell back to its
    #: Python CLI, and why): carried to the ScannerRun, the results file and the terminal.
    notes: tuple[str, ...] = ()


def normalized(paths: Iterable[str]) -> frozenset[str]:
    """Paths as the tools print them back (`docs/../a.py` is `a.py`): for comparing only."""
    return frozenset(posixpath.normpath(p) for p in paths)


#: How many unaccounted files an error names before it says "and N more".
MAX_NAMED = 10


def failed(not_analyzed: Iterable[NotAnalyzed]) -> list[NotAnalyzed]:
    """The files a tool could not analyze, without those it merely has no rule for."""
    return [n for n in not_analyzed if not n.uncovered]


def require_accounted(
    scanner: str,
    ctx: ScanContext,
    outcome: ScanOutcome,
    why: str = "the tool's output does not mention it (it was not analyzed)",
    evidence: Collection[str] | None = None,
) -> ScanOutcome:
    """The outcome with every target the tool was handed accounted for.

    A target the tool neither analyzed nor said it could not (an ignore rule of its own, a
    name it does not recognise) is not analyzed, with `why`: the files it did analyze keep
    their findings. A tool that accounts for none of its targets, or whose output does not
    say which files it read, has assessed nothing: that is a scanner error, never a clean or
    partial result.
    """
    if outcome.analyzed is None:
        raise ScannerError(scanner, "the tool's output does not say which files it analyzed")
    told = normalized([*outcome.analyzed, *(n.path for n in outcome.not_analyzed)])
    missing = [t for t in ctx.targets if posixpath.normpath(t) not in told]
    if not missing:
        return outcome
    # `evidence`: the targets whose accounting proves the tool read anything (an IaC
    # scanner "accounts" for any YAML it does not recognise; only its sure files count).
    sure = list(ctx.targets if evidence is None else evidence)
    gone = set(missing)
    if sure and gone.issuperset(sure):
        shown = ", ".join(missing[:MAX_NAMED])
        more = f" and {len(missing) - MAX_NAMED} more" if len(missing) > MAX_NAMED else ""
        raise ScannerError(
            scanner,
            f"the tool was given {len(ctx.targets)} file(s) but accounts for none it surely "
            f"reads; not analyzed: {shown}{more}",
        )
    unaccounted = tuple(NotAnalyzed(t, f"{scanner}: {why}") for t in missing)
    return replace(outcome, not_analyzed=(*outcome.not_analyzed, *unaccounted))


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A rule as its tool or rule pack describes it."""

    rule_id: str
    scanner: str
    kind: FindingKind
    title: str
    description: str = ""
    cwe: tuple[int, ...] = ()
    severity: Severity | None = None
    fix: str | None = None
    references: tuple[str, ...] = ()
    #: Where the text was read: "bandit 1.9.4 plugin docs", a rule file, the results file.
    source: str = ""


@dataclass(frozen=True)
class RuleLookup:
    """What a scanner may read to describe a rule offline: the config and a local OSV mirror."""

    config: Config
    advisory_db: Path | None = None


@dataclass(frozen=True, slots=True)
class StatusLine:
    """One line `doctor` shows for a scanner, under `section` (its advisory sources, ...)."""

    section: str
    label: str
    usable: bool
    detail: str


OptionsT = TypeVar("OptionsT", bound=BaseModel)


@runtime_checkable
class Runs(Protocol):
    """Running: what the pipeline needs to pick a scanner's targets and run its tool."""

    name: ClassVar[str]
    #: The kind its findings mostly have (the `doctor` column, the scopes code scanners skip).
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


@runtime_checkable
class Describing(Protocol):
    """Describing itself, so nothing outside a scanner's module names its tool: the SARIF
    tool entry, `explain`, policy validation, redaction, `doctor`, scopes."""

    name: ClassVar[str]
    #: The tool by name, for people and SARIF's tool.driver.fullName ("trivy config");
    #: "" means the scanner's name.
    display_name: ClassVar[str]
    #: Where people can read about the tool (SARIF's informationUri); "" when none.
    url: ClassVar[str]
    #: Every kind of finding it can emit besides `kind` (`kinds_of` joins them).
    kinds: ClassVar[frozenset[FindingKind]]
    #: Rule ids whose matched code is itself a credential although they carry no CWE that
    #: says so: the redactor masks the string literals in their range.
    credential_rules: ClassVar[frozenset[str]]
    #: Rule ids that report a shell command which is not a literal, or outside data that
    #: reaches one: secscan's AST proof (scan/shellproof) rates them on a call whose
    #: command it proves constant.
    shell_command_rules: ClassVar[frozenset[str]]
    #: Whether a config without `scanners:` runs it. A third-party scanner whose tool is
    #: missing is left out of such a default scan (and shown by `doctor`).
    default: ClassVar[bool]
    #: Rule ids that are no finding in a scope (bandit's assert check in test code): such
    #: findings are dropped when scopes are assigned.
    scope_exemptions: ClassVar[Mapping[Scope, frozenset[str]]]

    def describe_rule(self, rule_id: str, lookup: RuleLookup) -> RuleInfo | None:
        """The tool's or rule pack's own description of a rule, read offline; None if unknown."""
        ...

    def rule_ids(self) -> frozenset[str] | None:
        """Every rule id it can emit, when the set is closed and known; None: do not check."""
        ...

    def check_id_problem(self, pattern: str) -> str | None:
        """Why `pattern` under a mapping rule's `checks:` is no check id of this scanner's
        (None: it is one). Only scanners that emit iac findings are asked."""
        ...

    def status(self, config: Config) -> tuple[StatusLine, ...]:
        """Extra lines for `doctor` (advisory sources, rule packs); empty for most tools."""
        ...


@runtime_checkable
class HasOptions(Protocol):
    """Options: its `.secscan.yaml` section, and which changes of it weaken a gate (the
    trust comparison's `SectionJudge`)."""

    name: ClassVar[str]
    #: Its config section's key in `.secscan.yaml` (None: the scanner's name, when it has a
    #: model). Several scanners of one tool may share a section (one model, one key).
    options_key: ClassVar[str | None]
    #: The pydantic model validating the section (None: no section).
    options_model: ClassVar[type[BaseModel] | None]

    def option_files(self, options: BaseModel) -> Mapping[str, tuple[str, ...]]:
        """The entries of its options that may name files or directories (relative to the
        config file) whose content the scan depends on, by option field: the trust
        comparison digests them, so a rule file edited under the same name is a change."""
        ...

    def weakenings(self, base: trust.Section, head: trust.Section) -> Sequence[tuple[str, str]]:
        """(option field, message) for every change of its section from the trusted side
        (base) to the tree under review (head) that could let more through the gate."""
        ...

    def strengthened(self, base: trust.Section, head: trust.Section) -> BaseModel:
        """Its options to judge the change with: the base's, plus head's changes that only
        strengthen (they apply at once)."""
        ...


@runtime_checkable
class Scanner(Runs, Describing, HasOptions, Protocol):
    """What every scanner is: it runs, describes itself and owns its options.

    The three small protocols above are what the layers ask (the pipeline runs, the policy
    loader and the reports read descriptions, settings resolution asks options); a
    third-party scanner gets all of it by implementing them. `Describes` below gives every
    member but the running ones a default, and `ToolScanner` the running ones for a tool
    that is one command.
    """


@runtime_checkable
class Cacheable(Protocol):
    """Caching capability: the result cache keeps this scanner's results (`scan/cache.py`)."""

    name: ClassVar[str]

    @property
    def cache_mode(self) -> Caching:
        """How its results may be kept: per target, one entry per run, or not at all."""
        ...

    def cache_material(self, ctx: ScanContext) -> str | None:
        """Everything besides file content and tool version that changes results (rules,
        options, advisory data), or None when this run must not be cached."""
        ...

    def cache_scope(self, rel: str, ctx: ScanContext) -> tuple[str, ...] | None:
        """Files whose content decides `rel`'s findings (itself, for truly file-local tools);
        None when secscan cannot tell (then `rel` is scanned every time)."""
        ...

    def rulesets(self, ctx: ScanContext) -> tuple[str, ...]:
        """The rule sets the tool ran with, as the user named them (for the evidence trail)."""
        ...


@runtime_checkable
class FileLocal(Protocol):
    """File-local capability: a file's findings depend on the files of its cache scope only,
    so the pipeline may shard the targets and an incremental run hands over changed files."""

    file_local: ClassVar[bool]

    def cache_scope(self, rel: str, ctx: ScanContext) -> tuple[str, ...] | None:
        """Files whose findings depend on each other stay in one shard (see `Cacheable`)."""
        ...

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        """Run the tool over ctx.targets (one shard of them)."""
        ...


def cacheable(scanner: object) -> Cacheable | None:
    """The scanner's caching capability, when it has one (None: never cached)."""
    return scanner if isinstance(scanner, Cacheable) else None


def file_local(scanner: object) -> FileLocal | None:
    """The scanner, when its findings are per file (None: it reads the tree as a whole)."""
    if isinstance(scanner, FileLocal) and scanner.file_local:
        return scanner
    return None


def kinds_of(scanner: type[Runs] | Runs) -> frozenset[FindingKind]:
    """Every kind of finding a scanner can emit: its main `kind` and its declared `kinds`."""
    return frozenset({scanner.kind, *getattr(scanner, "kinds", ())})


def display_name_of(scanner: type[Runs] | Runs) -> str:
    """The tool's name for people (its `display_name`, else the scanner's name)."""
    return getattr(scanner, "display_name", "") or scanner.name


def options_key_of(scanner: type[HasOptions] | HasOptions) -> str | None:
    """Its config section's key: `options_key`, else its name when it has an options model."""
    if getattr(scanner, "options_model", None) is None:
        return None
    return getattr(scanner, "options_key", None) or scanner.name


class Describes:
    """Defaults for the describing and options parts of `Scanner`: inherit and override."""

    name: ClassVar[str]
    kind: ClassVar[FindingKind]
    display_name: ClassVar[str] = ""
    url: ClassVar[str] = ""
    kinds: ClassVar[frozenset[FindingKind]] = frozenset()
    options_key: ClassVar[str | None] = None
    options_model: ClassVar[type[BaseModel] | None] = None
    credential_rules: ClassVar[frozenset[str]] = frozenset()
    shell_command_rules: ClassVar[frozenset[str]] = frozenset()
    default: ClassVar[bool] = True
    scope_exemptions: ClassVar[Mapping[Scope, frozenset[str]]] = MappingProxyType({})

    def describe_rule(self, rule_id: str, lookup: RuleLookup) -> RuleInfo | None:
        """No description of any rule (a scanner that knows its rules overrides this)."""
        return None

    def rule_ids(self) -> frozenset[str] | None:
        """Not a closed set: rule ids naming this scanner are not checked."""
        return None

    def check_id_problem(self, pattern: str) -> str | None:
        """No pattern is one of its check ids."""
        return f"{pattern!r} is no check id of {self.name!r}"

    def status(self, config: Config) -> tuple[StatusLine, ...]:
        """No extra `doctor` lines."""
        return ()

    def option_files(self, options: BaseModel) -> Mapping[str, tuple[str, ...]]:
        """No option names a file."""
        return {}

    def weakenings(self, base: trust.Section, head: trust.Section) -> Sequence[tuple[str, str]]:
        """Fail closed: a scanner that says nothing about its options has every change of
        them count as a weakening."""
        return trust.changed(base, head)

    def strengthened(self, base: trust.Section, head: trust.Section) -> BaseModel:
        """Fail closed: no change of the tree under review applies to its options."""
        return base.options


def options(
    config: Config, scanner: type[HasOptions] | HasOptions, model: type[OptionsT]
) -> OptionsT:
    """A scanner's validated config section (its defaults when the config has none)."""
    key = options_key_of(scanner)
    if key is None:
        raise TypeError(f"{scanner.name} declares no options_model")
    return config.section(key, model)


def section_options(section: trust.Section, model: type[OptionsT]) -> OptionsT:
    """One side's options in the trust comparison, as the scanner's own model."""
    if not isinstance(section.options, model):
        raise TypeError(f"config section {section.key!r} is not a {model.__name__}")
    return section.options


#: Tool versions by "path|mtime|size": asking semgrep its version costs seconds per scan, so
#: the answer is kept in the cache directory until the executable changes. The memo is sealed
#: with the cache's HMAC key like every entry: a forged version would only change cache keys
#: (a miss, since entries are authenticated too), but it would also be the version every
#: report and evidence record names, so an unverified memo is ignored and asked again.
_VERSIONS: dict[str, str] = {}
_VERSIONS_LABEL = "tool-versions"


def _versions_file() -> Path:
    from secscan.util.cachedir import default_dir

    return default_dir() / "tool-versions.json"


def _signer() -> Signer:
    from secscan.util.cachedir import Signer, default_dir

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


#: Ids of the advisory databases OSV aggregates (what dependency and image scanners report).
ADVISORY_ID = re.compile(r"^(PYSEC|GHSA|CVE|OSV|MAL|GSD|RUSTSEC|GO)-", re.IGNORECASE)


def advisory_rule(advisory_id: str, db: Path, scanner: str) -> RuleInfo | None:
    """An advisory of the local OSV mirror as a rule (for scanners that report advisories)."""
    from secscan.advisories.store import AdvisoryStore

    try:
        store = AdvisoryStore.open(db, write_index=False)
    except (SecscanError, OSError):
        return None
    adv = store.get(advisory_id)
    if adv is None:
        return None
    fixed = sorted(
        {
            e.version
            for a in adv.affected
            for r in a.ranges
            if r.type != "GIT"  # a commit id is no version to upgrade to
            for e in r.events
            if e.kind == "fixed"
        }
    )
    return RuleInfo(
        rule_id=adv.id,
        scanner=scanner,
        kind=FindingKind.DEPENDENCY,
        title=adv.title,
        description=" ".join((adv.details or "").split()),
        fix=f"Upgrade to a fixed version ({', '.join(fixed)})." if fixed else None,
        references=tuple(r.url for r in adv.references if r.url),
        source=f"local OSV mirror {db}",
    )


class Caching(StrEnum):
    """How a scanner's results may be kept in the result cache."""

    #: Never cached: every run starts the tool.
    NONE = "none"
    #: One entry per target, keyed by the files of its cache_scope() (file-local scanners,
    #: Terraform modules): an edit re-scans only the targets whose scope holds that file.
    PER_TARGET = "per-target"
    #: One entry for the whole run, keyed by every target (findings are no per-file matter:
    #: dependencies deduplicated across manifests, an image's packages).
    PER_RUN = "per-run"


class ToolScanner(Describes):
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
    #: A file's findings depend only on the file itself: results are cached per file, and an
    #: incremental scan hands the tool only the changed files.
    file_local: ClassVar[bool] = False
    #: How results are cached when the scanner is not file_local (file-local ones: per target).
    caching: ClassVar[Caching] = Caching.NONE

    @property
    def cache_mode(self) -> Caching:
        """Per target when file-local, else the class's `caching`."""
        return Caching.PER_TARGET if self.file_local else self.caching

    #: parse_version() of the tool's output is its Python distribution's version: when the
    #: executable is pip's console script in a virtual environment, version() reads it from
    #: the environment's records instead of starting the tool (secscan/util/installed.py).
    version_from_distribution: ClassVar[bool] = False

    def cache_material(self, ctx: ScanContext) -> str | None:
        """Everything besides file content and tool version that changes results (rules,
        options, advisory data), or None when this run must not be cached."""
        return ""

    def rulesets(self, ctx: ScanContext) -> tuple[str, ...]:
        """The rule sets the tool ran with, as the user named them (for the evidence trail)."""
        return ()

    def cache_scope(self, rel: str, ctx: ScanContext) -> tuple[str, ...] | None:
        """Files whose content decides `rel`'s findings (itself, for truly file-local tools);
        None when secscan cannot tell (then `rel` is scanned every time)."""
        return (rel,)

    def applies_to(self, path: str) -> bool:
        """No file by default: a scanner names the files it reads."""
        return False

    def select(self, files: Sequence[str], request: ScanRequest) -> tuple[str, ...]:
        """The files it `applies_to`."""
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
        """The tool's version: from its distribution, the sealed memo, or by asking it."""
        tool = self.tool_path()
        if self.version_from_distribution:
            installed = distribution_version(tool, {**os.environ, **self.env()})
            if installed is not None:
                return installed
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
        """The version in the tool's `--version` output (its first line by default)."""
        first = text.strip().splitlines()
        return first[0].strip() if first else "unknown"

    def env(self) -> Mapping[str, str]:
        """Environment variables the tool runs with, besides secscan's own."""
        return {}

    def argv(self, ctx: ScanContext) -> list[str]:
        """The command line that scans ctx.targets (no shell; absolute target paths)."""
        raise NotImplementedError

    def parse(self, stdout: str, ctx: ScanContext) -> ScanOutcome:
        """The findings in the tool's output, pure (tested from captured output)."""
        raise NotImplementedError

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        """Run `argv` and `parse` its output."""
        done = self.execute(self.argv(ctx), ctx)
        return self.parse(done.stdout, ctx)

    def execute(
        self, argv: Sequence[str], ctx: ScanContext, ok_codes: Collection[int] | None = None
    ) -> _subprocess.Completed:
        """Run one command of the tool: its exit codes, the deadline, the root as cwd; a
        failure is a ScannerError carrying what of stderr may be shown."""
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


def tool_identity(scanner: object) -> ToolIdentity | None:
    """The identity of the executable a scanner starts (None: it starts none of its own).

    A scanner names its executable by `tool_path()` (SECSCAN_TOOL_<NAME> first, then beside
    python, then PATH). Nothing is started: the file is read and hashed."""
    tool_path = getattr(scanner, "tool_path", None)
    if not callable(tool_path):
        return None
    path = tool_path()
    try:
        return identify(str(path))
    except FileNotFoundError as e:
        raise ToolNotFoundError(f"{path} does not exist", argv0=str(path)) from e
    except OSError as e:
        raise ScannerError(
            getattr(scanner, "name", "?"), f"cannot read its executable {path}: {e}"
        ) from e


def verified(scanner: object, lock: ToolLock | None) -> ToolIdentity | None:
    """The scanner's executable identity, checked against the lock in force: a digest that
    differs, or one the lock does not name, is a ScannerError before anything runs it."""
    identity = identity_if_found(scanner, lock)
    check_lock(getattr(scanner, "name", "?"), identity, lock)
    return identity


def identity_if_found(scanner: object, lock: ToolLock | None) -> ToolIdentity | None:
    """`tool_identity`, or None when the executable is not found and no lock is in force
    (asking its version then says it is missing; a scanner that overrides `version` and
    `scan` to run no process is left alone). Under a lock a missing tool is an error."""
    try:
        return tool_identity(scanner)
    except ToolNotFoundError:
        if lock is not None:
            raise
        return None


def check_lock(name: str, identity: ToolIdentity | None, lock: ToolLock | None) -> None:
    """Raise the ToolLockMismatch a lock's mismatch is (nothing when no lock or no
    executable): a scanner error no profile tolerates."""
    if lock is not None and identity is not None:
        problem = lock.problem(name, identity)
        if problem is not None:
            raise ToolLockMismatch(name, problem)
