"""`secscan compliance`: the evidence document an auditor reads, per framework."""

from __future__ import annotations

from pathlib import Path

import click

from secscan.app.output import load, report_dir, write_atomic
from secscan.app.reports import COMPLIANCE_FORMATS, compliance_documents, compliance_frameworks
from secscan.app.run import Run, exit_code, utcnow
from secscan.app.settings import Options, for_tree, registry
from secscan.app.values import SavedResults
from secscan.cli._options import tools_lock_option
from secscan.errors import UsageError


@click.command(name="compliance")
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--from",
    "from_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A saved secscan-results.json instead of scanning PATH.",
)
@click.option(
    "--framework",
    "frameworks",
    multiple=True,
    metavar="ID",
    help="Framework id, e.g. iso27001-2022 or gdpr (repeatable) [default: every "
    "framework the results were judged against].",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(COMPLIANCE_FORMATS)),
    default="html",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (one framework only); '-' prints to standard output.",
)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where documents go [default: secscan-reports/ in the current directory].",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file when scanning PATH.",
)
@click.option("--profile", default=None, help="Gate profile when scanning PATH.")
@click.option(
    "--policy",
    "policy_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Your policy directory when scanning PATH.",
)
@click.option(
    "--waivers",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Waivers file when scanning PATH.",
)
@click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Baseline when scanning PATH.",
)
@tools_lock_option
@click.option(
    "--history",
    "history_url",
    metavar="URL",
    envvar="SECSCAN_HISTORY",
    default=None,
    help="History database: the HTML document gains the branch's trends.",
)
def compliance_cmd(
    path: Path | None,
    from_file: Path | None,
    frameworks: tuple[str, ...],
    fmt: str,
    output: Path | None,
    output_dir: Path | None,
    config_file: Path | None,
    profile: str | None,
    policy_dir: Path | None,
    waivers: Path | None,
    baseline: Path | None,
    tools_lock: Path | None,
    history_url: str | None,
) -> int:
    """Write the compliance evidence document for PATH (scanned now) or --from saved results.

    PATH defaults to the current directory when --from is not given.

    Exit code: 0 once written from --from; when scanning PATH, the scan's own exit code
    (1 gate failed, 3 scanner error), so an incomplete scan is never quietly documented.
    """
    if path is not None and from_file is not None:
        raise UsageError("give a PATH to scan or --from secscan-results.json, not both")
    code = 0
    if from_file is not None:
        saved = load(from_file)
    else:
        options = Options(
            config_file, profile, policy_dir, waivers, baseline, tools_lock=tools_lock
        )
        saved = _scan(path or Path("."), options)
        assert saved.decision is not None  # noqa: S101 - a run always judges
        code = int(exit_code(saved.decision))
    wanted = compliance_frameworks(saved, utcnow(), frameworks)
    if output is not None and len(wanted) > 1:
        raise UsageError("-o/--output takes one --framework; use --output-dir for several")
    for name, text in compliance_documents(saved, utcnow(), wanted, fmt, history_url):
        if output is not None and str(output) == "-":
            click.echo(text, nl=False)
            continue
        target = output or report_dir(output_dir) / name
        write_atomic(target, text)
        click.echo(f"wrote {target}")
    return code


def _scan(path: Path, options: Options) -> SavedResults:
    """PATH scanned and judged now, with the tree's settings (warned of where they weaken)."""
    run = Run(for_tree(path, options, registry()))
    return run.judge(run.scan())
