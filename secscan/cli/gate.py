"""`secscan gate --from FILE`: judge saved results again, without scanning."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from secscan.cli.views.terminal import summary
from secscan.model.findings import Severity
from secscan.model.results import SavedResults, dumps, load
from secscan.policy import judge
from secscan.scan import pipeline
from secscan.util.atomic import write_atomic


@click.command()
@click.option(
    "--from",
    "source",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A secscan-results.json written by `secscan scan`.",
)
@click.option(
    "--profile",
    default=None,
    help="Gate profile [default: ci; never the one recorded in the file].",
)
@click.option(
    "--policy",
    "policy_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Your policy directory [default: the shipped library only].",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Baseline or older results file [default: none].",
)
@click.option(
    "--waivers",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Waivers file [default: none].",
)
@click.option(
    "--fail-on",
    type=click.Choice([s.value for s in Severity]),
    default=None,
    help="Override the profile: fail on findings at or above this severity.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the re-judged results here (JSON).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only the gate verdict.")
def gate(
    source: Path,
    profile: str | None,
    policy_dir: Path | None,
    baseline: Path | None,
    waivers: Path | None,
    fail_on: str | None,
    output: Path | None,
    quiet: bool,
) -> int:
    """Re-judge saved results against the policy, without rescanning.

    A results file is untrusted: it is judged only with this command line's options and the
    defaults, never with the policy, waivers, baseline or profile it records (those are
    shown, as information).
    """
    saved = load(source)
    inputs = judge.resolve_saved(
        saved.decision,
        Path(saved.result.root),
        profile=profile,
        policy_dir=policy_dir,
        waivers=waivers,
        baseline=baseline,
        fail_on=Severity(fail_on) if fail_on else None,
    )
    result, decision = judge.judge(saved.result, inputs, pipeline.utcnow())
    recorded = judge.recorded_settings(saved.decision)
    if recorded:
        decision = replace(decision, warnings=(*decision.warnings, recorded))
    rejudged = SavedResults(result, decision)
    if output is not None:
        write_atomic(output, dumps(result, decision))
    if quiet:
        click.echo(f"gate {'PASSED' if decision.passed else 'FAILED'}")
    else:
        click.echo(summary(rejudged, [str(output)] if output else []), nl=False)
    return int(judge.exit_code(decision))
