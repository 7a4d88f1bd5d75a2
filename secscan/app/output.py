"""Writing reports: the last step of a Run, `report`'s re-rendering of saved results and
`ci`'s step summary. The folder is never a link, never inside .git, and never where the
scanned tree alone asks; the renderers themselves are pure (report/) and are imported only
when their format is written, so a command that writes nothing (the hook) never loads them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from secscan.app.registry import installed
from secscan.errors import UsageError
from secscan.history.trends import Trends
from secscan.model.results import SavedResults, dumps, load
from secscan.settings.config import Config
from secscan.util.atomic import write_atomic

__all__ = [
    "ALL_FORMATS",
    "CI_FORMATS",
    "FORMATS",
    "load",
    "markdown",
    "render_saved",
    "report_dir",
    "write_atomic",
    "write_reports",
    "write_results",
]


#: The formats of this process's registry (built-ins and `secscan.formats` plugins).
FORMATS = installed().formats.scan
#: Every scan format's name: `--format` choices.
ALL_FORMATS: tuple[str, ...] = tuple(FORMATS)
#: What `secscan ci` writes.
CI_FORMATS = installed().formats.ci


def render_saved(
    saved: SavedResults, formats: Iterable[str], output_dir: Path | None, when: datetime
) -> list[str]:
    """Saved results rendered again (`secscan report`): to --output-dir, else
    ./secscan-reports; no config is read."""
    return write_reports(saved, report_dir(output_dir, Config()), dict.fromkeys(formats), when)


def write_results(path: Path, saved: SavedResults) -> None:
    """The results file alone (`report --merge -o`)."""
    write_atomic(path, dumps(saved.result, saved.decision))


def markdown(saved: SavedResults, when: datetime, trends: Trends | None = None) -> str | None:
    """The Markdown report (`ci`'s step summary); None when no such format is registered."""
    if "markdown" not in FORMATS:
        return None
    return FORMATS["markdown"].render(saved, when, trends=trends)


def report_dir(
    output_dir: Path | None,
    config: Config | None = None,
    root: Path | None = None,
    *,
    configured: Path | None = None,
    from_tree: bool | None = None,
) -> Path:
    """Where reports go: --output-dir, else the config's `output_dir`, else ./secscan-reports.

    Never through a symbolic link (a committed `secscan-reports` link would send reports and
    the CI artifact upload wherever it points). An `output_dir` from a config file inside the
    scanned tree must stay inside the current directory or the scan root: the tree does not
    get to choose where secscan writes. `configured` is that setting already resolved;
    `from_tree` says whether it came from the tree (default: the config file is under `root`).
    """
    if output_dir is not None:
        return _not_a_link(output_dir)
    config = config or Config()
    from_config = configured or config.resolve(config.output_dir)
    if from_config is None:
        return _not_a_link(Path.cwd() / "secscan-reports")
    source = Path(config.source).resolve() if config.source else None
    if from_tree is None:
        from_tree = root is not None and (source is None or source.is_relative_to(root.resolve()))
    if from_tree and root is not None:
        where = from_config.resolve()
        if not any(where.is_relative_to(p) for p in (Path.cwd().resolve(), root.resolve())):
            raise UsageError(
                f"output_dir {config.output_dir!r} from {config.source or 'the config'} "
                f"resolves to {where}, outside the current directory and the scan root: the "
                "scanned tree does not choose where secscan writes (pass --output-dir)"
            )
    return _not_a_link(from_config)


def _not_a_link(folder: Path) -> Path:
    p = folder if folder.is_absolute() else Path.cwd() / folder
    if ".git" in p.parts:
        raise UsageError(
            f"the output directory {folder} is inside a .git directory: secscan does not "
            "write into git's own files"
        )
    for part in (p, *p.parents):
        if part.is_symlink() and (part == p or part.is_relative_to(Path.cwd())):
            raise UsageError(
                f"the output directory {folder} is (or is inside) a symbolic link ({part}); "
                "secscan does not write through links: remove it or pass --output-dir"
            )
    return p


def write_reports(
    saved: SavedResults,
    folder: Path,
    names: Iterable[str],
    now: datetime,
    trends: Trends | None = None,
) -> list[str]:
    """Render and write each named format; returns the paths written."""
    written = []
    for name in names:
        fmt = FORMATS[name]
        outputs = fmt.outputs(saved, now, trends)
        for filename, text in outputs.items():
            target = folder / filename
            write_atomic(target, text)
            written.append(str(target))
        # A file this format wrote on an earlier run but not now (a DefectDojo file of a
        # scanner that failed this time, an OpenVEX document with nothing to state) would be
        # uploaded again as if current: it goes.
        for stale in sorted(folder.glob(fmt.pattern)):
            if stale.name not in outputs and (stale.is_file() or stale.is_symlink()):
                stale.unlink()
    return written
