"""Options several commands share, defined once so their names and help never drift apart."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from secscan.app.registry import installed
from secscan.errors import UsageError
from secscan.history.trends import Trends
from secscan.model.decision import Decision
from secscan.model.findings import FindingKind
from secscan.model.results import SavedResults
from secscan.policy import judge
from secscan.settings.config import Config
from secscan.util.atomic import write_atomic

F = TypeVar("F", bound=Callable[..., Any])

path_argument = click.argument(
    "path", type=click.Path(file_okay=False, path_type=Path), default="."
)
config_option = click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file [default: PATH/.secscan.yaml or [tool.secscan] in PATH/pyproject.toml].",
)
policy_option = click.option(
    "--policy",
    "policy_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Your policy directory, merged over the shipped library [default: config `policy`].",
)
waivers_option = click.option(
    "--waivers",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Waivers file [default: config `waivers`, else PATH/.secscan-waivers.yaml if present].",
)
baseline_option = click.option(
    "--baseline",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Baseline file (or an older secscan-results.json): findings in it are not new "
    "[default: config `baseline`].",
)
no_cache_option = click.option(
    "--no-cache", is_flag=True, help="Do not use or fill the result cache."
)
quiet_option = click.option("-q", "--quiet", is_flag=True, help="Print only the gate verdict.")


def output_dir_option(what: str) -> Callable[[F], F]:
    return click.option(
        "--output-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=f"Where {what} [default: config `output_dir`, else secscan-reports/ here].",
    )


def judging_options(f: F) -> F:
    """--config, --policy, --waivers, --baseline: what every judging command reads."""
    for option in (baseline_option, waivers_option, policy_option, config_option):
        f = option(f)
    return f


def tree_scanners() -> list[str]:
    """Every registered scanner that reads the tree: what "all scanners" runs over it. An
    image scanner reads only an image named on the command line, so a config that leaves it
    out drops nothing.
    """
    classes = installed().scanners.classes
    return [n for n, cls in classes.items() if cls.kind is not FindingKind.IMAGE]


def with_tree_warnings(
    decision: Decision,
    root: Path,
    config: Config,
    inputs: judge.Inputs,
    *,
    config_file: Path | None,
    policy_dir: Path | None,
    waivers: Path | None,
    baseline: Path | None,
) -> Decision:
    """No trusted base to compare with: the decision, warning of each tree setting that
    weakens the gate compared with secscan's defaults.
    """
    weakening = judge.tree_warnings(
        root,
        config,
        inputs,
        tree_scanners(),
        config_file=config_file,
        policy_dir=policy_dir,
        waivers=waivers,
        baseline=baseline,
    )
    if not weakening:
        return decision
    return replace(decision, warnings=(*weakening, *decision.warnings))


def report_dir(
    output_dir: Path | None,
    config: Config,
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
        fmt = installed().formats.scan[name]
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
