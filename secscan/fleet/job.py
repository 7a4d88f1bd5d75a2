"""One fleet job: one repository, fetched, judged with the manifest's trusted settings through
the one use case (`secscan.app.run.Run`: scan → judge → save → record) and recorded with its
tags. The embedded pool (`fleet run`) and the queue's workers (`fleet worker`) both run this.

A job is idempotent: it asks the remote for the branch's HEAD first, and a repository whose
HEAD, trusted settings digest and tool versions equal its last recorded fleet run is skipped,
so a job run twice (a retry after its worker died after recording) records the run once.
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from secscan import __version__
from secscan.app.run import Output, Run, Scope
from secscan.app.settings import Registry, Settings, default_catalog, registry, resolve
from secscan.app.settings import tree_scanners as _tree_scanners
from secscan.errors import ConfigError, ExitCode, SecscanError
from secscan.fleet.checkout import CheckoutError, checkout, remote_head
from secscan.fleet.manifest import Target
from secscan.history.lastscan import LastScan, last_scan
from secscan.history.model import Run as RecordedRun
from secscan.history.model import ScannerRecord, Source
from secscan.history.store import SqlStore
from secscan.model.findings import RunStatus
from secscan.model.redact import mask_name
from secscan.scanners.named_files import check_named_files
from secscan.settings.config import Config
from secscan.util.cachedir import digest_tree

if TYPE_CHECKING:
    from secscan.policy.judge import Inputs

__all__ = ["JobResult", "Status", "check_settings", "execute", "worst"]

#: What `--reports DIR` writes for each scanned repository.
REPORT_FORMATS = ("json", "html")
#: Keys of a config a manifest may not set: where it was read from is ours to say.
_RESERVED = frozenset({"base_dir", "source", "history"})


class Status(StrEnum):
    PASSED = "pass"
    FAILED = "fail"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class JobResult:
    name: str
    repository: str
    status: Status
    exit_code: int
    commit: str | None = None
    message: str = ""
    #: The history holds this result (a recorded run, or the unchanged run it skipped for).
    recorded: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "repository": self.repository,
            "status": self.status.value,
            "exit_code": self.exit_code,
            "commit": self.commit,
            "message": self.message,
            "recorded": self.recorded,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobResult:
        return cls(
            name=data["name"],
            repository=data["repository"],
            status=Status(data["status"]),
            exit_code=int(data["exit_code"]),
            commit=data["commit"],
            message=data["message"],
            recorded=bool(data["recorded"]),
        )

    def line(self) -> str:
        commit = f" {self.commit[:12]}" if self.commit else ""
        tail = f": {self.message}" if self.message else ""
        return f"{self.status.value:7} {self.name}{commit}{tail}"


#: Exit codes from best to worst: a manifest or settings mistake outranks a scanner error,
#: which outranks a failed gate.
_RANK = (ExitCode.PASS, ExitCode.GATE_FAILED, ExitCode.SCANNER_ERROR, ExitCode.USAGE)


def worst(results: list[JobResult]) -> ExitCode:
    codes = [ExitCode(r.exit_code) for r in results] or [ExitCode.PASS]
    return max(codes, key=_RANK.index)


def check_settings(
    settings: dict[str, Any], base_dir: Path, plugins: Registry | None = None
) -> Config:
    """A manifest's settings as a Config (relative paths from the manifest's folder),
    validated like a `.secscan.yaml`; a ConfigError names the setting."""
    plugins = plugins or registry()
    reserved = sorted(_RESERVED & set(settings))
    if reserved:
        raise ConfigError("not a setting a manifest gives", key=reserved[0])
    try:
        config = plugins.scanners.make_config(**settings, base_dir=base_dir)
    except ValidationError as e:
        first = e.errors()[0]
        msg = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
        raise ConfigError(msg, key=".".join(str(p) for p in first["loc"])) from e
    check_named_files(config, plugins.scanners.section_judges())
    return config


_VERSIONS: dict[str, str | None] = {}


def _tool_version(plugins: Registry, name: str) -> str | None:
    """The installed tool's version, once per process (a worker restarts to upgrade)."""
    if name not in _VERSIONS:
        _VERSIONS[name] = _ask_version(plugins, name)
    return _VERSIONS[name]


def _ask_version(plugins: Registry, name: str) -> str | None:
    try:
        return plugins.scanners.classes[name]().version()
    except SecscanError:
        return None


def tool_versions(plugins: Registry, config: Config) -> dict[str, str | None]:
    names = config.scanners if config.scanners is not None else _tree_scanners(plugins)
    return {n: _tool_version(plugins, n) for n in names if n in plugins.scanners.classes}


@functools.cache
def _content(path: str, stamp: tuple[int, int]) -> str:
    """A named file's or folder's content digest; unreadable: a digest equal to nothing."""
    del stamp  # the cache key: a changed file is read again
    return digest_tree(Path(path)) or secrets.token_hex(16)


