"""Command line: build objects, call the pipeline, map errors to exit codes. Nothing else."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

import click

from secscan import __version__
from secscan.errors import ExitCode, SecscanError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="secscan")
def cli() -> None:
    """secscan: run security scanners, judge findings against policy, write reports.

    Exit codes: 0 pass, 1 gate failed, 2 usage/config/policy error, 3 scanner error.
    """


def _register() -> None:
    from secscan.cli import baseline, controls, doctor, gate, policy, scan

    cli.add_command(scan.scan)
    cli.add_command(doctor.doctor)
    cli.add_command(gate.gate)
    cli.add_command(controls.controls)
    cli.add_command(policy.policy)
    cli.add_command(baseline.baseline)
    from secscan.cli import advisories

    cli.add_command(advisories.advisories)
    from secscan.cli import compliance, report

    cli.add_command(report.report)
    cli.add_command(compliance.compliance_cmd)
    from secscan.cli import audit, ci, explain, hook

    cli.add_command(hook.hook)
    cli.add_command(ci.ci)
    cli.add_command(audit.audit)
    cli.add_command(explain.explain)
    from secscan.cli import waivers

    cli.add_command(waivers.waivers)
    from secscan.cli import history

    cli.add_command(history.history)


_register()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code when called in-process with argv (tests do)."""
    logging.basicConfig(level=logging.WARNING, format="secscan: %(levelname)s: %(message)s")
    logging.getLogger("secscan").setLevel(logging.NOTSET)  # `-v` raises it for one command
    try:
        rv = cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except SecscanError as e:
        click.echo(f"secscan: error: {e.diagnostics()}", err=True)
        code = int(e.exit_code)
    except click.exceptions.Abort:
        click.echo("secscan: aborted", err=True)
        code = int(ExitCode.USAGE)
    except click.ClickException as e:
        e.show()
        code = int(ExitCode.USAGE)
    except click.exceptions.Exit as e:
        code = int(e.exit_code)
    else:
        code = int(rv) if isinstance(rv, int) else 0
    if argv is None:
        sys.exit(code)
    return code
