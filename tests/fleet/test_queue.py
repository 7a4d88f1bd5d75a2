"""The fleet on its real engine: Procrastinate workers on the suite's PostgreSQL.

Seven local repositories with different flaws are queued; two worker processes (one of them
running two workers) take them; the first worker is killed with SIGKILL in the middle of a
scan, and its job is handed back by the heartbeat check. Every repository ends recorded
exactly once with the verdict a single `secscan scan` gives it; a second enqueue of unchanged
HEADs scans nothing; the embedded `fleet run` records the same results as the queue.
Synchronisation is by polling the database, never by sleeping a fixed time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fleetrepos import FLAWS, git, manifest_text
from pgserver import new_database

from secscan.cli import main
from secscan.history.store import SqlStore

pytestmark = pytest.mark.integration

#: Generous: the machine may be shared and loaded; nothing waits this long when it is not.
DEADLINE_S = 600.0
#: A dead worker is noticed this long after its last heartbeat.
STALLED_S = 5
#: The repository the first worker is killed in: enough files that its scan takes seconds.
BIG = "big"
BIG_FILES = 250


def _poll(what: str, check: Callable[[], Any], timeout: float = DEADLINE_S) -> Any:
    end = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _worker(db: str, workdir: Path, *extra: str) -> subprocess.Popen[bytes]:
    argv = [
        sys.executable,
        "-m",
        "secscan",
        "fleet",
        "worker",
        "--queue",
        db,
        "--workdir",
        str(workdir),
        "--heartbeat",
        "1",
        "--stalled-after",
        str(STALLED_S),
        *extra,
    ]
    env = {k: v for k, v in os.environ.items() if k != "SECSCAN_HISTORY"}
    return _spawn(argv, workdir, env)


def _spawn(
    argv: list[str], beside: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """A child whose stderr goes to `<beside>.log`: a pipe nobody reads fills up and stops
    the child at its next log line, however long the test then waits."""
    beside.parent.mkdir(parents=True, exist_ok=True)
    with beside.with_name(beside.name + ".log").open("wb") as log:
        return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=log)


def _logged(beside: Path) -> str:
    return beside.with_name(beside.name + ".log").read_text(errors="replace")


def _jobs(db: str) -> list[dict[str, Any]]:
    with psycopg.connect(db) as conn:
        cur = conn.execute(
            "SELECT id, status::text, attempts, args->'target'->>'name' AS name "
            "FROM procrastinate_jobs WHERE task_name = 'secscan.fleet.scan' ORDER BY id"
        )
        cols = [c.name for c in cur.description or ()]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


@dataclass(frozen=True)
class Recorded:
    commit: str | None
    outcome: str | None
    state: str
    settings_digest: str | None
    fingerprints: tuple[str, ...]
    tags: tuple[tuple[str, str], ...]


def recorded(url: str) -> dict[str, list[Recorded]]:
    """Each repository's recorded runs, by its name in the manifest (the path's last part)."""
    store = SqlStore.open(url)
    try:
        tags = store.tags()
        out: dict[str, list[Recorded]] = {}
        for repo in store.repositories():
            for run in store.load(repo, "main"):
                out.setdefault(repo.rsplit("/", 1)[-1], []).append(
                    Recorded(
                        run.commit,
                        run.outcome,
                        run.state.value,
                        run.settings_digest,
                        tuple(sorted(f.fingerprint for f in run.findings)),
                        tuple(sorted(tags.get(repo, {}).items())),
                    )
                )
        return out
    finally:
        store.close()


@dataclass(frozen=True)
class Fleet:
    manifest: Path
    db: str
    expected: dict[str, str]
    killed_job: dict[str, Any]
    tmp: Path


def _repos(root: Path) -> dict[str, Path]:
    repos = {}
    big = {f"pkg/m{i:03}.py": FLAWS["shell"]["app.py"] for i in range(BIG_FILES)}
    for name, files in {**{k: v for k, v in FLAWS.items() if k != "tempfile"}, BIG: big}.items():
        repo = root / "repos" / name
        repo.mkdir(parents=True)
        git(repo, "init", "-q", "-b", "main")
        for rel, text in files.items():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            (repo / rel).write_text(text, encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "initial")
        repos[name] = repo
    return repos


def _expected(repos: dict[str, Path], tmp: Path) -> dict[str, str]:
    """What `secscan scan` alone says of each repository with the manifest's settings."""
    config = tmp / "trusted.yaml"
    config.write_text("version: 1\nscanners: [bandit]\n", encoding="utf-8")
    verdicts = {}
    for name, repo in repos.items():
        code = main(
            [
                "scan",
                str(repo),
                "--config",
                str(config),
                "--profile",
                "ci",
                "-q",
                "--no-cache",
                "--output-dir",
                str(tmp / "reports" / name),
            ]
        )
        assert code in (0, 1), name
        verdicts[name] = "pass" if code == 0 else "fail"
    return verdicts


