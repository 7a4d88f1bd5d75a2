"""Waivers from VEX: the `not_affected` statements of a CycloneDX VEX or OpenVEX document
become narrow waivers, one per finding of the scan a statement names (`secscan waivers
import-vex`). A statement without an owner and an expiry is refused, and so is the whole
import: nothing is written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from secscan.app.run import utcnow
from secscan.errors import PolicyError, UsageError
from secscan.model.decision import Decision
from secscan.model.findings import Finding
from secscan.model.results import RESULTS_FILE, SavedResults, load
from secscan.policy import vex
from secscan.policy.loader import default_catalog, load_policy, profile_or_error
from secscan.policy.waivers import WAIVERS_FILE, load_waivers, today_utc
from secscan.util import files as _files
from secscan.util.atomic import write_atomic

__all__ = ["RESULTS_FILE", "WAIVERS_FILE", "Added", "Vex", "add", "read"]


@dataclass(frozen=True)
class Vex:
    """A VEX document read against a scan: which statement names which finding."""

    file: Path
    doc: vex.Document
    saved: SavedResults
    pairs: tuple[tuple[vex.Statement, Finding], ...]

    @property
    def unused(self) -> tuple[vex.Statement, ...]:
        """Statements that name no finding of this scan (not imported)."""
        used = {st.where for st, _ in self.pairs}
        return tuple(st for st in self.doc.statements if st.where not in used)

    @property
    def used(self) -> int:
        return len({st.where for st, _ in self.pairs})


@dataclass(frozen=True)
class Added:
    target: Path
    count: int


def read(file: Path, results_file: Path | None) -> Vex:
    """The VEX FILE matched against the findings of --results (default ./RESULTS_FILE)."""
    doc = vex.parse(_read(file), str(file))
    saved = load(results_file or Path.cwd() / RESULTS_FILE)
    return Vex(file, doc, saved, tuple(vex.matched(doc.statements, saved.result.findings)))


def add(
    found: Vex,
    waivers_file: Path | None,
    owner: str | None,
    expires: date | None,
    profile: str | None,
) -> Added:
    """Append a waiver per matched finding (none already waived) to the waivers file."""
    today = today_utc(utcnow())
    target = waivers_file or Path.cwd() / WAIVERS_FILE
    entries: list[dict[str, Any]] = []
    ids = _existing_ids(target)
    for st, f in found.pairs:
        entry = _entry(found, st, f, owner, expires, today)
        if entry["id"] in ids:
            continue  # already waived by this import or the file
        ids.add(entry["id"])
        entries.append(entry)
    if entries:
        _write(target, entries, _max_days(found.saved.decision, profile), today)
    return Added(target, len(entries))


def _entry(
    found: Vex,
    st: vex.Statement,
    f: Finding,
    owner: str | None,
    until: date | None,
    today: date,
) -> dict[str, Any]:
    file = found.file
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
    single = sum(1 for s, _ in found.pairs if s is st) == 1
    return {
        "id": st.note.id if st.note and single else _id(f.rule_id, f.fingerprint),
        "fingerprint": f.fingerprint,
        "rule": f.rule_id,
        "scanner": f.scanner,
        "reason": st.reason,
        "owner": who,
        "created": today,
        "expires": last,
    }


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