def _stamp(p: Path) -> tuple[int, int]:
    try:
        st = p.stat()
    except OSError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


def settings_digest(target: Target, config: Config, inputs: Inputs) -> str:
    """What the repository is judged with: the manifest's settings and profile, the content of
    every policy, waivers, baseline and advisory file they name, and secscan's version (which
    fixes the shipped policy library)."""
    named = {
        "policy": inputs.policy_dir,
        "waivers": Path(inputs.waivers.source)
        if inputs.waivers and inputs.waivers.source
        else None,
        "baseline": Path(inputs.baseline.source) if inputs.baseline else None,
        "advisories": config.resolve(config.advisories.db),
    }
    material = {
        "secscan": __version__,
        "trusted": target.settings_text(),
        "files": {k: _content(str(p), _stamp(p)) if p else None for k, p in named.items()},
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def execute(
    target: Target,
    history: str,
    workdir: Path,
    *,
    force: bool = False,
    record_failures: bool = True,
    reports: Path | None = None,
) -> JobResult:
    """Scan one repository and record it; every failure is a result, never an exception.
    `record_failures`: record a repository that cannot be fetched as a failed run (a queued
    job's last attempt does; earlier attempts are retried instead). `reports`: also write
    its results and HTML report to reports/<slug>/ (the history keeps no finding text)."""
    plugins = registry()
    try:
        config = check_settings(dict(target.settings), Path(target.base_dir), plugins)
        inputs = resolve(
            workdir,
            config,
            profile=target.profile,
            catalog=default_catalog(plugins.scanners),
            default_waivers=False,
        )
        digest = settings_digest(target, config, inputs)
        tools = tool_versions(plugins, config)
        head = remote_head(target)
        last = None if force else _last(history, target, head.branch)
        if last is not None and last.same(head.commit, digest, tools):
            # Unchanged: its recorded verdict stands (a failed gate still fails the fleet).
            code = ExitCode.GATE_FAILED if last.outcome == "fail" else ExitCode.PASS
            return JobResult(
                target.name,
                target.identity,
                Status.SKIPPED,
                code,
                head.commit,
                f"unchanged since run {last.run_id} ({last.outcome})",
            )
        root = checkout(target, head, workdir / target.slug)
        settings = Settings(root.resolve(), config, inputs, plugins)
        output = Output(
            formats=REPORT_FORMATS if reports is not None else (),
            output_dir=reports / target.slug if reports is not None else None,
            source=Source.FLEET,
            history=history,
            settings_digest=digest,
            tags=target.tags,
        )
        outcome = Run(settings, Scope(), output).run()
        outcome.raise_history_error()
    except CheckoutError as e:
        return _failed(target, history, e) if record_failures else _error(target, e)
    except SecscanError as e:
        return _error(target, e)
    code = outcome.exit_code
    status = {ExitCode.PASS: Status.PASSED, ExitCode.GATE_FAILED: Status.FAILED}.get(
        code, Status.ERROR
    )
    return JobResult(target.name, target.identity, status, code, outcome.saved.result.git_commit)


def _error(target: Target, e: SecscanError) -> JobResult:
    """Nothing recorded: the settings, the fetch or the history failed."""
    return JobResult(
        target.name, target.identity, Status.ERROR, e.exit_code, None, _first(e), recorded=False
    )


def _first(e: SecscanError) -> str:
    return mask_name(e.diagnostics().splitlines()[0] if e.diagnostics() else type(e).__name__)


def _last(history: str, target: Target, branch: str) -> LastScan | None:
    store = SqlStore.open(history)
    try:
        return last_scan(store, target.identity, mask_name(branch))
    finally:
        store.close()


def _failed(target: Target, history: str, error: CheckoutError) -> JobResult:
    """A repository that could not be fetched is recorded as a run whose fetch failed (the
    dashboard shows it with the scanner failures), and reported as a scanner error."""
    message = _first(error)
    now = datetime.now(UTC)
    run = RecordedRun(
        repository=target.identity,
        at=now,
        started_at=now,
        secscan_version=__version__,
        source=Source.FLEET,
        branch=mask_name(target.branch) if target.branch else None,
        profile=target.profile,
        scanners=(ScannerRecord("fetch", "source", RunStatus.ERROR, None, message),),
    )
    try:
        store = SqlStore.open(history)
        try:
            store.set_tags(target.identity, target.tags)
            store.record(run)
        finally:
            store.close()
    except SecscanError as e:
        return JobResult(
            target.name,
            target.identity,
            Status.ERROR,
            ExitCode.SCANNER_ERROR,
            None,
            f"{message}; and history: {_first(e)}",
            recorded=False,
        )
    return JobResult(
        target.name, target.identity, Status.ERROR, ExitCode.SCANNER_ERROR, None, message
    )
