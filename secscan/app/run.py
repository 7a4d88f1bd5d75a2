"""Run: scan → judge → save → record history → render, once, for every command that judges.

`scan`, `ci`, `audit`, `hook`, `compliance` run it from a `Settings` resolved once
(`secscan.app.settings`); `gate --from` enters it at the judging step with saved results,
and `report` at the rendering step. The commands print what it returns and exit with its
code. This is the only caller of the scan pipeline and of the judge (tests/test_layers.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from secscan.app import incremental, mirror
from secscan.app.output import report_dir, write_reports
from secscan.app.settings import Settings
from secscan.errors import ExitCode, HistoryError
from secscan.history import Trends, wanted
from secscan.history import record as record_history
from secscan.history.model import Source
from secscan.model.decision import Decision
from secscan.model.findings import RunStatus, ScanResult
from secscan.model.redact import mask_name
from secscan.model.results import SavedResults, dumps
from secscan.policy import judge as judging
from secscan.policy.judge import Inputs
from secscan.scan import pipeline
from secscan.scan.pipeline import Clock, Progress
from secscan.scanners.base import ScanRequest
from secscan.settings import trust
from secscan.util.atomic import write_atomic
from secscan.workspace import bounds

__all__ = ["Clock", "Outcome", "Output", "Run", "Scanned", "Scope", "exit_code", "utcnow"]


def utcnow() -> datetime:
    """Now, by the pipeline's clock: one clock for every step (a test pins it there)."""
    return pipeline.utcnow()


@dataclass(frozen=True)
class Scope:
    """What a run scans: every configured scanner over the whole root unless narrowed."""

    scanner_names: tuple[str, ...] | None = None
    #: Only these files (the pre-commit hook's staged files).
    files: tuple[str, ...] | None = None
    request: ScanRequest | None = None
    use_cache: bool = True
    progress: Progress | None = None


@dataclass(frozen=True)
class Output:
    """Where a run's results go."""

    #: Report formats written to the report folder.
    formats: tuple[str, ...] = ()
    #: --output-dir (None: the config's `output_dir`, else ./secscan-reports).
    output_dir: Path | None = None
    #: The results alone, written to this file (`gate --output`).
    results_file: Path | None = None
    #: Which command records the run in the history; None: never recorded.
    source: Source | None = None
    #: --history URL.
    history: str | None = None
    #: The digest of the trusted settings the run is judged with (a fleet job's), recorded.
    settings_digest: str | None = None
    #: The repository's labels (a fleet manifest's tags), recorded with the run.
    tags: Mapping[str, str] | None = None


@dataclass(frozen=True)
class Scanned:
    """A scan before judging, with what the judgement must know about it."""

    result: ScanResult
    inputs: Inputs
    #: Said after the judgement's own warnings.
    warnings: tuple[str, ...] = ()
    #: For the terminal only (the merge base, the changed files).
    notes: tuple[str, ...] = ()

    @property
    def nothing_checked(self) -> bool:
        """Every scanner skipped and no file left unanalyzed: nothing of the scope was read."""
        return (
            all(r.status is RunStatus.SKIPPED for r in self.result.runs)
            and not self.result.not_analyzed
        )


@dataclass(frozen=True)
class Outcome:
    """What a run gave: the judged results, the files written, the history's answer."""

    saved: SavedResults
    rendered_at: datetime
    written: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    trends: Trends | None = None
    #: The history the run was recorded in (masked), with its one-line summary.
    recorded: str | None = None
    #: A history that could not be written: raised once the reports are out.
    history_error: HistoryError | None = field(default=None, compare=False)

    @property
    def decision(self) -> Decision:
        assert self.saved.decision is not None  # noqa: S101 - a run always judges
        return self.saved.decision

    @property
    def exit_code(self) -> ExitCode:
        return exit_code(self.decision)

    def raise_history_error(self) -> None:
        if self.history_error is not None:
            raise self.history_error


def exit_code(decision: Decision) -> ExitCode:
    """3 when a scanner error the profile treats as failing, else 1 on a failed gate, else 0."""
    return judging.exit_code(decision)


