"""`secscan gate --from FILE`: judge saved results again, without scanning."""

from __future__ import annotations

from pathlib import Path

import click

from secscan.app import attest as evidence
from secscan.app.output import load
from secscan.app.run import Output, Run, Scanned
from secscan.app.settings import Options, for_saved, recorded_settings, registry
from secscan.app.values import Severity
from secscan.cli._options import print_outcome
from secscan.cli.attest import described
from secscan.errors import UsageError


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
@click.option(
    "--require-attestation",
    "attestation",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Refuse (exit 1) unless this `secscan attest` envelope, signed by --key, covers "
    "the results file unchanged under this command's policy.",
)
@click.option(
    "--key",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The attestation signer's PEM public key (with --require-attestation).",
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
    attestation: Path | None,
    key: Path | None,
    quiet: bool,
) -> int:
    """Re-judge saved results against the policy, without rescanning.

    A results file is untrusted: it is judged only with this command line's options and the
    defaults, never with the policy, waivers, baseline or profile it records (those are
    shown, as information).
    """
    if (attestation is None) != (key is None):
        raise UsageError("--require-attestation and --key go together")
    if attestation is not None and key is not None:
        policy = evidence.policy_digest(policy_dir)
        done = evidence.verify(attestation, key, results=source, expected_policy=policy)
        if not quiet:
            click.echo(described(done, policy))
        saved = done.saved  # judged from the bytes verified, not read again
    else:
        saved = load(source)
    options = Options(
        profile=profile,
        policy_dir=policy_dir,
        waivers=waivers,
        baseline=baseline,
        fail_on=Severity(fail_on) if fail_on else None,
    )
    run = Run(for_saved(saved.decision, options, registry()), output=Output(results_file=output))
    recorded = recorded_settings(saved.decision)
    outcome = run.finish(
        Scanned(saved.result, run.settings.inputs, (recorded,) if recorded else ())
    )
    print_outcome(outcome, quiet=quiet)
    return int(outcome.exit_code)
