"""Command line: build objects, call the pipeline, map errors to exit codes. Nothing else."""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Sequence
from typing import NamedTuple

import click

from secscan import __version__
from secscan.errors import ExitCode, SecscanError


class CommandInfo(NamedTuple):
    module: str
    attr: str
    #: The first paragraph of the command's help: the line `secscan --help` shows for it.
    summary: str


#: Every subcommand: where it is defined and what `secscan --help` says of it (pip's
#: commands_dict does the same). A command's module is imported only when it runs, so
#: `secscan hook` never pays for the history database layer or renderers it does not use.
#: tests/cli/test_lazy.py holds each summary equal to the command's own help.
COMMANDS: dict[str, CommandInfo] = {
    "advisories": CommandInfo(
        "advisories",
        "advisories",
        "Local OSV advisory mirror for offline and air-gapped dependency scanning.",
    ),
    "attest": CommandInfo(
        "attest",
        "attest",
        "Sign a scan's results, decision and reports as an in-toto attestation (offline key).",
    ),
    "audit": CommandInfo(
        "audit",
        "audit",
        "Scan PATH and show every finding, by severity and by control, with file:line places.",
    ),
    "baseline": CommandInfo(
        "baseline",
        "baseline",
        "Record the current findings as known, so gates with `new_only` count only new ones.",
    ),
    "ci": CommandInfo(
        "ci",
        "ci",
        "Scan PATH for a CI job: write every report format, gate with the `ci` profile.",
    ),
    "compliance": CommandInfo(
        "compliance",
        "compliance_cmd",
        "Write the compliance evidence document for PATH (scanned now) or --from saved results.",
    ),
    "controls": CommandInfo(
        "controls",
        "controls",
        "List controls with the mapping rules and finding kinds that evidence them.",
    ),
    "doctor": CommandInfo(
        "doctor",
        "doctor",
        "Show each scanner, whether its tool was found, and its version; and the advisory "
        "sources a scan of PATH (default: the current directory) could use.",
    ),
    "explain": CommandInfo(
        "explain",
        "explain",
        "Explain ID: a rule (B602, python-sql-injection, AWS-0086, PYSEC-2023-62) or a finding "
        "fingerprint (or its first characters) from the last results: what it is, why it "
        "matters, the controls it maps to and why, and how to fix it.",
    ),
    "fix": CommandInfo(
        "fix",
        "fix",
        "Plan the upgrade of each vulnerable pinned dependency of PATH from the local mirror.",
    ),
    "fleet": CommandInfo(
        "fleet",
        "fleet",
        "Scan every repository of a fleet manifest, here or on a PostgreSQL job queue.",
    ),
    "gate": CommandInfo(
        "gate", "gate", "Re-judge saved results against the policy, without rescanning."
    ),
    "history": CommandInfo(
        "history",
        "history",
        "Every recorded scan: new, fixed and reopened findings, time to fix, deadlines.",
    ),
    "hook": CommandInfo(
        "hook",
        "hook",
        "Scan FILES (the staged files pre-commit passes) and block the commit on the gate.",
    ),
    "policy": CommandInfo(
        "policy",
        "policy",
        "Work with policy directories (frameworks, mapping rules, gate profiles).",
    ),
    "report": CommandInfo(
        "report", "report", "Render reports from a saved result, or merge saved results."
    ),
    "scan": CommandInfo(
        "scan", "scan", "Scan PATH (default: the current directory) and gate on what is found."
    ),
    "serve": CommandInfo(
        "serve",
        "serve",
        "Serve the organisation's dashboard: posture, trends, compliance, runs (read-only).",
    ),
    "tools": CommandInfo(
        "tools",
        "tools",
        "Pin the scanners' executables: a tools lock every scan can be held to.",
    ),
    "verify": CommandInfo(
        "attest",
        "verify",
        "Verify an attestation: signature, every covered file's digest, verdict, policy digest.",
    ),
    "waivers": CommandInfo(
        "waivers", "waivers", "Work with the waivers file (.secscan-waivers.yaml)."
    ),
}


class _Listed(click.Command):
    """A subcommand as `secscan --help` lists it, without importing its module."""

    def __init__(self, name: str) -> None:
        super().__init__(name, help=COMMANDS[name].summary)


class LazyGroup(click.Group):
    """Imports a subcommand's module when the command is looked up to run."""

    _LISTING = "secscan.listing"

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        if ctx.meta.get(self._LISTING):
            return _Listed(cmd_name)
        return load(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """`secscan --help` lists every command from COMMANDS, importing none of them."""
        ctx.meta[self._LISTING] = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            ctx.meta[self._LISTING] = False


def load(name: str) -> click.Command:
    """The subcommand `name`, its module imported now."""
    info = COMMANDS[name]
    command = getattr(importlib.import_module(f"secscan.cli.{info.module}"), info.attr)
    assert isinstance(command, click.Command)  # noqa: S101 - COMMANDS names commands only
    return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="secscan")
def cli() -> None:
    """secscan: run security scanners, judge findings against policy, write reports.

    Exit codes: 0 pass, 1 gate failed, 2 usage/config/policy error, 3 scanner error.
    """


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