@dataclass(frozen=True)
class Run:
    """One judged run. `run()` does every step; a command that stops early (the hook, with
    nothing to check) or starts late (`gate --from`) calls the steps it needs."""

    settings: Settings
    scope: Scope = Scope()
    output: Output = Output()
    clock: Clock = utcnow

    def run(self) -> Outcome:
        return self.finish(self.scan())

    def finish(self, scanned: Scanned) -> Outcome:
        """Judge, then save, record and render."""
        return self.save(self.judge(scanned), scanned.notes)

    def scan(self) -> Scanned:
        """The scan: of the changed files on both sides with `--new-since`, else of the root."""
        s, scope = self.settings, self.scope
        if s.change is not None:
            return self._scan_since(s.change)
        if scope.request is not None and scope.request.advisory_db is not None:
            mirror.checked(scope.request.advisory_db, bounds.trees_of(s.root), "--advisory-db")
        result = pipeline.scan(
            s.root,
            s.config,
            scanner_names=scope.scanner_names,
            files=scope.files,
            request=scope.request,
            clock=self.clock,
            use_cache=scope.use_cache,
            progress=scope.progress,
            registry=s.scanners,
        )
        return Scanned(result, s.inputs)

    def _scan_since(self, change: incremental.Change) -> Scanned:
        s, scope = self.settings, self.scope
        since = incremental.scan_since(
            s.root,
            s.config,
            change,
            scanner_names=scope.scanner_names,
            clock=self.clock,
            use_cache=scope.use_cache,
            progress=scope.progress,
            registry=s.scanners,
        )
        merged = incremental.merge_baselines(s.inputs.baseline, since.baseline)
        inputs = replace(s.inputs, baseline=merged)
        notes = [
            f"new since {mask_name(change.ref)}: merge base {since.base_commit[:12]}, "
            f"{len(since.changed)} changed file(s), {len(since.baseline)} finding(s) there"
        ]
        if not inputs.profile.gate.new_only:
            notes.append(
                f"profile {inputs.profile.name!r} counts every finding (new_only is off): "
                "--new-since only marks which are new"
            )
        result, warnings = since.result, since.warnings
        if s.trusted is not None:
            notes.append(f"gate settings read from the merge base of {mask_name(change.ref)}")
            # Files that claimed a scope the base never gave their place fail like a weakening.
            attempted = (*s.trusted.weakenings, *since.reclassified)
            if attempted:
                result = replace(result, runs=(*result.runs, trust.policy_run(attempted)))
        elif since.reclassified:
            warnings = (*warnings, *trust.describe(since.reclassified))
        return Scanned(result, inputs, warnings, tuple(notes))

    def judge(self, scanned: Scanned) -> SavedResults:
        """The judgement, with the settings' warnings first and the scan's after its own."""
        result, decision = judging.judge(scanned.result, scanned.inputs, self.clock())
        before, after = self.settings.warnings, scanned.warnings
        if before or after:
            decision = replace(decision, warnings=(*before, *decision.warnings, *after))
        return SavedResults(result, decision)

    def save(self, saved: SavedResults, notes: Iterable[str] = ()) -> Outcome:
        """Record the run when asked to, then write the results and reports. A history that
        cannot be written does not stop the reports; the command then exits 2 naming the
        database (never its password)."""
        out = self.output
        trends: Trends | None = None
        recorded: str | None = None
        error: HistoryError | None = None
        if out.source is not None:
            try:
                trends, recorded = self._record(saved, out.source)
            except HistoryError as e:
                error = e
        written: tuple[str, ...] = ()
        if out.results_file is not None:
            assert saved.decision is not None  # noqa: S101 - judged above
            write_atomic(out.results_file, dumps(saved.result, saved.decision))
            written = (str(out.results_file),)
        rendered_at = self.clock()
        if out.formats:
            written = (*written, *self.render(saved, rendered_at, trends))
        return Outcome(saved, rendered_at, written, tuple(notes), trends, recorded, error)

    def _record(self, saved: SavedResults, source: Source) -> tuple[Trends | None, str | None]:
        url = wanted(self.output.history, self.settings.config.history, source)
        if url is None:
            return None, None
        trends = record_history(
            saved,
            url,
            source=source,
            root=self.settings.root,
            deadlines=self.settings.inputs.profile.deadlines.days(),
            now=self.clock(),
            settings_digest=self.output.settings_digest,
            tags=self.output.tags,
        )
        from secscan.history.store import shown

        return trends, f"history: recorded in {shown(url)} ({trends.summary_line()})"

    def render(
        self, saved: SavedResults, rendered_at: datetime, trends: Trends | None = None
    ) -> tuple[str, ...]:
        """Write the output's formats to the report folder; returns the paths written."""
        s = self.settings
        folder = report_dir(
            self.output.output_dir,
            s.config,
            s.root,
            configured=s.trusted.output_dir if s.trusted else None,
            from_tree=True if s.trusted else None,
        )
        return tuple(write_reports(saved, folder, self.output.formats, rendered_at, trends))
