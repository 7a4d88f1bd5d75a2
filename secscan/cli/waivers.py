"""`secscan waivers import-vex FILE`: VEX `not_affected` statements become narrow waivers."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Any

import click
import yaml

from secscan.cli.report import read_results
from secscan.errors import PolicyError, UsageError
from secscan.model.decision import Decision
from secscan.model.results import RESULTS_FILE
from secscan.policy import vex
from secscan.policy.loader import default_catalog, load_policy, profile_or_error
from secscan.policy.waivers import WAIVERS_FILE, load_waivers, today_utc
from secscan.scan import pipeline
from secscan.util import files as _files
from secscan.util.atomic import write_atomic


@click.group()
def waivers() -> None:
    """Work with the waivers file (.secscan-waivers.yaml)."""


@waivers.command("import-vex")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--results",
    "results_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help=f"The scan whose findings the statements waive [default: ./{RESULTS_FILE}].",
)
@click.option(
    "--waivers",
    "waivers_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Waivers file to add to [default: ./{WAIVERS_FILE}].",
)
@click.option(
    "--owner", default=None, help="Who accepts the risk (needed unless the VEX names one)."
)
@click.option(
    "--expires",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Last day the waivers apply, YYYY-MM-DD (needed unless the VEX names one).",
)
@click.option(
    "--profile",
    default=None,
    help="Gate profile whose max_waiver_days bounds the waivers [default: the one the "
    "results were judged with, else ci].",
)
def import_vex(
    file: Path,
    results_file: Path | None,
    waivers_file: Path | None,
    owner: str | None,
    expires: Any,
    profile: str | None,
) -> int:
    """Turn the `not_affected` statements of a CycloneDX VEX or OpenVEX FILE into waivers.

    Each statement becomes one waiver per finding of the scan it names (vulnerability id and
    package URL both match): narrow by fingerprint and rule. A statement without an owner and
    an expiry (secscan's own export carries both; --owner and --expires supply them) is refused,
    and so is the whole import: nothing is written.
    """
    doc = vex.parse(_read(file), str(file))
    saved = read_results(results_file or Path.cwd() / RESULTS_FILE)
    today = today_utc(pipeline.utcnow())
    until: date | None = expires.date() if expires is not None else None
    target = waivers_file or Path.cwd() / WAIVERS_FILE
    pairs = vex.matched(doc.statements, saved.result.findings)
    used = {st.where for st, _ in pairs}
    for st in doc.statements:
        if st.where not in used:
            click.echo(
                f"not imported: {file}: {st.where} ({', '.join(st.names)}) names no finding "
                "of this scan",
                err=True,
            )
    entries: list[dict[str, Any]] = []
    ids: set[str] = set()
    existing = _existing_ids(target)
    for st, f in pairs:
        who = owner or (st.note.owner if st.note else None)
        last = until or (st.note.expires if st.note else None)
        if not who or last is None:
            raise UsageError(
                f"{file}: {st.where} ({', '.join(st.names)}): a waiver needs an owner and an "
                "expiry; give --owner and --expires (nothing was written)"
            )
        if last <= today:
            raise UsageError(
                f"{file}: {st.where}: expiry {last.isoformat()} is not after today "
                f"({today.isoformat()}); nothing was written"
            )
        if not st.reason.strip():
            raise UsageError(f"{file}: {st.where}: the statement gives no justification or impact")
        # secscan's own export names the waiver: keep its id when it covers one finding here.
        single = sum(1 for s, _ in pairs if s is st) == 1
        wid = st.note.id if st.note and single else _id(f.rule_id, f.fingerprint)
        if wid in ids or wid in existing:
            continue  # already waived by this import or the file
        ids.add(wid)
        entries.append(
            {
                "id": wid,
                "fingerprint": f.fingerprint,
                "rule": f.rule_id,
                "scanner": f.scanner,
                "reason": st.reason,
                "owner": who,
                "created": today,
                "expires": last,
            }
        )
    if not entries:
        click.echo(
            f"no waiver to add ({doc.format}: {len(doc.statements)} not_affected statement(s))"
        )
        return 0
    _write(target, entries, _max_days(saved.decision, profile), today)
    click.echo(
        f"added {len(entries)} waiver(s) to {target} from {len(used)} {doc.format} statement(s)"
        + (f"; {doc.other} statement(s) of another status are not waivers" if doc.other else "")
    )
    return 0


def _id(rule: str, fingerprint: str) -> str:
    return f"vex-{re.sub(r'[^A-Za-z0-9._-]', '-', rule)}-{fingerprint[:8]}"


def _read(path: Path) -> str:
    return _files.read_text(path, limit=_files.MAX_DATA_BYTES)


def _existing_ids(path: Path) -> set[str]:
    if not os.path.lexists(path) or not _files.read_text(path).strip():
        return set()
    return {lw.id for lw in load_waivers(path).waivers}


def _max_days(decision: Decision | None, profile: str | None) -> int:
    """The profile's waiver lifetime limit: an import the gate would refuse is refused now."""
    policy_dir = Path(decision.policy_dir) if decision and decision.policy_dir else None
    policy = load_policy(policy_dir, catalog=default_catalog())
    name = profile or (decision.profile if decision else None) or "ci"
    return profile_or_error(policy, name).gate.max_waiver_days


def _write(path: Path, entries: list[dict[str, Any]], max_days: int, today: date) -> None:
    """Append to the file as text (its comments stay), then check the result loads."""
    old = _files.read_text(path) if os.path.lexists(path) else ""
    if not old.strip():
        old = "version: 1\nwaivers:\n"
    indent = ""
    m = re.search(r"^waivers:[ \t]*\n(?:[ \t]*#.*\n|[ \t]*\n)*([ \t]*)- ", old, re.MULTILINE)
    if m:
        indent = m.group(1)
    elif re.search(r"^waivers:[ \t]*\[\s*\][ \t]*$", old, re.MULTILINE):
        old = re.sub(r"^waivers:[ \t]*\[\s*\][ \t]*$", "waivers:", old, flags=re.MULTILINE)
    block = yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, width=1000)
    block = "".join(indent + line if line.strip() else line for line in block.splitlines(True))
    text = old if old.endswith("\n") else old + "\n"
    text += block
    tmp = path.with_name(f".{path.name}.import-vex.tmp")
    write_atomic(tmp, text)
    try:
        loaded = load_waivers(tmp)
        loaded.check(max_days, today)
    except PolicyError as e:
        raise UsageError(
            f"{path}: the imported waivers are refused ({e.diagnostics()}); nothing was written"
        ) from e
    finally:
        tmp.unlink(missing_ok=True)
    if not {e["id"] for e in entries} <= {lw.id for lw in loaded.waivers}:
        raise UsageError(f"{path}: the appended waivers did not load back; nothing was written")
    write_atomic(path, text)
