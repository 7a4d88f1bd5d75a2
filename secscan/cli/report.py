"""`secscan report`: render any format from saved results, or merge results of several jobs."""

from __future__ import annotations

from pathlib import Path

import click

from secscan.app.merge import merge
from secscan.app.registry import installed
from secscan.cli._options import report_dir, write_reports
from secscan.errors import UsageError
from secscan.model.results import SavedResults, dumps, load
from secscan.report.formats import CI_FORMATS
from secscan.scan import pipeline
from secscan.settings.config import Config
from secscan.util.atomic import write_atomic

#: Without --format, a saved result is rendered to everything but itself.
DEFAULT_FORMATS = tuple(name for name in CI_FORMATS if name != "json")


def read_results(path: Path) -> SavedResults:
    return load(path)


@click.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--from",
    "from_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A saved secscan-results.json to render.",
)
@click.option(
    "--merge",
    "do_merge",
    is_flag=True,
    help="Merge the results FILES (sharded jobs, monorepo parts) into one.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --merge: where the merged results JSON goes.",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(list(installed().formats.scan)),
    help="Format to render (repeatable) [default: every format but json; none when merging].",
)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where reports go [default: secscan-reports/ in the current directory].",
)
def report(
    files: tuple[Path, ...],
    from_file: Path | None,
    do_merge: bool,
    output: Path | None,
    formats: tuple[str, ...],
    output_dir: Path | None,
) -> int:
    """Render reports from a saved result, or merge saved results.

    \b
      secscan report --from secscan-results.json --format html --format sarif
      secscan report --merge shard-1.json shard-2.json -o merged.json
    """
    if do_merge:
        if from_file is not None:
            raise UsageError("give --from or --merge FILES, not both")
        if not files:
            raise UsageError("--merge needs the results files to merge")
        if output is None and not formats:
            raise UsageError("--merge needs -o/--output for the merged results (or --format)")
        saved = merge([read_results(f) for f in files])
        if output is not None:
            write_atomic(output, dumps(saved.result, saved.decision))
            click.echo(
                f"merged {len(files)} result(s) into {output}: "
                f"{len(saved.result.findings)} finding(s), {len(saved.result.runs)} run(s)"
            )
    else:
        if files:
            raise UsageError("results FILES are only read with --merge; use --from FILE")
        if output is not None:
            raise UsageError("-o/--output is for --merge; use --output-dir for reports")
        if from_file is None:
            raise UsageError("give --from secscan-results.json (or --merge FILES)")
        saved = read_results(from_file)
        formats = formats or DEFAULT_FORMATS

    out = report_dir(output_dir, Config())
    rendered_at = pipeline.utcnow()
    for target in write_reports(saved, out, dict.fromkeys(formats), rendered_at):
        click.echo(f"wrote {target}")
    return 0
