"""`secscan compliance`: the evidence document an auditor reads, per framework."""

from __future__ import annotations

from pathlib import Path

import click

from secscan import history
from secscan.app.registry import installed
from secscan.cli._options import report_dir, with_tree_warnings
from secscan.cli.report import read_results
from secscan.errors import UsageError
from secscan.model.results import SavedResults
from secscan.policy import judge
from secscan.report.formats import COMPLIANCE_FORMATS, render_compliance
from secscan.report.model import build
from secscan.scan import pipeline
from secscan.settings.config import Config
from secscan.util.atomic import write_atomic


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
    history_url: str | None,
) -> int:
    """Write the compliance evidence document for PATH (scanned now) or --from saved results.

    PATH defaults to the current directory when --from is not given.

    Exit code: 0 once written from --from; when scanning PATH, the scan's own exit code
    (1 gate failed, 3 scanner error), so an incomplete scan is never quietly documented.
    """
    if path is not None and from_file is not None:
        raise UsageError("give a PATH to scan or --from secscan-results.json, not both")
    if from_file is None and path is None:
        path = Path(".")
    now = pipeline.utcnow
    if from_file is not None:
        saved = read_results(from_file)
        code = 0
    else:
        assert path is not None  # noqa: S101 - checked above
        saved = _scan(path, config_file, profile, policy_dir, waivers, baseline, now)
        assert saved.decision is not None  # noqa: S101 - judge() always decides
        code = int(judge.exit_code(saved.decision))

    wanted = list(frameworks) or [fw.id for fw in build(saved, now()).frameworks]
    if not wanted:
        raise UsageError("these results were not judged against any framework")
    if output is not None and len(wanted) > 1:
        raise UsageError("-o/--output takes one --framework; use --output-dir for several")
    rendered_at = now()
    trends = None
    if history_url and fmt == "html":
        trends = history.trends_for(Path(saved.result.root), history_url, rendered_at)
    for framework in wanted:
        text = render_compliance(saved, rendered_at, framework=framework, fmt=fmt, trends=trends)
        if output is not None and str(output) == "-":
            click.echo(text, nl=False)
            continue
        target = output or report_dir(output_dir, Config()) / COMPLIANCE_FORMATS[fmt].target(
            framework
        )
        write_atomic(target, text)
        click.echo(f"wrote {target}")
    return code


def _scan(
    path: Path,
    config_file: Path | None,
    profile: str | None,
    policy_dir: Path | None,
    waivers: Path | None,
    baseline: Path | None,
    now: pipeline.Clock,
) -> SavedResults:
    config = installed().load_config(path, config_file)
    inputs = judge.resolve(
        path.resolve(),
        config,
        profile=profile,
        policy_dir=policy_dir,
        waivers=waivers,
        baseline=baseline,
        catalog=judge.default_catalog(),
    )
    result = pipeline.scan(path, config, clock=now)
    result, decision = judge.judge(result, inputs, now())
    decision = with_tree_warnings(
        decision,
        path,
        config,
        inputs,
        config_file=config_file,
        policy_dir=policy_dir,
        waivers=waivers,
        baseline=baseline,
    )
    return SavedResults(result, decision)
