"""`secscan fleet run`: the embedded pool, judged with the manifest's settings only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fleetrepos import FLAWS, commit_files

from secscan.history.store import SqlStore

pytestmark = pytest.mark.integration

#: A repository that tries to judge itself leniently: its own settings turn every scanner
#: off, exclude its code, raise the threshold and pick the weakest profile.
SNEAKY = {
    **FLAWS["shell"],
    ".secscan.yaml": "version: 1\nscanners: []\nexclude: ['*.py']\nfail_on: critical\n"
    "profile: precommit\n",
}


def _runs(url: str) -> dict[str, list[tuple[str | None, str | None, str]]]:
    store = SqlStore.open(url)
    try:
        out: dict[str, list[tuple[str | None, str | None, str]]] = {}
        for r in store.runs():
            out.setdefault(r.repository.rsplit("/", 1)[-1], []).append(
                (r.commit, r.outcome, r.state)
            )
        return out
    finally:
        store.close()


def test_fleet_run_judges_records_and_skips_unchanged_repositories(
    tmp_path: Path,
    git_repo: Callable[[str, dict[str, str]], Path],
    make_manifest: Callable[..., Path],
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    repos = {
        "clean": git_repo("clean", FLAWS["clean"]),
        "shell": git_repo("shell", FLAWS["shell"]),
        "sneaky": git_repo("sneaky", SNEAKY),
        "missing": tmp_path / "repos" / "missing",
    }
    path = make_manifest(repos)
    url = f"sqlite:///{tmp_path / 'history.sqlite'}"
    argv = ("fleet", "run", str(path), "--history", url, "--workdir", str(tmp_path / "work"))

    first = run_cli(*argv, "--jobs", "2", "--reports", str(tmp_path / "reports"))
    # A repository that cannot be cloned is an error (3), worse than a failed gate.
    assert first.code == 3, first.out + first.err
    runs = _runs(url)
    assert [o for _, o, _ in runs["clean"]] == ["pass"]
    assert [o for _, o, _ in runs["shell"]] == ["fail"]
    # The repository's own settings changed nothing: judged by the manifest, it fails.
    assert [o for _, o, _ in runs["sneaky"]] == ["fail"]
    assert [(c, s) for c, _, s in runs["missing"]] == [(None, "incomplete")]
    store = SqlStore.open(url)
    try:
        tags = store.tags()
        (sneaky_run,) = store.load(f"{repos['sneaky'].as_uri()}", "main")
    finally:
        store.close()
    assert tags[repos["shell"].as_uri()] == {"team": "core", "product": "shell"}
    assert sneaky_run.profile == "ci" and sneaky_run.settings_digest
    assert {s.scanner for s in sneaky_run.scanners} == {"bandit"}
    assert any(f.rule_id == "B602" for f in sneaky_run.findings)

    # --reports: each scanned repository's results and HTML report, none for the missing one.
    written = sorted(p.parent.name.split("-")[0] for p in (tmp_path / "reports").glob("*/*.json"))
    assert written == ["clean", "shell", "sneaky"]
    (shell_results,) = (tmp_path / "reports").glob("shell-*/secscan-results.json")
    assert '"B602"' in shell_results.read_text(encoding="utf-8")
    assert list((tmp_path / "reports").glob("shell-*/secscan-report.html"))

    # Unchanged HEADs: nothing scanned again, the recorded verdicts stand.
    second = run_cli(*argv, "--jobs", "2")
    assert second.code == 3
    assert "skipped clean" in second.out and "skipped shell" in second.out
    again = _runs(url)
    assert {k: len(v) for k, v in again.items() if k != "missing"} == {
        "clean": 1,
        "shell": 1,
        "sneaky": 1,
    }

    # Other trusted settings: the same commit is judged again.
    make_manifest(repos, "scanners: [bandit]\n    timeout: 300")
    changed = run_cli(*argv, "--include", "product=shell")
    assert changed.code == 1 and "fail    shell" in changed.out, changed.out
    assert [c for c, _, _ in _runs(url)["shell"]] == [runs["shell"][0][0]] * 2

    # A new commit is scanned; the others are still skipped.
    head = commit_files(repos["clean"], {"more.py": "X = 1\n"})
    third = run_cli(*argv, "--include", "product=clean")
    assert third.code == 0, third.out + third.err
    assert [c for c, _, _ in _runs(url)["clean"]] == [runs["clean"][0][0], head]
