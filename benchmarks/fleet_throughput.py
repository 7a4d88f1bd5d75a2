"""Fleet throughput: repositories per hour for small repositories, `secscan fleet run`.

    python benchmarks/fleet_throughput.py [--repos 24] [--jobs 2] [--scanners bandit,semgrep]

Builds N small local git repositories (a service of ~20 Python modules with a few flaws each,
every repository different), then times three passes of the embedded pool into one SQLite
history, each in a fresh process as a user would run it:

1. cold: empty history, no clones, an empty result cache (XDG_CACHE_HOME of its own);
2. unchanged: every HEAD as recorded (the skip path: one `ls-remote` per repository);
3. one commit each: a file changed in every repository, the clones fetched, the result cache
   warm (the unchanged files' results are reused).

With `--queue postgresql://…/EMPTY_DB` the same three passes run on the job queue instead:
`fleet enqueue`, then `fleet worker --concurrency JOBS --once` until the queue is empty, the
history in the same database.

Prints wall time, repositories per hour and the exit code of each pass.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "b",
    "GIT_AUTHOR_EMAIL": "b@example.com",
    "GIT_COMMITTER_NAME": "b",
    "GIT_COMMITTER_EMAIL": "b@example.com",
}

MODULE = '''"""Service module {i} of {name}."""
import json
import subprocess


def handler_{i}(event):
    payload = json.loads(event["body"])
    total = 0
    for item in payload.get("items", []):
        total += int(item.get("qty", 0)) * float(item.get("price", 0))
    return {{"total": total, "module": {i}}}


def helper_{i}(values):
    return sorted(set(values))[: {i} + 1]
'''
FLAW = """

def run_{i}(cmd):
    return subprocess.call(cmd, shell=True)
"""


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, env={**os.environ, **GIT_ENV}
    )


def build(root: Path, count: int, modules: int) -> dict[str, Path]:
    repos = {}
    for n in range(count):
        name = f"svc{n:03}"
        repo = root / name
        (repo / "app").mkdir(parents=True)
        for i in range(modules):
            text = MODULE.format(i=i, name=name) + (FLAW.format(i=i) if (i + n) % 7 == 0 else "")
            (repo / "app" / f"m{i:02}.py").write_text(text, encoding="utf-8")
        _git(repo, "init", "-q", "-b", "main")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "-m", "initial")
        repos[name] = repo
    return repos


def manifest(path: Path, repos: dict[str, Path], scanners: list[str]) -> None:
    lines = [
        "version: 1",
        "defaults:",
        "  profile: ci",
        "  settings:",
        f"    scanners: [{', '.join(scanners)}]",
        "  tags: {team: bench}",
        "repositories:",
    ]
    for name, repo in repos.items():
        lines += [f"  - name: {name}", f"    path: {repo}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def timed(commands: list[list[str]], env: dict[str, str]) -> tuple[float, int]:
    """Run the commands one after another; the wall time of all, the last one's exit code."""
    start = time.perf_counter()
    code = 0
    for argv in commands:
        done = subprocess.run(argv, env=env, capture_output=True, text=True)
        code = done.returncode
        if code not in (0, 1):
            sys.stderr.write(done.stdout[-2000:] + done.stderr[-2000:])
    return time.perf_counter() - start, code


def _commands(args: argparse.Namespace, path: Path, tmp: Path) -> list[list[str]]:
    fleet = [sys.executable, "-m", "secscan", "fleet"]
    work = ["--workdir", str(tmp / "work")]
    if args.queue:
        return [
            [*fleet, "enqueue", str(path), "--queue", args.queue],
            [*fleet, "worker", "--queue", args.queue, "--once", "--concurrency", str(args.jobs),
             *work],
        ]  # fmt: skip
    history = f"sqlite:///{tmp / 'history.sqlite'}"
    return [[*fleet, "run", str(path), "--history", history, "--jobs", str(args.jobs), *work]]


def _quote(arg: str) -> str:
    import shlex

    return shlex.quote(arg)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repos", type=int, default=24)
    ap.add_argument("--modules", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--scanners", default="bandit,semgrep")
    ap.add_argument("--queue", default=None, help="an empty PostgreSQL database: use the queue")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="secscan-fleet-bench-"))
    repos = build(tmp / "repos", args.repos, args.modules)
    path = tmp / "fleet.yaml"
    manifest(path, repos, args.scanners.split(","))
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache"), "SEMGREP_ENABLE_VERSION_CHECK": "0"}
    env.pop("SECSCAN_HISTORY", None)
    commands = _commands(args, path, tmp)
    engine = "queue: enqueue, then worker --once" if args.queue else "fleet run"
    print(
        f"{args.repos} repositories x {args.modules} modules, scanners {args.scanners}, "
        f"{engine}, {args.jobs} at once, load before {os.getloadavg()[0]:.2f}"
    )
    passes = []
    wall, code = timed(commands, env)
    passes.append(("cold (no clones, empty cache)", wall, code))
    wall, code = timed(commands, env)
    passes.append(("unchanged HEADs (skipped)", wall, code))
    for n, repo in enumerate(repos.values()):
        (repo / "app" / "m00.py").write_text(MODULE.format(i=0, name=f"v2-{n}"), encoding="utf-8")
        _git(repo, "commit", "-q", "-am", "change one module")
    wall, code = timed(commands, env)
    passes.append(("one changed file each (fetch, warm cache)", wall, code))
    print("| pass | wall s | repositories / hour | exit |")
    print("|---|---:|---:|---:|")
    for what, wall, code in passes:
        print(f"| {what} | {wall:.1f} | {args.repos / wall * 3600:,.0f} | {code} |")
    print(f"load after {os.getloadavg()[0]:.2f}; work folder {tmp}")


if __name__ == "__main__":
    main()
