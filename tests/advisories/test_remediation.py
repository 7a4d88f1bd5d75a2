"""`secscan fix`'s plan: the minimal version clearing every advisory, checked against an
independent computation (json + packaging over the same OSV records), caps, bounds, edits."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from packaging.version import InvalidVersion, Version

from secscan.advisories.remediation import Edit, apply, best_version, plan
from secscan.advisories.store import AdvisoryStore
from secscan.dependencies.sources import collect

DATA = Path(__file__).resolve().parents[1] / "data" / "osv"
PYPI = DATA / "PyPI"
PINS = {"django": "3.2.0", "requests": "2.19.0", "aiohttp": "3.8.0", "pillow": "8.0.0",
        "urllib3": "1.26.4", "jinja2": "2.10"}  # fmt: skip


# --- the independent computation --------------------------------------------------------


def _records(name: str) -> list[dict[str, Any]]:
    out = []
    for path in sorted(PYPI.glob("*.json")):
        rec = json.loads(path.read_text(encoding="utf-8"))
        if "withdrawn" in rec:
            continue
        if any(a["package"]["name"].lower() == name for a in rec.get("affected", [])):
            out.append(rec)
    return out


def _v(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _affects(rec: dict[str, Any], name: str, version: Version) -> bool:
    """OSV's rule read off the spec: a listed version, or inside an ECOSYSTEM range whose
    events, in version order, last said `introduced` (or `last_affected` at or above it)."""
    for a in rec["affected"]:
        if a["package"]["name"].lower() != name:
            continue
        if any(_v(x) == version for x in a.get("versions", [])):
            return True
        for r in a.get("ranges", []):
            if r["type"] != "ECOSYSTEM":
                continue
            inside = False
            for ev in sorted(r["events"], key=lambda e: _v(next(iter(e.values()))) or Version("0")):
                kind, at = next(iter(ev.items()))
                bound = Version("0") if at == "0" else _v(at)
                if bound is None:
                    continue
                if kind == "introduced" and version >= bound:
                    inside = True
                elif kind == "fixed" and version >= bound:
                    inside = False
                elif kind == "last_affected" and version > bound:
                    inside = False
            if inside:
                return True
    return False


def independent_minimum(name: str, current: str) -> str | None:
    """The lowest `fixed` version above `current` that no record affects."""
    recs = _records(name)
    now = Version(current)
    fixed = sorted(
        {
            v
            for rec in recs
            for a in rec["affected"]
            if a["package"]["name"].lower() == name
            for r in a.get("ranges", [])
            if r["type"] == "ECOSYSTEM"
            for ev in r["events"]
            if "fixed" in ev and (v := _v(ev["fixed"])) is not None and v > now
        }
    )
    for v in fixed:
        if not any(_affects(rec, name, v) for rec in recs):
            return str(v)
    return None


@pytest.fixture(scope="module")
def store() -> AdvisoryStore:
    return AdvisoryStore.open(DATA, use_index=False)


@pytest.mark.parametrize(("name", "current"), sorted(PINS.items()))
def test_target_is_the_independent_minimum(store: AdvisoryStore, name: str, current: str) -> None:
    expected = independent_minimum(name, current)
    target, left = best_version(store, name, current)
    assert expected is not None and target == expected and left == ()
    # and the versions in between are each affected by some record (minimality)
    for rec in _records(name):
        assert not _affects(rec, name, Version(target))


def test_caps_and_partial_plans(store: AdvisoryStore) -> None:
    # aiohttp 3.8.0: the 3.8 line ends at 3.8.6 in the records, which still has four
    # advisories; the minor line (3.x) clears everything at 3.9.2
    target, left = best_version(store, "aiohttp", "3.8.0", "patch")
    assert target == "3.8.6" and set(left) == {
        "PYSEC-2023-250", "PYSEC-2023-251", "PYSEC-2024-24", "PYSEC-2024-26"
    }  # fmt: skip
    assert best_version(store, "aiohttp", "3.8.0", "minor") == ("3.9.2", ())
    # requests 2.19.0 on the patch line: 2.19.1 clears nothing, so there is no plan
    assert best_version(store, "requests", "2.19.0", "patch") == (None, ())


def _project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "proj"
    root.mkdir(parents=True)
    for rel, text in files.items():
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _plans(root: Path, store: AdvisoryStore, cap: str = "major") -> dict[str, Any]:
    files = [p.name for p in root.iterdir() if p.is_file()]
    found = collect(root, files, 10_000_000)
    return {p.name: p for p in plan(root, found.declared, store, cap)}  # type: ignore[arg-type]


def test_plan_respects_the_projects_own_bounds(tmp_path: Path, store: AdvisoryStore) -> None:
    # pyproject allows django below 4.1 only; the lock pins 3.2.0
    root = _project(
        tmp_path,
        {
            "requirements.txt": "Django==3.2.0 ; python_version >= '3.8'  # pinned\n",
            "pyproject.toml": '[project]\nname = "x"\nversion = "1"\n'
            'dependencies = ["django>=3.2,<3.3"]\n',
        },
    )
    p = _plans(root, store)["Django"]
    assert p.target == "3.2.25"
    assert p.edit == Edit("requirements.txt", 1, "==3.2.0", "==3.2.25")
    assert p.command == "edit requirements.txt:1: Django==3.2.25"


def test_tools_and_what_is_not_edited(tmp_path: Path, store: AdvisoryStore) -> None:
    root = _project(
        tmp_path,
        {
            "requirements.in": "requests\n",
            "requirements.txt": "requests==2.19.0\n",
        },
    )
    p = _plans(root, store)["requests"]
    assert p.command == "pip-compile --upgrade-package requests==2.31.0 requirements.in"
    assert p.edit is None and "compiled from its .in file" in p.note
    hashed = _project(
        tmp_path / "h",
        {"requirements.txt": "requests==2.19.0 \\\n    --hash=sha256:" + "a" * 64 + "\n"},
    )
    p = _plans(hashed, store)["requests"]
    assert p.edit is None and "pins hashes" in p.note


def test_apply_edits_only_the_pin(tmp_path: Path, store: AdvisoryStore) -> None:
    text = "# app\nDjango==3.2.0  # keep ==3.2.0 in this comment\r\nrequests[socks]==2.19.0\n"
    root = _project(tmp_path, {"requirements.txt": text})
    plans = _plans(root, store)
    # the comment holds the version too: not one plain pin, so no edit for django
    assert plans["Django"].edit is None
    edit = plans["requests"].edit
    assert edit is not None
    assert apply(root, [edit]) == ["requirements.txt"]
    after = (root / "requirements.txt").read_bytes().decode()
    assert after == text.replace("requests[socks]==2.19.0", "requests[socks]==2.31.0")
    with pytest.raises(ValueError, match="changed since the plan"):
        apply(root, [edit])


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)  # noqa: S603,S607


@pytest.mark.integration
def test_fix_apply_then_rescan_is_clean(tmp_path: Path, run_cli: Any) -> None:
    """The acceptance run: several vulnerable pins, `secscan fix --apply` on a clean git
    tree, real pip-audit re-scanning against the same mirror."""
    root = _project(
        tmp_path,
        {"requirements.txt": "django==3.2.0\nrequests==2.19.0\naiohttp==3.8.0  # web\n"},
    )
    _git(root, "init", "-q")
    _git(root, "add", "-A")
    _git(root, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-qm", "x")
    res = run_cli("fix", str(root), "--advisory-db", str(DATA), "--json")
    assert res.code == 0, res.out + res.err
    planned = {p["package"]: p["target"] for p in json.loads(res.out)["plans"]}
    pins = {"django": "3.2.0", "requests": "2.19.0", "aiohttp": "3.8.0"}
    assert planned == {n: independent_minimum(n, v) for n, v in pins.items()}
    (root / "untracked.txt").write_text("x")  # untracked files do not make the tree dirty
    res = run_cli("fix", str(root), "--advisory-db", str(DATA), "--apply")
    assert res.code == 0, res.out + res.err
    assert "re-scan (pip-audit, osv): no finding left on those packages" in res.out
    text = (root / "requirements.txt").read_text()
    assert text == (
        f"django=={planned['django']}\nrequests=={planned['requests']}\n"
        f"aiohttp=={planned['aiohttp']}  # web\n"
    )
    out = str(tmp_path / "out")
    scanned = run_cli("scan", str(root), "--scanner", "pip-audit", "--advisory-db", str(DATA),
                      "--output-dir", out, "--format", "json", "--no-cache")  # fmt: skip
    data = json.loads((tmp_path / "out" / "secscan-results.json").read_text())
    assert scanned.code == 0 and not [f for r in data["result"]["runs"] for f in r["findings"]]
    # the edit left the tree dirty: a second --apply is refused
    again = run_cli("fix", str(root), "--advisory-db", str(DATA), "--apply")
    assert again.code == 2 and "needs a clean git tree" in again.err


def test_fix_without_a_local_mirror_is_a_usage_error(tmp_path: Path, run_cli: Any) -> None:
    root = _project(tmp_path, {"requirements.txt": "requests==2.19.0\n"})
    res = run_cli("fix", str(root))
    assert res.code == 2 and "never uses the network" in res.err
