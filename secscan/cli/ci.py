"""`secscan ci`: the CI gating step; every report format, the step summary, new findings only."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import click

from secscan import incremental, pipeline
from secscan.cli._options import (
    judging_options,
    no_cache_option,
    output_dir_option,
    path_argument,
    quiet_option,
    report_dir,
    write_reports,
)
from secscan.cli.history import history_option, record_run
from secscan.config import load_config
from secscan.errors import ReportError
from secscan.history.model import Source
from secscan.policy import judge
from secscan.report import FORMATS
from secscan.report.terminal import summary
from secscan.results import SavedResults

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
    "origin/main); scan only what changed since it.",
)
@click.option("--profile", default=PROFILE, show_default=True, help="Gate profile.")
@output_dir_option("every report goes")
@judging_options
@no_cache_option
@history_option
@quiet_option
def ci(
    path: Path,
    new_since: str | None,
    baseline: Path | None,
    profile: str,
    output_dir: Path | None,
    config_file: Path | None,
    policy_dir: Path | None,
    waivers: Path | None,
    no_cache: bool,
    history_url: str | None,
    quiet: bool,
) -> int:
    """Scan PATH for a CI job: write every report format, gate with the `ci` profile.

    With $GITHUB_STEP_SUMMARY set, the Markdown summary is added to the job's page.
    Exit codes: 0 pass, 1 gate failed, 2 usage/config/policy error, 3 scanner error.
    """
    config = load_config(path, config_file)
    root = path.resolve()
    inputs = judge.resolve(
        root,
        config,
        profile=profile,
        policy_dir=policy_dir,
        waivers=waivers,
        baseline=baseline,
        catalog=judge.default_catalog(),
    )
    now = pipeline.utcnow
    notes: list[str] = []
    if new_since is not None:
        since = incremental.scan_since(root, config, new_since, clock=now, use_cache=not no_cache)
        result = since.result
        merged = incremental.merge_baselines(inputs.baseline, since.baseline)
        inputs = replace(inputs, baseline=merged)
        notes.append(
            f"new since {new_since}: merge base {since.base_commit[:12]}, "
            f"{len(since.changed)} changed file(s), {len(since.baseline)} finding(s) there"
        )
        if not inputs.profile.gate.new_only:
            notes.append(
                f"profile {inputs.profile.name!r} counts every finding (new_only is off): "
                "--new-since only marks which are new"
            )
        extra = since.warnings
    else:
        result = pipeline.scan(root, config, clock=now, use_cache=not no_cache)
        extra = ()
    result, decision = judge.judge(result, inputs, now())
    if extra:
        decision = replace(decision, warnings=decision.warnings + extra)
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

    rendered_at = now()
    written = write_reports(
        saved, report_dir(output_dir, config), FORMATS, rendered_at, recorded.trends
    )

    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary and "markdown" in FORMATS:
        append_step_summary(
            Path(step_summary), FORMATS["markdown"].render(saved, rendered_at, recorded.trends)
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
