"""`secscan hook`: the pre-commit entry point; scans only the files pre-commit passes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from secscan.app.run import Run, Scope
from secscan.app.settings import Options, Registry, for_tree, registry, top_level
from secscan.app.values import WAIVERS_FILE, FindingKind
from secscan.cli.views import compact

#: Which scanners each hook runs, by the kind of finding they report. Image scanning needs an
#: image, which a commit does not have, so no hook runs it.
KINDS: dict[str, tuple[FindingKind, ...]] = {
    "code": (FindingKind.CODE, FindingKind.SECRET),
    "deps": (FindingKind.DEPENDENCY,),
    "iac": (FindingKind.IAC,),
    "secrets": (FindingKind.SECRET,),
}
PROFILE = "precommit"


def scanners_for(kind: str, configured: Sequence[str] | None, plugins: Registry) -> list[str]:
    """Registered scanners of the hook's kinds, less any the config leaves out."""
    wanted = KINDS[kind]
    names = [n for n, cls in plugins.scanners.classes.items() if cls.kind in wanted]
    if configured is not None:
        names = [n for n in names if n in configured]
    return names


@click.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--kind",
    type=click.Choice(sorted(KINDS)),
    default="code",
    show_default=True,
    help="Which scanners: code (the code and secret scanners), deps, iac or secrets.",
)
@click.option(
    "--profile",
    default=PROFILE,
    show_default=True,
    help="Gate profile that decides whether the commit is blocked.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file [default: .secscan.yaml or [tool.secscan] in pyproject.toml at the "
    "repository's top level].",
)
@click.option("--no-cache", is_flag=True, help="Do not use or fill the per-file result cache.")
def hook(
    files: tuple[Path, ...], kind: str, profile: str, config_file: Path | None, no_cache: bool
) -> int:
    """Scan FILES (the staged files pre-commit passes) and block the commit on the gate.

    The scan root is the git top level (else the current directory); nothing outside FILES
    is read, and a scanner none of FILES is for never starts. Exit 1 blocks the commit.
    """
    root = top_level(Path.cwd())
    plugins = registry()
    # A broken policy or waivers file is exit 2 before any scanner starts.
    settings = for_tree(root, Options(config_file, profile), plugins, warn=False)
    names = scanners_for(kind, settings.config.scanners, plugins)
    given = [str(f) for f in files]
    if not names or not given:
        click.echo(compact.nothing_to_check(given, names), nl=False)
        return 0
    run = Run(settings, Scope(tuple(names), files=tuple(given), use_cache=not no_cache))
    scanned = run.scan()
    if scanned.nothing_checked:
        click.echo(compact.nothing_to_check(given, names), nl=False)
        return 0
    outcome = run.finish(scanned)
    waivers = settings.inputs.waivers
    source = waivers.source if waivers and waivers.source else None
    click.echo(
        compact.render(
            outcome.saved.result,
            outcome.decision,
            files=len(given),
            waivers_file=_relative(source, root) if source else WAIVERS_FILE,
        ),
        nl=False,
    )
    return int(outcome.exit_code)


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return path
