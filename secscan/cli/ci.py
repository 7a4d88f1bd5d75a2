"""`secscan ci`: the CI gating step; every report format, the step summary, new findings only."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import click

from secscan.app import incremental
from secscan.app.registry import installed
from secscan.cli import _verbose
from secscan.cli._options import (
    judging_options,
    no_cache_option,
    output_dir_option,
    path_argument,
    quiet_option,
    report_dir,
    tree_scanners,
    write_reports,
)
from secscan.cli._recording import history_option, record_run
from secscan.cli.views.terminal import summary
from secscan.errors import ReportError, UsageError
from secscan.history.model import Source
from secscan.model.redact import mask_name
from secscan.model.results import SavedResults
from secscan.policy import judge
from secscan.report.formats import CI_FORMATS
from secscan.scan import pipeline
from secscan.settings import trust
from secscan.settings.config import Config
from secscan.workspace import vcs

PROFILE = "ci"
#: GitHub rejects a step summary over 1 MiB; past this the summary points at the artifacts.
STEP_SUMMARY_LIMIT = 1024 * 1024 - 4096


@click.command()
@path_argument
@click.option(
    "--new-since",
    metavar="REF",
    default=None,
    help="Count only findings the merge base of HEAD and REF did not have (e.g. "
    "origin/main); scan only what changed since it. The gate settings are read from the "
    "merge base, and any the branch weakens fail the gate.",
)
@click.option("--profile", default=PROFILE, show_default=True, help="Gate profile.")
@output_dir_option("every report goes")
@judging_options
@click.option(
    "--trust-tree-settings",
    is_flag=True,
    help="DANGEROUS: with --new-since, judge with the settings of the tree under review "
    "instead of the merge base's (it then decides how it is judged). Every report says so.",
)
@no_cache_option
@history_option
@quiet_option
@click.option("-v", "--verbose", is_flag=True, help="Notes such as refused cache entries.")
def ci(
    path: Path,
    new_since: str | None,
    baseline: Path | None,
    profile: str,
    output_dir: Path | None,
    config_file: Path | None,
    policy_dir: Path | None,
    waivers: Path | None,
    trust_tree_settings: bool,
    no_cache: bool,
    history_url: str | None,
    quiet: bool,
    verbose: bool,
) -> int:
    """Scan PATH for a CI job: write every report format, gate with the `ci` profile.

    With $GITHUB_STEP_SUMMARY set, the Markdown summary is added to the job's page.
    Exit codes: 0 pass, 1 gate failed, 2 usage/config/policy error, 3 scanner error.
    """
    _verbose.notes(verbose)
    root = path.resolve()
    options = {
        "config_file": config_file,
        "policy_dir": policy_dir,
        "waivers": waivers,
        "baseline": baseline,
    }
    if new_since is None or trust_tree_settings:
        config = installed().load_config(path, config_file)
        inputs = judge.resolve(
            root,
            config,
            profile=profile,
            policy_dir=policy_dir,
            waivers=waivers,
            baseline=baseline,
            catalog=judge.default_catalog(),
        )
        warnings = judge.tree_warnings(root, config, inputs, tree_scanners(), **options)
        if trust_tree_settings:
            warnings = (TRUST_TREE_WARNING, *warnings)
        return _run(
            root,
            config,
            inputs,
            new_since,
            output_dir,
            no_cache,
            quiet,
            warnings,
            None,
            history_url,
        )
    top = vcs.toplevel(root)
    if top is None:
        raise UsageError(f"--new-since needs a git work tree; {root} is not in one")
    with vcs.checkout(top, vcs.merge_base(top, new_since)) as tree:
        # The gate settings come from the merge base: the change under review is judged by
        # what the branch it wants to join already agreed on.
        chosen = judge.trusted(
            root,
            tree / root.relative_to(top),
            registry=installed().scanners,
            scanner_names=tree_scanners(),
            profile=profile,
            catalog=judge.default_catalog(),
            **options,
        )
        return _run(
            root,
            chosen.config,
            chosen.inputs,
            new_since,
            output_dir,
            no_cache,
            quiet,
            (),
            chosen,
            history_url,
            base_tree=tree,
        )


#: Said in every report of a `ci --trust-tree-settings` run.
TRUST_TREE_WARNING = (
    "--trust-tree-settings: the gate settings were read from the tree under review, which "
    "therefore chose how it is judged; this result is no evidence for a pull request"
)


def _run(
    root: Path,
    config: Config,
    inputs: judge.Inputs,
    new_since: str | None,
    output_dir: Path | None,
    no_cache: bool,
    quiet: bool,
    warnings: tuple[str, ...],
    chosen: judge.Trusted | None,
    history_url: str | None,
    base_tree: Path | None = None,
) -> int:
    now = pipeline.utcnow
    notes: list[str] = []
    if new_since is not None:
        since = incremental.scan_since(
            root, config, new_since, clock=now, use_cache=not no_cache, base_tree=base_tree
        )
        result = since.result
        merged = incremental.merge_baselines(inputs.baseline, since.baseline)
        inputs = replace(inputs, baseline=merged)
        notes.append(
            f"new since {mask_name(new_since)}: merge base {since.base_commit[:12]}, "
            f"{len(since.changed)} changed file(s), {len(since.baseline)} finding(s) there"
        )
        if not inputs.profile.gate.new_only:
            notes.append(
                f"profile {inputs.profile.name!r} counts every finding (new_only is off): "
                "--new-since only marks which are new"
            )
        extra = since.warnings
        reclassified = since.reclassified
    else:
        result = pipeline.scan(root, config, clock=now, use_cache=not no_cache)
        extra = ()
        reclassified = ()
    if chosen is not None:
        notes.append(f"gate settings read from the merge base of {mask_name(new_since or '')}")
        # Files that claimed a scope the base never gave their place fail like a weakening.
        if chosen.weakenings or reclassified:
            attempted = (*chosen.weakenings, *reclassified)
            result = replace(result, runs=(*result.runs, trust.policy_run(attempted)))
    elif reclassified:
        extra = (*extra, *trust.describe(reclassified))
    result, decision = judge.judge(result, inputs, now())
    if extra or warnings:
        decision = replace(decision, warnings=(*warnings, *decision.warnings, *extra))
    saved = SavedResults(result, decision)
    recorded = record_run(
        saved,
        history_url,
        config,
        source=Source.CI,
        root=root,
        profile=inputs.profile,
        now=now(),
    )

    folder = report_dir(
        output_dir,
        config,
        root,
        configured=chosen.output_dir if chosen else None,
        from_tree=True if chosen else None,
    )
    rendered_at = now()
    written = write_reports(saved, folder, CI_FORMATS, rendered_at, recorded.trends)

    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary and "markdown" in installed().formats.scan:
        append_step_summary(
            Path(step_summary),
            installed().formats.scan["markdown"].render(saved, rendered_at, trends=recorded.trends),
        )

    if quiet:
        click.echo(f"gate {'PASSED' if decision.passed else 'FAILED'}")
    else:
        click.echo(summary(saved, written), nl=False)
        for n in notes:
            click.echo(f"  {n}")
    recorded.raise_error()
    return int(judge.exit_code(decision))


def append_step_summary(path: Path, markdown: str) -> None:
    """Append, not replace: the file is the runner's, shared by every step of the job (so
    write_atomic, which swaps the whole file, is not the tool here).
    """
    if len(markdown.encode("utf-8")) > STEP_SUMMARY_LIMIT:
        cut = markdown.encode("utf-8")[:STEP_SUMMARY_LIMIT].decode("utf-8", errors="ignore")
        markdown = cut.rsplit("\n", 1)[0] + (
            "\n\n_Summary cut at GitHub's 1 MiB limit: the full reports are in the job's "
            "artifacts._\n"
        )
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(markdown if markdown.endswith("\n") else markdown + "\n")
    except OSError as e:
        raise ReportError(f"cannot write the step summary {path}: {e.strerror or e}") from e
