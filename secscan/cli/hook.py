"""`secscan hook`: the pre-commit entry point; scans only the files pre-commit passes."""

from __future__ import annotations

from pathlib import Path

import click

from secscan.app.registry import installed
from secscan.cli.views import compact
from secscan.model.findings import FindingKind, RunStatus
from secscan.policy import judge
from secscan.policy.waivers import WAIVERS_FILE
from secscan.scan import pipeline
from secscan.settings.config import Config
from secscan.workspace import vcs

#: Which scanners each hook runs, by the kind of finding they report. Image scanning needs an
#: image, which a commit does not have, so no hook runs it.
KINDS: dict[str, tuple[FindingKind, ...]] = {
    "code": (FindingKind.CODE, FindingKind.SECRET),
    "deps": (FindingKind.DEPENDENCY,),
    "iac": (FindingKind.IAC,),
    "secrets": (FindingKind.SECRET,),
}
PROFILE = "precommit"


def scanners_for(kind: str, config: Config) -> list[str]:
    """Registered scanners of the hook's kinds, less any the config leaves out."""
    wanted = KINDS[kind]
    classes = installed().scanners.classes
    names = [n for n, cls in classes.items() if cls.kind in wanted]
    if config.scanners is not None:
        names = [n for n in names if n in config.scanners]
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
    root = vcs.toplevel(Path.cwd()) or Path.cwd().resolve()
    config = installed().load_config(root, config_file)
    # A broken policy or waivers file is exit 2 before any scanner starts.
    inputs = judge.resolve(root, config, profile=profile, catalog=judge.default_catalog())
    names = scanners_for(kind, config)
    given = [str(f) for f in files]
    if not names or not given:
        click.echo(compact.nothing_to_check(given, names), nl=False)
        return 0
    now = pipeline.utcnow
    result = pipeline.scan(
        root, config, scanner_names=names, files=given, clock=now, use_cache=not no_cache
    )
    if all(r.status is RunStatus.SKIPPED for r in result.runs) and not result.not_analyzed:
        click.echo(compact.nothing_to_check(given, names), nl=False)
        return 0
    result, decision = judge.judge(result, inputs, now())
    waivers = inputs.waivers.source if inputs.waivers and inputs.waivers.source else None
    click.echo(
        compact.render(
            result,
            decision,
            files=len(given),
            waivers_file=_relative(waivers, root) if waivers else WAIVERS_FILE,
        ),
        nl=False,
    )
    return int(judge.exit_code(decision))


def _relative(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root).as_posix()
    except ValueError:
        return path
