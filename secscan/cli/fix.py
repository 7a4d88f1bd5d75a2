"""`secscan fix`: print (or apply) the upgrade plan of the vulnerable pinned dependencies."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from secscan.app import fix as fixing
from secscan.app.fix import CAPS, Plan, Reachability
from secscan.app.output import write_atomic
from secscan.app.registry import installed
from secscan.errors import ExitCode


@click.command()
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path), default=".")
@click.option(
    "--advisory-db",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The local OSV mirror [default: config `advisories.db`]; never the network.",
)
@click.option(
    "--cap",
    type=click.Choice(CAPS),
    default="major",
    show_default=True,
    help="The largest upgrade step: stay on the patch line, the minor line, or any.",
)
@click.option(
    "--apply",
    "do_apply",
    is_flag=True,
    help="Edit the pins that can be edited losslessly (a git tree with nothing "
    "uncommitted), then re-scan to prove the advisories are gone.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON.")
@click.option(
    "--suggest-vex",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write OpenVEX `not_affected` suggestions for the packages the code does not "
    "import (review, then `secscan waivers import-vex`).",
)
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Config file [default: PATH/.secscan.yaml].")  # fmt: skip
def fix(
    path: Path, advisory_db: Path | None, cap: str, do_apply: bool, as_json: bool,
    suggest_vex: Path | None, config_path: Path | None,
) -> int:  # fmt: skip
    """Plan the upgrade of each vulnerable pinned dependency of PATH from the local mirror.

    For each package: the lowest version that clears every advisory the mirror holds on it,
    within the project's own bounds and the --cap; the command for the project's tool; what
    the plan leaves. Exit 0 when every planned package is cleared, 1 when something is left
    (or, with --apply, the re-scan still finds it), 2 without a local mirror.
    """
    root = path.resolve()
    config = installed().load_config(root, config_path)
    store = fixing.mirror(config, advisory_db)
    plans = fixing.plan(root, config, store, cap)  # type: ignore[arg-type]
    labels = fixing.reachability(root, config, plans)
    if suggest_vex is not None:
        doc = fixing.suggested_vex(plans, labels, store, datetime.now(UTC))
        write_atomic(suggest_vex, (json.dumps(doc, indent=2) + "\n").encode())
    applied = fixing.apply(root, config, plans, advisory_db) if do_apply else None
    if as_json:
        click.echo(json.dumps(_json(plans, labels, applied), indent=2, sort_keys=True))
    else:
        _print(plans, labels, applied)
    left = any(not p.clears_all for p in plans)
    if applied is not None:
        left = left or bool(applied.remaining) or bool(applied.failed)
    return int(ExitCode.GATE_FAILED if left else ExitCode.PASS)


def _print(
    plans: list[Plan], labels: dict[str, Reachability], applied: fixing.Applied | None
) -> None:
    if not plans:
        click.echo("no vulnerable pinned dependency: nothing to fix")
    for p in plans:
        _print_plan(p, labels.get(p.name))
    if applied is not None:
        _print_applied(applied)


def _print_plan(p: Plan, label: Reachability | None) -> None:
    to = p.target or "(no version)"
    click.echo(f"{p.name} {p.current} -> {to}  ({p.path}:{p.line})")
    cleared = [a for a in p.advisories if a not in p.remaining]
    if cleared:
        click.echo(f"  clears: {', '.join(cleared)}")
    if p.remaining:
        click.echo(f"  leaves: {', '.join(p.remaining)}")
    if p.command:
        click.echo(f"  run:    {p.command}")
    if p.note:
        click.echo(f"  note:   {p.note}")
    if label is not None:
        click.echo(f"  import: {label.label.value}: {label.reason}")


def _print_applied(applied: fixing.Applied) -> None:
    click.echo(f"applied: {', '.join(applied.files) or 'nothing (no lossless edit)'}")
    if applied.failed:
        click.echo(f"re-scan failed ({', '.join(applied.failed)}): nothing is proven", err=True)
    for name, ids in sorted(applied.remaining.items()):
        click.echo(f"re-scan still finds {name}: {', '.join(ids)}")
    if not applied.remaining and not applied.failed:
        click.echo(f"re-scan ({', '.join(applied.scanners)}): no finding left on those packages")


def _json(
    plans: list[Plan], labels: dict[str, Reachability], applied: fixing.Applied | None
) -> dict[str, object]:
    out: dict[str, object] = {
        "plans": [
            {
                "package": p.name,
                "current": p.current,
                "target": p.target,
                "path": p.path,
                "line": p.line,
                "advisories": list(p.advisories),
                "remaining": list(p.remaining),
                "command": p.command,
                "edit": None if p.edit is None else {"old": p.edit.old, "new": p.edit.new},
                "note": p.note,
                "reachability": (
                    {"label": labels[p.name].label.value, "reason": labels[p.name].reason}
                    if p.name in labels
                    else None
                ),
            }
            for p in plans
        ]
    }
    if applied is not None:
        out["applied"] = {
            "files": list(applied.files),
            "remaining": {k: list(v) for k, v in applied.remaining.items()},
            "rescanned_by": list(applied.scanners),
            "failed": list(applied.failed),
        }
    return out
