"""`secscan report`: render any format from saved results, or merge results of several jobs."""

from __future__ import annotations

from pathlib import Path

import click

from secscan.app.output import CI_FORMATS, FORMATS, load, render_saved, write_results
from secscan.app.reports import merge
from secscan.app.run import utcnow
from secscan.errors import UsageError

#: Without --format, a saved result is rendered to everything but itself.
DEFAULT_FORMATS = tuple(name for name in CI_FORMATS if name != "json")


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
    type=click.Choice(list(FORMATS)),
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
        saved = merge([load(f) for f in files])
        if output is not None:
            write_results(output, saved)
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
        saved = load(from_file)
        formats = formats or DEFAULT_FORMATS

    for target in render_saved(saved, formats, output_dir, utcnow()):
        click.echo(f"wrote {target}")
    return 0