@pytest.fixture(scope="module")
def fleet(postgres_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    tmp = tmp_path_factory.mktemp("fleet")
    repos = _repos(tmp)
    manifest = tmp / "fleet.yaml"
    manifest.write_text(manifest_text(repos), encoding="utf-8")
    expected = _expected(repos, tmp)
    db = new_database(postgres_server)
    # The nightly batch first, then the big repository as a pull request: it runs first.
    assert (
        main(["fleet", "enqueue", str(manifest), "--queue", db, "--exclude", f"product={BIG}"]) == 0
    )
    assert (
        main(
            [
                "fleet",
                "enqueue",
                str(manifest),
                "--queue",
                db,
                "--repository",
                BIG,
                "--pull-request",
            ]
        )
        == 0
    )
    # One waiting job per repository: queueing them all again adds none.
    assert main(["fleet", "enqueue", str(manifest), "--queue", db]) == 0
    assert len(_jobs(db)) == len(repos)

    first = _worker(db, tmp / "work-a")
    workers = [first]
    try:
        doing = _poll(
            "the first worker to start a job",
            lambda: [j for j in _jobs(db) if j["status"] == "doing"],
        )
        (job,) = doing
        assert job["name"] == BIG
        # Mid-scan: its clone is there and nothing is recorded yet.
        _poll("the big clone", lambda: any((tmp / "work-a").glob(f"{BIG}-*/pkg/m249.py")))
        assert BIG not in recorded(db)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=60)
        assert next(j for j in _jobs(db) if j["id"] == job["id"])["status"] == "doing"

        # Two more workers in one process: they finish the queue and retry the dead one's job.
        workers.append(_worker(db, tmp / "work-b", "--concurrency", "2"))
        _poll("every job to succeed", lambda: _settled(db, len(repos)))
        yield Fleet(manifest, db, expected, job, tmp)
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(timeout=120)
            except subprocess.TimeoutExpired:
                w.kill()


def _settled(db: str, count: int) -> bool:
    jobs = _jobs(db)
    failed = [j for j in jobs if j["status"] == "failed"]
    assert not failed, failed
    return len(jobs) == count and all(j["status"] == "succeeded" for j in jobs)


def test_every_repository_is_recorded_once_with_its_verdict(fleet: Fleet) -> None:
    runs = recorded(fleet.db)
    assert set(runs) == set(fleet.expected)
    assert {name: len(r) for name, r in runs.items()} == dict.fromkeys(fleet.expected, 1)
    assert {name: r[0].outcome for name, r in runs.items()} == fleet.expected
    assert {"pass", "fail"} <= set(fleet.expected.values())
    assert all(r[0].state == "complete" and r[0].settings_digest for r in runs.values())
    # The killed worker's job ran again, to success, elsewhere.
    (killed,) = [j for j in _jobs(fleet.db) if j["id"] == fleet.killed_job["id"]]
    assert killed["status"] == "succeeded" and killed["name"] == BIG


def test_a_second_enqueue_of_unchanged_heads_scans_nothing(fleet: Fleet) -> None:
    before = recorded(fleet.db)
    assert main(["fleet", "enqueue", str(fleet.manifest), "--queue", fleet.db]) == 0
    count = len(fleet.expected) * 2
    assert len(_jobs(fleet.db)) == count
    done = _worker(fleet.db, fleet.tmp / "work-c", "--once")
    assert done.wait(timeout=DEADLINE_S) == 0, _logged(fleet.tmp / "work-c")
    assert _settled(fleet.db, count)
    assert recorded(fleet.db) == before


def test_the_embedded_pool_records_what_the_queue_records(fleet: Fleet) -> None:
    url = f"sqlite:///{fleet.tmp / 'embedded.sqlite'}"
    code = main(
        [
            "fleet",
            "run",
            str(fleet.manifest),
            "--history",
            url,
            "--jobs",
            "2",
            "--workdir",
            str(fleet.tmp / "work-embedded"),
        ]
    )
    assert code == 1  # some gates fail, no error
    assert recorded(url) == recorded(fleet.db)


def test_the_schedule_queues_the_manifest_on_its_cron(postgres_server: str, tmp_path: Path) -> None:
    """`fleet schedule` (Procrastinate's periodic task) queues every repository; it scans none."""
    repos = {name: tmp_path / name for name in ("a", "b")}
    for repo in repos.values():
        repo.mkdir()
    manifest = tmp_path / "fleet.yaml"
    manifest.write_text(manifest_text(repos), encoding="utf-8")
    db = new_database(postgres_server)
    argv = [
        sys.executable,
        "-m",
        "secscan",
        "fleet",
        "schedule",
        str(manifest),
        "--queue",
        db,
        "--cron",
        "* * * * *",
        "--heartbeat",
        "1",
    ]
    log = tmp_path / "schedule"
    scheduler = _spawn(argv, log)

    def scheduled() -> Any:
        if scheduler.poll() is not None:  # say why now, not after the deadline
            raise AssertionError(f"fleet schedule exited {scheduler.returncode}: {_logged(log)}")
        return _table(db) and len(_jobs(db)) == 2 and _jobs(db)

    try:
        queued = _poll("the scheduled jobs", scheduled)
        assert sorted(j["name"] for j in queued) == ["a", "b"]
        assert all(j["status"] == "todo" for j in _jobs(db))  # the scheduler scans nothing
    finally:
        scheduler.send_signal(signal.SIGTERM)
        scheduler.wait(timeout=120)


def _table(db: str) -> bool:
    with psycopg.connect(db) as conn:
        row = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
        return row is not None and row[0] is not None
