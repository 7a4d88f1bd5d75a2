"""`secscan ci`: the CI gating step; every report format, the step summary, new findings only."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import click

from secscan.app.incremental import change_since
from secscan.app.output import CI_FORMATS, markdown
from secscan.app.run import Output, Run, Scope
from secscan.app.settings import Options, for_change, for_tree, registry
from secscan.app.values import Source
from secscan.cli import _verbose
from secscan.cli._options import (
    judging_options,
    no_cache_option,
    output_dir_option,
    path_argument,
    print_outcome,
    quiet_option,
)
from secscan.cli._recording import history_option
from secscan.errors import ReportError

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
    tools_lock: Path | None,
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
    options = Options(config_file, profile, policy_dir, waivers, baseline, tools_lock=tools_lock)
    plugins = registry()
    scope = Scope(use_cache=not no_cache)
    output = Output(CI_FORMATS, output_dir, source=Source.CI, history=history_url)
    if new_since is not None and not trust_tree_settings:
        with change_since(path, new_since) as change:
            return _finish(Run(for_change(path, options, change, plugins), scope, output), quiet)
    settings = for_tree(path, options, plugins)
    if trust_tree_settings:
        settings = replace(settings, warnings=(TRUST_TREE_WARNING, *settings.warnings))
    if new_since is None:
        return _finish(Run(settings, scope, output), quiet)
    with change_since(path, new_since) as change:
        return _finish(Run(replace(settings, change=change), scope, output), quiet)


#: Said in every report of a `ci --trust-tree-settings` run.
TRUST_TREE_WARNING = (
    "--trust-tree-settings: the gate settings were read from the tree under review, which "
    "therefore chose how it is judged; this result is no evidence for a pull request"
)


def _finish(run: Run, quiet: bool) -> int:
    """Run, add the Markdown report to the job's page, print, and exit with the gate's code."""
    outcome = run.run()
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        text = markdown(outcome.saved, outcome.rendered_at, outcome.trends)
        if text is not None:
            append_step_summary(Path(step_summary), text)
    print_outcome(outcome, quiet=quiet)
    outcome.raise_history_error()
    return int(outcome.exit_code)


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
