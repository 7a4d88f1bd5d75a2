"""secscan-results.json: the saved scan and decision that report, gate and merge read back."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from secscan.errors import ConfigError, ReportError
from secscan.model.decision import Decision
from secscan.model.findings import Finding, ScanResult
from secscan.model.redact import names_of
from secscan.model.risk import risk_score
from secscan.util import files as _files
from secscan.util import jsonio as _json
from secscan.util.text import json_visible

SCHEMA = "secscan-results"
SCHEMA_VERSION = 1
RESULTS_FILE = "secscan-results.json"
#: The signed evidence `secscan attest` writes beside the results (the compliance documents
#: name it; secscan/app/attest.py).
ATTESTATION_FILE = "secscan-attestation.intoto.json"
#: The attestation's in-toto predicate type.
PREDICATE_TYPE = "https://secscan.dev/attestation/scan/v1"

_RESULT = TypeAdapter(ScanResult)
_DECISION = TypeAdapter(Decision)
_FINDING = TypeAdapter(Finding)


@dataclass(frozen=True, slots=True)
class SavedResults:
    result: ScanResult
    decision: Decision | None = None


def to_dict(result: ScanResult, decision: Decision | None = None) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "result": _compact(_RESULT.dump_python(result, mode="json")),
        "decision": _DECISION.dump_python(decision, mode="json") if decision else None,
    }


def dumps(result: ScanResult, decision: Decision | None = None) -> str:
    # Names are text too: a token in a file name, branch or URL is masked in any result
    # written (the pipeline's are already; a merged or older result may not be).
    data = to_dict(names_of(result), decision)
    try:
        text = _json.dumps_indented(data, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except ValueError:  # a tool's NaN score: written as null (rare, so the copy is made only then)
        text = _json.dumps_indented(
            _finite(data), sort_keys=True, ensure_ascii=False, allow_nan=False
        )
    return json_visible(text) + "\n"


def digest(saved: SavedResults) -> str:
    """SHA-256 of the results file these results are written as (what an attestation's
    subject names)."""
    return hashlib.sha256(dumps(saved.result, saved.decision).encode("utf-8")).hexdigest()


def load(path: Path) -> SavedResults:
    """A results file named on the command line: a regular file, no link, bounded."""
    try:
        text = _files.read_text(path, limit=_files.MAX_DATA_BYTES)
    except ConfigError as e:
        raise ConfigError(f"cannot read results file: {e.message}", path=str(path)) from e
    return loads(text, str(path))


def loads(text: str, source: str = "<results>") -> SavedResults:
    """Parse a results file; anything malformed or hostile is a ReportError, never a crash."""
    try:
        data = _json.loads(text)
    except ValueError as e:
        raise ReportError(f"{source}: not JSON secscan reads: {e}") from e
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise ReportError(f'{source}: not a secscan results file (no "schema": "{SCHEMA}")')
    version = data.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise ReportError(
            f"{source}: results schema version {version!r} is not one this secscan reads "
            f"(up to {SCHEMA_VERSION})"
        )
    try:
        result = _RESULT.validate_python(data["result"])
        raw = data.get("decision")
        decision = _DECISION.validate_python(raw) if raw else None
    except (ValidationError, KeyError, TypeError, ValueError, RecursionError) as e:
        raise ReportError(f"{source}: invalid results file: {e}") from e
    return SavedResults(names_of(result), decision)


def _compact(result: dict[str, Any]) -> dict[str, Any]:
    """Fields added after schema version 1 shipped are left out at their default (a file from
    before them re-dumps byte for byte, and a finding carries no `cell: null`)."""
    for key in ("fates", "changed"):
        if result.get(key) is None:
            result.pop(key, None)
    for e in result.get("excluded") or ():
        if e.get("authority") is None:
            e.pop("authority", None)
    runs = result.get("runs") or ()
    for n in [*(result.get("not_analyzed") or ()), *(n for r in runs for n in r["not_analyzed"])]:
        if not n.get("uncovered"):
            n.pop("uncovered", None)
    for r in runs:
        _compact_run(r)
    return result


def _compact_run(run: dict[str, Any]) -> None:
    """A scanner run's findings and components without their unset later fields."""
    for f in run["findings"]:
        _compact_finding(f)
    if run.get("tool") is None:
        run.pop("tool", None)
    if not run.get("lock_mismatch"):
        run.pop("lock_mismatch", None)
    for p in run.get("components") or ():
        if p.get("license") is None:
            p.pop("license", None)


def _compact_finding(f: dict[str, Any]) -> None:
    """One finding's later fields: no `cell`, licence, exploit data or flow when unset."""
    if f["location"].get("cell") is None:
        f["location"].pop("cell", None)
    if f.get("package") and f["package"].get("license") is None:
        f["package"].pop("license", None)
    _exploit_fields(f)
    if not f.get("flow"):
        f.pop("flow", None)


def _exploit_fields(f: dict[str, Any]) -> None:
    """EPSS and KEV only when known, then the risk score derived from them (docs/risk.md):
    written for readers of the file, recomputed (never read back) when it is loaded."""
    for key in ("epss", "kev", "reachability"):
        if f.get(key, 0) is None:
            f.pop(key)
    if "epss" in f or "kev" in f:
        f["risk_score"] = risk_score(_FINDING.validate_python(f))


def _finite(value: Any) -> Any:
    """A float that is not finite (a tool's NaN score) is written as null: JSON has no NaN."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
