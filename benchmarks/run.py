"""Benchmark harness: secscan against running its tools by hand, cold, warm and at pre-commit.

    python benchmarks/run.py            # Django 4.2.16 corpus, 3 runs each, writes BENCHMARKS.md
    python benchmarks/run.py --short    # Django, 1 run, no profiles: under 10 minutes
    python benchmarks/run.py --quick    # offline small corpus, 1 run, prints the report only

Every measured command is a child process: wall time from the monotonic clock, CPU time and
the largest process's peak RSS from the kernel (`wait4` rusage, children included), and the
whole process tree's peak RSS sampled from /proc. Medians over the runs are reported.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import corpus as corpus_mod  # noqa: E402

BIN = Path(sys.executable).parent
PROBE = HERE / "probe.py"
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
#: Exit codes that mean "ran to the end" for each command measured.
SCAN_OK = (0, 1)  # secscan: pass or gate failed; 3 (a scanner failed) makes the run invalid
SEMGREP_ENV = {"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}

#: Issue 17's targets, as ratios of one run's own measurements.
TARGETS = {
    "cold_vs_hand": 0.6,
    "cold_vs_limit": 1.15,
    "warm_vs_cold": 0.1,
    "hook_vs_semgrep": 0.4,
    "overhead_share": 0.03,
    "render_10k_s": 1.0,
}
#: The reference path: `secscan scan` of the code scanners with the speed levers off (one
#: process per tool: no shards; no cache; semgrep's Python CLI where an engine can be chosen).
#: Its findings must equal the fast path's.
REFERENCE_SCANNERS = ("bandit", "semgrep")


def reference_settings() -> str:
    """Config lines turning the levers off (the semgrep engine only where secscan has one)."""
    from secscan.scanners.semgrep import SemgrepOptions

    engine = "engine" in SemgrepOptions.model_fields
    return "jobs: 1\n" + ("semgrep:\n  engine: python\n" if engine else "")


# --- measuring one process -------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    wall: float
    user: float
    sys: float
    #: Largest single process's peak RSS (KiB), from the kernel.
    max_rss_kb: int
    #: Peak of the summed RSS of the whole process tree (KiB), sampled every 0.1 s.
    tree_rss_kb: int
    returncode: int
    started: float = 0.0
    ended: float = 0.0

    @property
    def cpu(self) -> float:
        return self.user + self.sys


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def tree_rss_kb(root: int) -> int:
    """Summed resident memory of `root` and all its descendants right now."""
    kids = _children_map()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * PAGE_KB
        except (OSError, IndexError, ValueError):
            pass
        stack.extend(kids.get(pid, ()))
    return total


def measure(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str] | None = None,
    stdout: Path | None = None,
) -> Sample:
    """Run argv to the end and read its cost from the OS (the child and all it waited for)."""
    full_env = {**os.environ, **(env or {})}
    out = stdout.open("wb") if stdout else subprocess.DEVNULL
    err = stdout.with_suffix(stdout.suffix + ".err").open("wb") if stdout else subprocess.DEVNULL
    peak = [0]
    done = threading.Event()
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            list(argv), cwd=cwd, env=full_env, stdout=out, stderr=err, stdin=subprocess.DEVNULL
        )

        def sample() -> None:
            while not done.wait(0.1):
                peak[0] = max(peak[0], tree_rss_kb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        ended = time.monotonic()
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
    finally:
        for fh in (out, err):
            if hasattr(fh, "close"):
                fh.close()  # type: ignore[union-attr]
    return Sample(
        wall=ended - started,
        user=usage.ru_utime,
        sys=usage.ru_stime,
        max_rss_kb=usage.ru_maxrss,
        tree_rss_kb=max(peak[0], usage.ru_maxrss),
        returncode=proc.returncode,
        started=started,
        ended=ended,
    )


# --- the commands ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HandStep:
    name: str
    argv: list[str]
    ok: tuple[int, ...]
    env: dict[str, str] = field(default_factory=dict)


def by_hand(c: corpus_mod.Corpus, rules: Path, osv_url: str) -> list[HandStep]:
    """The same tools with the same rules as `secscan scan` runs, one after another, the way
    a careful person would type them: offline flags, JSON output, the secscan rule pack.
    """
    tree, image = str(c.tree), str(c.image)
    trivy = str(BIN / "trivy")
    offline = ["--skip-version-check", "--disable-telemetry"]
    image_base = [
        trivy,
        "image",
        *offline,
        "--cache-backend",
        "memory",
        "--skip-check-update",
        "--skip-db-update",
        "--skip-java-db-update",
        "--offline-scan",
    ]
    return [
        HandStep("bandit", [str(BIN / "bandit"), "-r", "-q", "-f", "json", tree], (0, 1)),
        HandStep(
            "semgrep",
            [
                str(BIN / "semgrep"),
                "scan",
                "--json",
                "--quiet",
                "--disable-version-check",
                "--metrics=off",
                "--config",
                str(rules),
                tree,
            ],
            (0, 1),
            SEMGREP_ENV,
        ),
        HandStep(
            "pip-audit",
            [
                str(BIN / "pip-audit"),
                "-r",
                str(c.requirements),
                "--no-deps",
                "--disable-pip",
                "--format",
                "json",
                "--progress-spinner",
                "off",
                "-s",
                "osv",
                "--osv-url",
                f"{osv_url}/v1/query",
            ],
            (0, 1),
        ),
        HandStep(
            "trivy config",
            [trivy, "config", *offline, "--skip-check-update", "--format", "json", tree],
            (0,),
        ),
        HandStep(
            "trivy fs secret",
            [
                trivy,
                "fs",
                *offline,
                "--scanners",
                "secret",
                "--cache-backend",
                "memory",
                "--format",
                "json",
                tree,
            ],
            (0,),
        ),
        HandStep(
            "trivy image (packages)",
            [*image_base, "--scanners", "", "--format", "cyclonedx", "--input", image],
            (0,),
        ),
        HandStep(
            "trivy image (secret, misconfig)",
            [
                *image_base,
                "--scanners",
                "secret,misconfig",
                "--image-config-scanners",
                "misconfig,secret",
                "--format",
                "json",
                "--input",
                image,
            ],
            (0,),
        ),
    ]


def scan_argv(c: corpus_mod.Corpus, trace: Path, out: Path) -> list[str]:
    """`secscan scan` with every scanner and every report format, through the timing probe."""
    return [
        sys.executable,
        str(PROBE),
        str(trace),
        "scan",
        str(c.tree),
        "--config",
        str(c.config),
        "--image-archive",
        str(c.image),
        "--output-dir",
        str(out),
    ]


#: The folder the semgrep --jobs comparison scans (a slice of the tree, so it stays short).
JOBS_SUBSET = {"quick": "python/secscan", f"django-{corpus_mod.DJANGO_VERSION}": "django/django/db"}


def semgrep_rules() -> Path:
    from secscan.scanners.semgrep import builtin_rules

    return Path(builtin_rules())


def semgrep_jobs_argv(c: corpus_mod.Corpus, rules: str, jobs: int) -> list[str]:
    """semgrep as secscan runs it (explicit files, --jobs N) on one folder of the tree."""
    files = sorted(str(p) for p in (c.tree / JOBS_SUBSET[c.name]).rglob("*.py"))
    return [
        str(BIN / "semgrep"),
        "scan",
        "--json",
        "--quiet",
        "--disable-version-check",
        "--metrics=off",
        "--jobs",
        str(jobs),
        "--config",
        rules,
        "--",
        *files,
    ]


def hook_argv(c: corpus_mod.Corpus, trace: Path, files: Sequence[str]) -> list[str]:
    return [
        sys.executable,
        str(PROBE),
        str(trace),
        "hook",
        "--kind",
        "code",
        "--config",
        str(c.config),
        *files,
    ]


def precommit_config(c: corpus_mod.Corpus, dest: Path) -> Path | None:
    """secscan's published hooks (`.pre-commit-hooks.yaml`) as a local repo of this venv's
    secscan, so pre-commit neither clones nor builds an environment while being timed."""
    published = REPO / ".pre-commit-hooks.yaml"
    if not published.is_file():
        return None
    hooks = []
    for h in yaml.safe_load(published.read_text()):
        entry = str(h["entry"]).split()
        hook = {k: v for k, v in h.items() if k not in ("language", "minimum_pre_commit_version")}
        hook["entry"] = " ".join([str(BIN / entry[0]), *entry[1:]])
        hook["language"] = "system"
        hook["args"] = ["--config", str(c.config), *h.get("args", [])]
        hooks.append(hook)
    dest.write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}))
    return dest


def git(tree: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=tree, check=True, stdout=subprocess.DEVNULL)


# --- one repetition --------------------------------------------------------------------------


@dataclass
class Rep:
    hand: dict[str, Sample] = field(default_factory=dict)
    cold: Sample | None = None
    warm: Sample | None = None
    precommit: Sample | None = None
    #: `secscan hook --kind code` on the changed file, and semgrep's own CLI on it.
    hook: Sample | None = None
    semgrep_file: Sample | None = None
    hook_trace: dict[str, Any] = field(default_factory=dict)
    #: Findings of the fast path (the cold scan) against the reference path (first run only).
    same: dict[str, Any] = field(default_factory=dict)
    cold_trace: dict[str, Any] = field(default_factory=dict)
    warm_trace: dict[str, Any] = field(default_factory=dict)
    cold_runs: list[dict[str, Any]] = field(default_factory=list)
    warm_runs: list[dict[str, Any]] = field(default_factory=list)
    load: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    #: Files each tool reported it scanned, by hand and in the cold scan (same work check).
    files: dict[str, int] = field(default_factory=dict)
    #: semgrep over the same files with --jobs 1 and --jobs <cores> (the scheduling question).
    semgrep_jobs: dict[int, Sample] = field(default_factory=dict)

    def limit(self) -> tuple[float, str]:
        """max(slowest tool alone, total tool CPU / cores): no scheduling of these tools on
        this machine can finish sooner."""
        if not self.hand:
            return float("nan"), "n/a"
        name, slowest = max(self.hand.items(), key=lambda kv: kv[1].wall)
        cores = os.cpu_count() or 1
        spread = sum(x.cpu for x in self.hand.values()) / cores
        if slowest.wall >= spread:
            return slowest.wall, f"`{name}` alone"
        return spread, f"tool CPU / {cores} cores"

    @property
    def hand_total(self) -> Sample:
        s = list(self.hand.values())
        return Sample(
            wall=sum(x.wall for x in s),
            user=sum(x.user for x in s),
            sys=sum(x.sys for x in s),
            max_rss_kb=max(x.max_rss_kb for x in s),
            tree_rss_kb=max(x.tree_rss_kb for x in s),
            returncode=max(x.returncode for x in s),
        )


def run_rep(
    n: int,
    c: corpus_mod.Corpus,
    steps: list[HandStep],
    work: Path,
    hooks: Path | None,
    *,
    reference: bool = True,
    jobs_table: bool = True,
) -> Rep:
    rep = Rep(load=[os.getloadavg()[0]])
    logs = work / f"rep{n}"
    logs.mkdir()
    for step in steps:
        slug = re.sub(r"\W+", "-", step.name)
        s = measure(step.argv, cwd=c.tree, env=step.env, stdout=logs / f"hand-{slug}.out")
        _progress(f"  by hand  {step.name:<32} {s.wall:7.2f} s  rc={s.returncode}")
        if s.returncode not in step.ok:
            rep.problems.append(f"by hand {step.name} exited {s.returncode}")
        rep.hand[step.name] = s
        if step.name in ("bandit", "semgrep"):
            rep.files[f"by hand: {step.name}"] = _scanned(step.name, logs / f"hand-{slug}.out")
    rep.load.append(os.getloadavg()[0])

    cache = work / f"cache{n}"  # empty: a cold scan fills it, the warm one reads it
    env = {"SECSCAN_CACHE_DIR": str(cache)}
    for label in ("cold", "warm"):
        trace, out = logs / f"{label}.trace.json", logs / f"{label}-reports"
        s = measure(scan_argv(c, trace, out), cwd=c.tree, env=env, stdout=logs / f"{label}.out")
        _progress(f"  secscan  {label:<32} {s.wall:7.2f} s  rc={s.returncode}")
        runs = _runs(out / "secscan-results.json")
        if not runs:
            said = (logs / f"{label}.out.err").read_text(errors="replace")[-1500:]
            rep.problems.append(f"secscan {label} wrote no results (exit {s.returncode}): {said}")
        bad = [
            f"{r['scanner']}: {str(r.get('error'))[:300]}" for r in runs if r["status"] == "error"
        ]
        if s.returncode not in SCAN_OK or bad:
            rep.problems.append(f"secscan {label} exited {s.returncode}; " + "; ".join(bad))
        setattr(rep, label, s)
        setattr(rep, f"{label}_trace", {**_trace(trace), "spawned": s.started, "exited": s.ended})
        setattr(rep, f"{label}_runs", runs)
        if label == "cold":
            rep.files.update({f"secscan: {r['scanner']}": r["targets"] for r in runs})
        rep.load.append(os.getloadavg()[0])

    if hooks is not None:
        rep.precommit = precommit_once(n, c, hooks, env, logs)
        _progress(
            f"  pre-commit one-file change           {rep.precommit.wall:7.2f} s  "
            f"rc={rep.precommit.returncode}"
        )
        said = (logs / "pre-commit.out").read_text(errors="replace")
        if "exit code: 3" in said or "exit code: 2" in said:
            rep.problems.append("pre-commit: a secscan hook exited 2 or 3: " + said[-600:])
        rep.load.append(os.getloadavg()[0])

    rep.hook, rep.semgrep_file, rep.hook_trace = hook_once(n, c, env, logs)
    _progress(
        f"  secscan hook, one file                {_w(rep.hook):>7} s; semgrep alone on it "
        f"{_w(rep.semgrep_file)} s"
    )
    if n == 0 and reference:
        rep.same = compare_reference(c, logs, logs / "cold-reports" / "secscan-results.json")
        _progress(f"  fast vs reference findings: {rep.same.get('verdict')}")

    rules = str(semgrep_rules())
    for jobs in sorted({1, os.cpu_count() or 1}) if jobs_table else ():
        argv = semgrep_jobs_argv(c, rules, jobs)
        s = measure(argv, cwd=c.tree, env=SEMGREP_ENV, stdout=logs / f"semgrep-j{jobs}.out")
        _progress(f"  semgrep --jobs {jobs} on {JOBS_SUBSET[c.name]:<21} {s.wall:7.2f} s")
        rep.semgrep_jobs[jobs] = s
    shutil.rmtree(cache, ignore_errors=True)
    return rep


def precommit_once(
    n: int, c: corpus_mod.Corpus, hooks: Path, env: dict[str, str], logs: Path
) -> Sample:
    """Change one line of one file, stage it, and time `pre-commit run` as `git commit` would."""
    target = c.precommit_target
    rel = target.relative_to(c.tree).as_posix()
    original = target.read_bytes()
    pc_env = {**env, "PRE_COMMIT_HOME": str(c.tree.parent / "pre-commit-home")}
    try:
        target.write_bytes(original + f"# benchmark edit {n} {time.time_ns()}\n".encode())
        git(c.tree, "add", rel)
        argv = [str(BIN / "pre-commit"), "run", "--config", str(hooks)]
        return measure(argv, cwd=c.tree, env=pc_env, stdout=logs / "pre-commit.out")
    finally:
        git(c.tree, "reset", "-q", "--", rel)
        target.write_bytes(original)


def hook_once(
    n: int, c: corpus_mod.Corpus, env: dict[str, str], logs: Path
) -> tuple[Sample | None, Sample | None, dict[str, Any]]:
    """`secscan hook --kind code FILE` on a one-line change (cache as the warm scan left it),
    then semgrep's own CLI on the same file with the same rules: the hook target's reference.
    """
    target = c.precommit_target
    rel = target.relative_to(c.tree).as_posix()
    original = target.read_bytes()
    trace = logs / "hook.trace.json"
    try:
        target.write_bytes(original + f"# hook edit {n} {time.time_ns()}\n".encode())
        hook = measure(hook_argv(c, trace, [rel]), cwd=c.tree, env=env, stdout=logs / "hook.out")
        alone = measure(
            semgrep_file_argv(str(semgrep_rules()), rel),
            cwd=c.tree,
            env=SEMGREP_ENV,
            stdout=logs / "semgrep-file.out",
        )
    finally:
        target.write_bytes(original)
    return hook, alone, {**_trace(trace), "spawned": hook.started, "exited": hook.ended}


def semgrep_file_argv(rules: str, rel: str) -> list[str]:
    """semgrep's CLI on one file with secscan's rule pack, as a person would run it."""
    return [
        str(BIN / "semgrep"),
        "scan",
        "--json",
        "--quiet",
        "--disable-version-check",
        "--metrics=off",
        "--config",
        rules,
        rel,
    ]


def reference_argv(c: corpus_mod.Corpus, config: Path, out: Path) -> list[str]:
    """`secscan scan` of the code scanners on the reference path (REFERENCE_SETTINGS)."""
    argv = [sys.executable, "-m", "secscan", "scan", str(c.tree), "--config", str(config)]
    for name in REFERENCE_SCANNERS:
        argv += ["--scanner", name]
    return [*argv, "--no-cache", "--format", "json", "--output-dir", str(out)]


def finding_keys(results: Path, scanners: Sequence[str]) -> set[tuple[Any, ...]]:
    """What identifies each finding of the named scanners: rule, place and fingerprint."""
    try:
        data = json.loads(results.read_text())
    except (OSError, ValueError):
        return set()
    return {
        (
            r["scanner"],
            f["rule_id"],
            f["location"]["path"],
            f["location"].get("start_line"),
            f["location"].get("end_line"),
            f.get("fingerprint"),
        )
        for r in data["result"]["runs"]
        if r["scanner"] in scanners
        for f in r["findings"]
    }


def compare_reference(c: corpus_mod.Corpus, logs: Path, fast: Path) -> dict[str, Any]:
    """Run the reference path once and compare its findings with the fast path's."""
    config = c.config.with_name("secscan-reference.yaml")
    config.write_text(c.config.read_text() + reference_settings())
    out = logs / "reference-reports"
    s = measure(reference_argv(c, config, out), cwd=c.tree, stdout=logs / "reference.out")
    ref = finding_keys(out / "secscan-results.json", REFERENCE_SCANNERS)
    got = finding_keys(fast, REFERENCE_SCANNERS)
    only_fast, only_ref = sorted(got - ref, key=str), sorted(ref - got, key=str)
    if s.returncode not in SCAN_OK or not ref:
        verdict = f"reference run failed (exit {s.returncode}, {len(ref)} findings)"
    elif not only_fast and not only_ref:
        verdict = f"equal ({len(ref):,} findings)"
    else:
        verdict = f"**differ**: {len(only_fast)} only fast, {len(only_ref)} only reference"
    return {
        "verdict": verdict,
        "equal": bool(ref) and not only_fast and not only_ref,
        "fast": len(got),
        "reference": len(ref),
        "reference_wall": s.wall,
        "only_fast": [list(k) for k in only_fast[:5]],
        "only_reference": [list(k) for k in only_ref[:5]],
    }


def _runs(results: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(results.read_text())
    except (OSError, ValueError):
        return []
    return [
        {
            "scanner": r["scanner"],
            "status": r["status"],
            "duration_s": r["duration_s"],
            "findings": len(r["findings"]),
            "targets": r["targets"],
            "cached": r.get("cached", False),
            "error": r.get("error"),
        }
        for r in data["result"]["runs"]
    ]


def _scanned(tool: str, output: Path) -> int:
    """How many files bandit or semgrep says it read (-1 when its output cannot tell)."""
    try:
        data = json.loads(output.read_text())
        if tool == "semgrep":
            return len(data["paths"]["scanned"])
        return len([k for k in data["metrics"] if k != "_totals"])
    except (OSError, ValueError, KeyError, TypeError):
        return -1


def _trace(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- where the time went ---------------------------------------------------------------------


def merged(intervals: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def overlap(a: float, b: float, spans: Sequence[tuple[float, float]]) -> float:
    return sum(max(0.0, min(b, y) - max(a, x)) for x, y in spans)


def overhead(trace: dict[str, Any]) -> dict[str, float]:
    """secscan's own time: the wall clock minus the time at least one tool process ran,
    split by stage (each stage's time outside tool runs)."""
    if not trace.get("events"):
        return {}
    events = trace["events"]
    tools = merged((e[1], e[2]) for e in events if e[0].startswith("tool:"))
    wall = trace["exited"] - trace["spawned"]
    tool_time = sum(b - a for a, b in tools)
    out = {
        "wall": wall,
        "tools": tool_time,
        "overhead": wall - tool_time,
        "interpreter + imports": trace["ready"] - trace["spawned"],
    }
    for label in (
        "command imports",
        "config",
        "policy:load",
        "pipeline",
        "policy:judge",
        "tree warnings",
        "history",
        "reports",
        "summary",
    ):
        spans = [(e[1], e[2]) for e in events if e[0] == label]
        out[label] = sum(b - a - overlap(a, b, tools) for a, b in spans)
    out["render (all formats)"] = sum(e[2] - e[1] for e in events if e[0].startswith("render:"))
    out["reports"] = max(0.0, out["reports"] - out["render (all formats)"])  # writing them
    out["exit"] = trace["exited"] - trace["end"]
    named = sum(v for k, v in out.items() if k not in ("wall", "tools", "overhead"))
    # Outside every timed stage: the command's own lazy imports, config, argument parsing.
    out["other"] = max(0.0, out["overhead"] - named)
    return out


def scanner_times(trace: dict[str, Any]) -> list[tuple[str, float, float, float]]:
    """(scanner, start offset, wall, in-process time outside its tools) per scanner thread."""
    events = trace.get("events") or []
    base = trace.get("spawned", 0.0)
    rows = []
    for label, a, b, tid in events:
        if not label.startswith("scanner:"):
            continue
        name = label.removeprefix("scanner:")
        tools = merged(
            (e[1], e[2])
            for e in events
            if (e[0].startswith("tool:") and e[3] == tid and a <= e[1] <= b)
            or e[0] == f"exec:{name}"  # its shards' processes, on the shards' threads
        )
        rows.append((name, a - base, b - a, (b - a) - overlap(a, b, tools)))
    return sorted(rows, key=lambda r: r[1])


def tool_timeline(trace: dict[str, Any]) -> list[tuple[str, float, float]]:
    base = trace.get("spawned", 0.0)
    return [
        (e[0].removeprefix("tool:"), e[1] - base, e[2] - e[1])
        for e in trace.get("events") or []
        if e[0].startswith("tool:")
    ]


# --- profiles --------------------------------------------------------------------------------


#: Profile rows that are a thread waiting (for a tool process, a lock, a socket), not work.
WAITING = (
    "time.sleep",
    "acquire",
    "poll",
    "select",
    "waitpid",
    "posix.read",
    "wait",
    "SimpleQueue",
    "recv_into",
    "connect",
    "accept",
    "sendall",
    "getaddrinfo",
)


def _where(key: tuple[str, int, str]) -> str:
    file, line, func = key
    if file == "~":
        return func
    for prefix in (str(REPO) + "/", str(Path(shutil.__file__).parent) + "/"):
        file = file.removeprefix(prefix)
    file = re.sub(r"^/\S*/site-packages/", "", file)
    return f"{file}:{line}({func})"


def profile_text(path: Path, top: int = 20) -> str:
    """Two views of a cProfile: where CPU went (own time, waiting left out), and which secscan
    functions the time was spent under (cumulative, waiting included)."""
    stats = pstats.Stats(str(path), stream=io.StringIO())
    rows = [(key, nc, tt, ct) for key, (_, nc, tt, ct, _) in stats.stats.items()]
    busy = sorted(
        (r for r in rows if not any(w in _where(r[0]) for w in WAITING)), key=lambda r: -r[2]
    )
    ours = sorted(
        (r for r in rows if "secscan/" in r[0][0] and "benchmarks/" not in r[0][0]),
        key=lambda r: -r[3],
    )
    busy_s = sum(r[2] for r in rows if not any(w in _where(r[0]) for w in WAITING))
    out = [f"CPU in Python, waiting excluded: {busy_s:.2f} s (profiler overhead included)"]
    out.append("\nBy own time (tottime):")
    out.append(f"{'calls':>9} {'own s':>8} {'cum s':>8}  function")
    out += [f"{nc:>9} {tt:8.3f} {ct:8.3f}  {_where(k)}" for k, nc, tt, ct in busy[:top]]
    out.append("\nsecscan functions by cumulative time (waiting for tools included):")
    out.append(f"{'calls':>9} {'own s':>8} {'cum s':>8}  function")
    out += [f"{nc:>9} {tt:8.3f} {ct:8.3f}  {_where(k)}" for k, nc, tt, ct in ours[:top]]
    return "\n".join(out)


def profiled(argv: list[str], cwd: Path, env: dict[str, str], dest: Path) -> Path:
    subprocess.run(
        argv,
        cwd=cwd,
        env={**os.environ, **env, "SECSCAN_BENCH_PROFILE": str(dest)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return dest


# --- the report ------------------------------------------------------------------------------


def med(values: Iterable[float]) -> float:
    vals = list(values)
    return statistics.median(vals) if vals else float("nan")


def mb(kb: float) -> str:
    return f"{kb / 1024:,.0f}"


def version_of(argv: list[str], env: dict[str, str] | None = None) -> str:
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    text = (done.stdout or done.stderr).strip().splitlines()
    return text[0].strip() if text else "unknown"


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        mem = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        mem = "unknown"
    return {
        "os": platform.platform(),
        "cpu": f"{cpu}, {os.cpu_count()} logical cores",
        "memory": mem,
        "python": platform.python_version(),
    }


def versions() -> dict[str, str]:
    from secscan import __version__

    return {
        "secscan": f"{__version__} (git {_git_head()})",
        "bandit": version_of([str(BIN / "bandit"), "--version"]),
        "semgrep": version_of([str(BIN / "semgrep"), "--version"], SEMGREP_ENV),
        "pip-audit": version_of([str(BIN / "pip-audit"), "--version"]),
        "trivy": version_of([str(BIN / "trivy"), "--version"]),
        "pre-commit": version_of([str(BIN / "pre-commit"), "--version"]),
    }


def _git_head() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return "unknown"
    return head + (" + uncommitted changes" if dirty else "")


def verdict(value: float, target: float) -> str:
    if value != value:  # nan: not measured in this run
        return "not measured"
    return "met" if value <= target else f"**missed** by {value / target:.1f}x"


@dataclass
class Report:
    command: str
    reps: list[Rep]
    corpus: corpus_mod.Corpus
    stats: dict[str, int]
    render: dict[str, Any]
    machine: dict[str, str]
    versions: dict[str, str]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    started: str
    duration_s: float
    profiles: dict[str, str] = field(default_factory=dict)

    def ratios(self) -> dict[str, float]:
        hand = med(r.hand_total.wall for r in self.reps)
        cold = med(r.cold.wall for r in self.reps if r.cold)
        warm = med(r.warm.wall for r in self.reps if r.warm)
        over = med(overhead(r.cold_trace).get("overhead", float("nan")) for r in self.reps)
        hook = med(r.hook.wall for r in self.reps if r.hook)
        alone = med(r.semgrep_file.wall for r in self.reps if r.semgrep_file)
        return {
            "cold_vs_hand": cold / hand,
            "cold_vs_limit": cold / self.limit()[0],
            "warm_vs_cold": warm / cold,
            "hook_vs_semgrep": hook / alone,
            "overhead_share": over / cold,
            "render_10k_s": float(self.render.get("policy_and_formats_s", float("nan"))),
        }

    def limit(self) -> tuple[float, str]:
        """The median run's limit (seconds) and what sets it."""
        limits = sorted((r.limit() for r in self.reps), key=lambda x: x[0])
        return limits[len(limits) // 2] if limits else (float("nan"), "n/a")

    def why(self, r: dict[str, float]) -> list[str]:
        """One line per missed target, computed from the traces, so it stays true on re-runs."""
        out: list[str] = []
        cold, warm = self.median_rep("cold"), self.median_rep("warm")
        cold_missed = r["cold_vs_hand"] > TARGETS["cold_vs_hand"] or (
            r["cold_vs_limit"] > TARGETS["cold_vs_limit"]
        )
        if cold_missed and cold.cold_trace:
            rows = scanner_times(cold.cold_trace)
            if rows:
                name, start, wall, _ = max(rows, key=lambda x: x[1] + x[2])
                probes = sum(
                    d for n, _, d in tool_timeline(cold.cold_trace) if n.endswith("--version")
                )
                cpu = _cpu_ratio(self.reps, "cold")
                out.append(
                    f"cold: the last scanner to finish is `{name}` ({wall:.1f} s from "
                    f"{start:.1f} s); tool `--version` probes (empty memo) took {probes:.1f} s "
                    f"of tool time in all; secscan used {cpu}x the CPU of the tools by hand "
                    "(the tools compete for the cores while by hand each runs alone)."
                )
        if r["warm_vs_cold"] > TARGETS["warm_vs_cold"] and warm.warm_trace:
            uncached = [
                f"`{x['scanner']}` {x['duration_s']:.1f} s"
                for x in sorted(warm.warm_runs, key=lambda x: -x["duration_s"])
                if not x["cached"] and x["status"] == "ok"
            ]
            o = overhead(warm.warm_trace)
            out.append(
                "warm: scanners not served from the result cache ran again: "
                + ", ".join(uncached)
                + f"; secscan's own time {o.get('overhead', 0):.1f} s (rendering "
                f"{o.get('render (all formats)', 0):.1f} s, interpreter + imports "
                f"{o.get('interpreter + imports', 0):.1f} s)."
            )
        if r["hook_vs_semgrep"] > TARGETS["hook_vs_semgrep"]:
            hook = self.median_rep("hook")
            o = overhead(hook.hook_trace)
            tools = ", ".join(
                f"`{name}` {wall:.1f} s"
                for name, _, wall in tool_timeline(hook.hook_trace)
                if not name.startswith("git")
            )
            parts = sorted(
                ((k, v) for k, v in o.items() if k not in ("wall", "tools", "overhead")),
                key=lambda kv: -kv[1],
            )[:3]
            out.append(
                f"hook: {_w(hook.hook)} s against semgrep's CLI alone {_w(hook.semgrep_file)} s "
                f"on the file; its tools: {tools or 'n/a'}; secscan's own time "
                f"{o.get('overhead', 0):.1f} s, largest: "
                + ", ".join(f"{k} {v:.1f} s" for k, v in parts)
                + "."
            )
        if r["overhead_share"] > TARGETS["overhead_share"] and cold.cold_trace:
            o = overhead(cold.cold_trace)
            parts = sorted(
                ((k, v) for k, v in o.items() if k not in ("wall", "tools", "overhead")),
                key=lambda kv: -kv[1],
            )[:3]
            out.append(
                f"overhead: {o.get('overhead', 0):.1f} s of {o.get('wall', 0):.1f} s; largest: "
                + ", ".join(f"{k} {v:.1f} s" for k, v in parts)
                + "."
            )
        if r["render_10k_s"] > TARGETS["render_10k_s"] and self.render:
            stages = sorted(self.render["stages"].items(), key=lambda kv: -kv[1])[:3]
            out.append(
                "10,000 findings: slowest stages "
                + ", ".join(f"`{k}` {v:.2f} s" for k, v in stages)
                + " (profiles below)."
            )
        return out

    def median_rep(self, key: str) -> Rep:
        done = [r for r in self.reps if getattr(r, key) is not None]
        done.sort(key=lambda r: getattr(r, key).wall)
        return done[len(done) // 2] if done else self.reps[0]

    def to_json(self) -> dict[str, Any]:
        """Everything measured, so the report can be written again without measuring again."""
        data = asdict(self)
        data["corpus"] = {"quick": self.corpus.name == "quick", "tree": str(self.corpus.tree)}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], c: corpus_mod.Corpus) -> Report:
        def sample(d: dict[str, Any] | None) -> Sample | None:
            return Sample(**d) if d else None

        reps = []
        for r in data["reps"]:
            rep = Rep(**{k: v for k, v in r.items() if k not in _SAMPLES})
            rep.hand = {k: Sample(**v) for k, v in r["hand"].items()}
            rep.semgrep_jobs = {int(k): Sample(**v) for k, v in r["semgrep_jobs"].items()}
            for key in ("cold", "warm", "precommit", "hook", "semgrep_file"):
                setattr(rep, key, sample(r.get(key)))
            reps.append(rep)
        fields = {k: v for k, v in data.items() if k not in ("reps", "corpus")}
        for key in ("load_before", "load_after"):
            fields[key] = tuple(fields[key])
        return cls(reps=reps, corpus=c, **fields)

    def markdown(self) -> str:
        r = self.ratios()
        L: list[str] = []
        add = L.append
        add("# secscan benchmarks\n")
        add("Generated by `benchmarks/run.py`; do not edit by hand, run it again.\n")
        add(f"- **Command:** `{self.command}` (from the repository root, with the project venv)")
        add(
            f"- **Run:** {self.started}, {self.duration_s / 60:.0f} min, "
            f"{len(self.reps)} repetition(s); medians reported"
        )
        add(
            f"- **Load average** (1/5/15 min) before: {_load(self.load_before)}; after: "
            f"{_load(self.load_after)}; 1-min load sampled between measurements: "
            f"{min(x for rep in self.reps for x in rep.load):.2f} to "
            f"{max(x for rep in self.reps for x in rep.load):.2f}"
        )
        for k, v in self.machine.items():
            add(f"- **{k.capitalize()}:** {v}")
        add("- **Versions:** " + "; ".join(f"{k} {v}" for k, v in self.versions.items()))
        s = self.stats
        add(
            f"- **Corpus `{self.corpus.name}`:** {s['files']:,} files, {s['python_files']:,} "
            f"Python files ({s['python_lines']:,} lines), {s['iac_files']} IaC files (the "
            f"example shop's Terraform, Kubernetes and Dockerfile x{s['iac_files'] // 3}), a "
            f"pinned requirements.txt ({_count_pins(self.corpus.requirements)} real old "
            f"releases), a {s['image_bytes'] // 1024} KiB `docker save` image archive; "
            f"{s['bytes'] / 1e6:.0f} MB in all"
        )
        problems = [p for rep in self.reps for p in rep.problems]
        if problems:
            add(
                "\n> **Invalid measurements:** a command did not run to the end, so what it did "
                "is not comparable:\n>"
            )
            for p in dict.fromkeys(problems):
                add(f"> - {p}")

        self._targets(add, r)
        why = self.why(r)
        if why:
            add("\nWhy, from this run's own data (profiles at the end):\n")
            L.extend(f"- {line}" for line in why)

        add("\n## Measurements (median of the runs)\n")
        add(
            "Wall and CPU (user + system, the process and every child it waited for) in seconds; "
            "peak RSS in MiB: the largest single process (kernel `ru_maxrss`) and the whole "
            "process tree at its peak (sampled from /proc every 0.1 s).\n"
        )
        add("| | wall s | CPU s | CPU / wall | peak RSS, largest process | peak RSS, tree |")
        add("|---|---:|---:|---:|---:|---:|")

        def row(title: str, samples: list[Sample]) -> None:
            if not samples:
                add(f"| {title} | n/a | | | | |")
                return
            w, cpu = med(x.wall for x in samples), med(x.cpu for x in samples)
            add(
                f"| {title} | {w:.2f} | {cpu:.2f} | {cpu / w:.2f} | "
                f"{mb(med(x.max_rss_kb for x in samples))} | "
                f"{mb(med(x.tree_rss_kb for x in samples))} |"
            )

        for name in self.reps[0].hand:
            row(f"by hand: `{name}`", [rep.hand[name] for rep in self.reps])
        row("**(1) tools by hand, one after another**", [rep.hand_total for rep in self.reps])
        row("**(2) `secscan scan`, cold cache**", [rep.cold for rep in self.reps if rep.cold])
        row(
            "**(3) `secscan scan`, warm, nothing changed**",
            [rep.warm for rep in self.reps if rep.warm],
        )
        row(
            "**(4) pre-commit, one-file change**",
            [rep.precommit for rep in self.reps if rep.precommit],
        )
        row(
            "**(5) `secscan hook --kind code`, the changed file**",
            [rep.hook for rep in self.reps if rep.hook],
        )
        row(
            "**(6) semgrep's CLI alone on that file, same rules**",
            [rep.semgrep_file for rep in self.reps if rep.semgrep_file],
        )
        files = self.reps[0].files
        if files:
            add(
                "\nSame work: files each code scanner read, "
                + "; ".join(f"{k} {v:,}" for k, v in files.items() if ": bandit" in k)
                + "; "
                + "; ".join(f"{k} {v:,}" for k, v in files.items() if ": semgrep" in k)
                + "."
            )
        add("")
        add(
            f"Ratios: (2)/(1) = {r['cold_vs_hand']:.2f}; (2)/limit = {r['cold_vs_limit']:.2f}; "
            f"(3)/(2) = {r['warm_vs_cold']:.3f}; (5)/(6) = {r['hook_vs_semgrep']:.2f}."
        )
        add(
            "\nAll runs (wall s): "
            + "; ".join(
                f"run {i + 1}: by hand {rep.hand_total.wall:.1f}, cold "
                f"{_w(rep.cold)}, warm {_w(rep.warm)}, pre-commit {_w(rep.precommit)}, "
                f"hook {_w(rep.hook)}"
                for i, rep in enumerate(self.reps)
            )
        )

        add(
            f"\nCPU: (2)/(1) = {_cpu_ratio(self.reps, 'cold')}, (3)/(2) = "
            f"{_cpu_ratio(self.reps, 'warm', 'cold')}. Outside load shares the cores per "
            "thread, so under load a run with more processes at once gets a larger share: "
            "the CPU columns do not depend on load, the wall columns do."
        )
        self._overhead(add)
        self._scanners(add)
        self._jobs(add)
        self._render(add)
        self._method(add)
        if self.profiles:
            add("\n## Profiles\n")
            for title, text in self.profiles.items():
                add(f"### {title}\n")
                add("```text")
                add(text.rstrip())
                add("```\n")
        return "\n".join(L).rstrip() + "\n"

    def _targets(self, add: Any, r: dict[str, float]) -> None:
        hand = med(x.hand_total.wall for x in self.reps)
        cold = med(x.cold.wall for x in self.reps if x.cold)
        limit, why = self.limit()
        hook = med(x.hook.wall for x in self.reps if x.hook)
        alone = med(x.semgrep_file.wall for x in self.reps if x.semgrep_file)
        over = med(overhead(x.cold_trace).get("overhead", float("nan")) for x in self.reps)
        add("\n## Targets\n")
        add(
            "Issue 17's targets as ratios of this run's own measurements. The limit is "
            "max(slowest tool alone, total tool CPU / cores), both from the tools by hand: no "
            "way of running these tools on this machine finishes sooner.\n"
        )
        add("| target | measured | against | ratio | goal | |")
        add("|---|---:|---:|---:|---:|---|")
        rows = [
            (
                "cold `secscan scan` / tools by hand, one after another (wall)",
                "cold_vs_hand",
                f"{cold:.1f} s",
                f"{hand:.1f} s",
            ),
            (
                "cold `secscan scan` / the limit",
                "cold_vs_limit",
                f"{cold:.1f} s",
                f"{limit:.1f} s ({why})",
            ),
            (
                "warm re-scan, nothing changed / cold (wall)",
                "warm_vs_cold",
                f"{med(x.warm.wall for x in self.reps if x.warm):.1f} s",
                f"{cold:.1f} s",
            ),
            (
                "`secscan hook` on one changed file / semgrep's CLI alone on it, same rules",
                "hook_vs_semgrep",
                f"{hook:.2f} s",
                f"{alone:.2f} s",
            ),
            (
                "secscan's own overhead / cold wall",
                "overhead_share",
                f"{over:.1f} s",
                f"{cold:.1f} s",
            ),
        ]
        for title, key, measured, against in rows:
            add(
                f"| {title} | {measured} | {against} | {r[key]:.3g} | <= {TARGETS[key]:g} | "
                f"{verdict(r[key], TARGETS[key])} |"
            )
        add(
            f"| policy + every report format, 10,000 findings | {r['render_10k_s']:.2f} s | | | "
            f"<= {TARGETS['render_10k_s']:g} s | {verdict(r['render_10k_s'], 1.0)} |"
        )
        same = next((x.same for x in self.reps if x.same), {})
        if same:
            met = "met" if same.get("equal") else "**missed**"
            add(
                f"| findings of the fast path (cold scan) = the reference path "
                f"({', '.join(REFERENCE_SCANNERS)}; {_settings_words()}, no cache) | "
                f"{same['fast']:,} | {same['reference']:,} | | equal sets | "
                f"{met}: {same['verdict']} |"
            )
            for label in ("only_fast", "only_reference"):
                for k in same.get(label, []):
                    add(f"|   {label.replace('_', ' ')}: `{k}` | | | | | |")
        else:
            add(
                "| findings of the fast path = the reference path | | | | equal sets | "
                "not measured |"
            )

    def _overhead(self, add: Any) -> None:
        add("\n## secscan's own overhead\n")
        add(
            "Wall time of `secscan scan` minus the time at least one tool process was running, "
            "split by stage (each stage counted only while no tool ran). Median over the runs.\n"
        )
        add("| stage | cold s | warm s |")
        add("|---|---:|---:|")
        cold = [overhead(rep.cold_trace) for rep in self.reps]
        warm = [overhead(rep.warm_trace) for rep in self.reps]
        keys = [k for k in cold[0] if k not in ("wall",)] if cold and cold[0] else []
        for k in keys:
            add(
                f"| {k} | {med(o.get(k, 0.0) for o in cold):.2f} | "
                f"{med(o.get(k, 0.0) for o in warm):.2f} |"
            )

    def _scanners(self, add: Any) -> None:
        for label in ("cold", "warm"):
            rep = self.median_rep(label)
            trace = getattr(rep, f"{label}_trace")
            runs = {x["scanner"]: x for x in getattr(rep, f"{label}_runs")}
            add(f"\n## Scanners in the median {label} run\n")
            add(
                "Start offset and wall from the probe; *in-process* is the scanner thread's time "
                "outside its tool processes (parsing, cache look-ups, fingerprints).\n"
            )
            add(
                "| scanner | status | starts at s | wall s | in-process s | findings | targets "
                "| cached |"
            )
            add("|---|---|---:|---:|---:|---:|---:|---|")
            for name, start, wall, inproc in scanner_times(trace):
                x = runs.get(name, {})
                add(
                    f"| {name} | {x.get('status', '?')} | {start:.2f} | {wall:.2f} | "
                    f"{inproc:.2f} | {x.get('findings', '?')} | {x.get('targets', '?')} | "
                    f"{x.get('cached', '')} |"
                )
            add(
                "\nTool processes (start offset s, wall s): "
                + "; ".join(
                    f"`{name}` {start:.1f}+{wall:.1f}" for name, start, wall in tool_timeline(trace)
                )
            )

    def _jobs(self, add: Any) -> None:
        runs = [rep.semgrep_jobs for rep in self.reps if rep.semgrep_jobs]
        if not runs:
            return
        where = JOBS_SUBSET[self.corpus.name]
        n = len(list((self.corpus.tree / where).rglob("*.py")))
        add("\n## semgrep --jobs on a busy machine\n")
        add(
            f"Why the pipeline gives each tool only its share of the cores: semgrep as secscan "
            f"runs it (explicit file list, secscan's rule pack) over `{where}` ({n} files), "
            "median of the runs.\n"
        )
        add("| --jobs | wall s | CPU s | peak RSS, tree MiB |")
        add("|---:|---:|---:|---:|")
        for jobs in sorted(runs[0]):
            samples = [r[jobs] for r in runs if jobs in r]
            wall, cpu = med(x.wall for x in samples), med(x.cpu for x in samples)
            add(f"| {jobs} | {wall:.2f} | {cpu:.2f} | {mb(med(x.tree_rss_kb for x in samples))} |")

    def _render(self, add: Any) -> None:
        rb = self.render
        add("\n## Policy and reports at 10,000 findings\n")
        if not rb:
            add("Not measured (render_bench.py failed; see the harness output).")
            return
        add(
            f"`python benchmarks/render_bench.py`: a generated scan of {rb['findings']:,} "
            "findings shaped like real ones (bandit, semgrep, trivy config, secrets, pip-audit, "
            "image), judged by the real policy engine (shipped ISO 27001 / GDPR library, `ci` "
            "profile, three waivers) and rendered by every format in `secscan.report.FORMATS`. "
            f"Median of {rb.get('repeat', 3)} runs per stage, in-process.\n"
        )
        add("| stage | seconds | output |")
        add("|---|---:|---:|")
        for stage, secs in rb["stages"].items():
            size = rb["bytes"].get(stage.removeprefix("render:"))
            add(f"| {stage} | {secs:.3f} | {f'{size / 1e6:.1f} MB' if size else ''} |")
        add(f"| **policy + all formats** | **{rb['policy_and_formats_s']:.2f}** | |")
        if "peak_rss_kb" in rb:
            add(f"\nPeak RSS of the micro-benchmark process: {mb(rb['peak_rss_kb'])} MiB.")

    def _method(self, add: Any) -> None:
        add("\n## How it is measured\n")
        add(
            "- **(1) by hand** runs the tools secscan runs, with the same rules, one after "
            "another, each on the whole tree as a person would (argv lists in "
            "`benchmarks/run.py`, `by_hand()`): `bandit -r`, `semgrep scan --config "
            "policies/semgrep` with the offline flags, `pip-audit -r requirements.txt --no-deps "
            "-s osv` against a local OSV server over the same mirror (started before timing, "
            "in the harness, not timed), `trivy config`, `trivy fs --scanners secret`, and the "
            "two `trivy image --input` runs secscan's image scanner makes offline. The tree has "
            "an empty `.semgrepignore`: without one semgrep skips `tests/` and other folders "
            "by default, and would do a third of the work secscan asks of it. By hand gets "
            "no vulnerability matching for the image (that is secscan's own work against the "
            "OSV mirror, counted against secscan) and writes no reports."
        )
        add(
            "- **(2) cold** is `secscan scan TREE --config secscan.yaml --image-archive "
            "image.tar` with an empty `SECSCAN_CACHE_DIR` (result cache and tool-version memo "
            "both empty), all five report formats, run through `benchmarks/probe.py`, which "
            "calls `secscan.cli.main` in-process and times each tool process and stage."
        )
        add("- **(3) warm** is the same command again, same cache, nothing changed.")
        add(
            "- **(4) pre-commit** appends one line to "
            f"`{self.corpus.precommit_target.relative_to(self.corpus.tree)}`, stages it and "
            "times `pre-commit run` (staged files, as `git commit` runs it) with secscan's "
            "published hooks from `.pre-commit-hooks.yaml` as a local repo (`language: system`, "
            "this venv's secscan), the cache as the warm scan left it. pre-commit's own store "
            "was initialised by an untimed first run, as on a developer's machine."
        )
        add(
            "- Ratios are of medians. Overhead = wall minus the union of the tool processes' "
            "run intervals, so parsing that overlaps another tool's run is not counted."
        )


def _settings_words() -> str:
    return ", ".join(line.strip() for line in reference_settings().splitlines() if ":" in line)


_SAMPLES = ("hand", "semgrep_jobs", "cold", "warm", "precommit", "hook", "semgrep_file")


def _cpu_ratio(reps: list[Rep], num: str, den: str = "hand") -> str:
    def cpu(rep: Rep, key: str) -> float | None:
        sample = rep.hand_total if key == "hand" else getattr(rep, key)
        return sample.cpu if sample is not None else None

    pairs = [(cpu(r, num), cpu(r, den)) for r in reps]
    values = [a / b for a, b in pairs if a is not None and b]
    return f"{med(values):.2f}" if values else "n/a"


def _w(s: Sample | None) -> str:
    return f"{s.wall:.1f}" if s else "n/a"


def _load(t: tuple[float, float, float]) -> str:
    return "/".join(f"{x:.2f}" for x in t)


def _count_pins(req: Path) -> int:
    return sum(1 for ln in req.read_text().splitlines() if "==" in ln and not ln.startswith("#"))


# --- main ------------------------------------------------------------------------------------


def render_bench(work: Path, repeat: int, profile: bool) -> dict[str, Any]:
    out = work / "render.json"
    argv = [sys.executable, str(HERE / "render_bench.py"), "--json", "--repeat", str(repeat)]
    if profile:
        argv += ["--profile-top", "15"]
    s = measure(argv, cwd=REPO, stdout=out)
    try:
        data: dict[str, Any] = json.loads(out.read_text())
    except ValueError:
        _progress(f"render_bench failed: {out.with_suffix('.json.err').read_text()[-2000:]}")
        return {}
    data["peak_rss_kb"] = s.max_rss_kb
    data["repeat"] = repeat
    return data


def osv_server(db: Path) -> AbstractContextManager[str]:
    from secscan.advisories.server import serve
    from secscan.advisories.store import AdvisoryStore

    return serve(AdvisoryStore.open(db))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--quick",
        action="store_true",
        help="small offline corpus (secscan's own source), 1 run, no BENCHMARKS.md",
    )
    ap.add_argument("--reps", type=int, default=None, help="repetitions (default 3; quick 1)")
    ap.add_argument(
        "--corpus-dir",
        type=Path,
        default=None,
        help=f"where the corpus is built and kept (default {corpus_mod.default_dir()})",
    )
    ap.add_argument(
        "--output",
        type=Path,
        default=None,
        help="write the report here (default BENCHMARKS.md; quick: stdout only)",
    )
    ap.add_argument("--no-profile", action="store_true", help="skip the profiles of missed targets")
    ap.add_argument(
        "--short",
        action="store_true",
        help="the full corpus, 1 run, no profiles, no semgrep --jobs table (under 10 minutes); "
        "writes BENCHMARKS.md",
    )
    ap.add_argument(
        "--report-only",
        action="store_true",
        help="write the report again from the last run's saved measurements (no measuring)",
    )
    ns = ap.parse_args(argv)
    reps = ns.reps or (1 if ns.quick or ns.short else 3)
    no_profile = ns.no_profile or ns.short
    output = ns.output or (None if ns.quick else REPO / "BENCHMARKS.md")
    command = (
        "python benchmarks/run.py"
        + (" --quick" if ns.quick else "")
        + (" --short" if ns.short else "")
        + (f" --reps {ns.reps}" if ns.reps else "")
    )

    c = corpus_mod.build(ns.corpus_dir, quick=ns.quick)
    saved = c.tree.parent / "last-run.json"
    if ns.report_only:
        text = Report.from_json(json.loads(saved.read_text()), c).markdown()
        return _emit(text, output)
    stats = c.stats()
    load_before = os.getloadavg()
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    t0 = time.monotonic()
    _progress(f"corpus {c.name}: {stats}; load {_load(load_before)}")
    work = Path(tempfile.mkdtemp(prefix="secscan-bench-"))
    try:
        hooks = precommit_config(c, work / "pre-commit-config.yaml")
        if hooks is not None:  # pre-commit's store is set up once, untimed, as on a dev machine
            precommit_once(-1, c, hooks, {"SECSCAN_CACHE_DIR": str(work / "warmup-cache")}, work)
        results: list[Rep] = []
        with osv_server(c.advisory_db) as url:
            steps = by_hand(c, semgrep_rules(), url)
            for n in range(reps):
                _progress(f"run {n + 1}/{reps} (load {os.getloadavg()[0]:.2f})")
                results.append(run_rep(n, c, steps, work, hooks, jobs_table=not ns.short))
        _progress("policy + formats at 10,000 findings ...")
        render = render_bench(work, 3, profile=not no_profile)
        report = Report(
            command=command,
            reps=results,
            corpus=c,
            stats=stats,
            render=render,
            machine=machine(),
            versions=versions(),
            load_before=load_before,
            load_after=os.getloadavg(),
            started=started,
            duration_s=time.monotonic() - t0,
        )
        if not no_profile:
            report.profiles = profiles(report, c, work)
        saved.write_text(json.dumps(report.to_json()))
        text = report.markdown()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return _emit(text, output)


def _emit(text: str, output: Path | None) -> int:
    if output is not None:
        output.write_text(text)
        _progress(f"wrote {output}")
    else:
        print(text)
    return 0


def profiles(report: Report, c: corpus_mod.Corpus, work: Path) -> dict[str, str]:
    """cProfile (every thread) of the runs whose target was missed, taken after the timed runs
    so the profiler's own cost never reaches the table."""
    r = report.ratios()
    out: dict[str, str] = {}
    cache = work / "profile-cache"
    env = {"SECSCAN_CACHE_DIR": str(cache)}
    need_cold = (
        r["cold_vs_hand"] > TARGETS["cold_vs_hand"]
        or r["cold_vs_limit"] > TARGETS["cold_vs_limit"]
        or r["overhead_share"] > TARGETS["overhead_share"]
    )
    cold = profiled(scan_argv(c, work / "p.trace", work / "p-out"), c.tree, env, work / "cold.prof")
    if need_cold:
        out["cold `secscan scan` (cProfile, all threads, by cumulative time)"] = profile_text(cold)
    if r["warm_vs_cold"] > TARGETS["warm_vs_cold"]:
        warm = profiled(
            scan_argv(c, work / "p.trace", work / "p-out"), c.tree, env, work / "warm.prof"
        )
        out["warm `secscan scan` (cProfile, all threads, by cumulative time)"] = profile_text(warm)
    if r["hook_vs_semgrep"] > TARGETS["hook_vs_semgrep"]:
        rel = c.precommit_target.relative_to(c.tree).as_posix()
        original = c.precommit_target.read_bytes()
        try:
            c.precommit_target.write_bytes(original + b"# profiled edit\n")
            trace = work / "hook.trace"
            prof = profiled(hook_argv(c, trace, [rel]), c.tree, env, work / "hook.prof")
            data = _trace(trace)
            timeline = tool_timeline({**data, "spawned": data.get("t0", 0.0)})
            lines = [f"{name}: starts {at:.2f} s, runs {wall:.2f} s" for name, at, wall in timeline]
            out["`secscan hook --kind code` on the changed file: tool processes"] = (
                "\n".join(lines) or "(no trace)"
            )
            out["`secscan hook --kind code` (cProfile, all threads)"] = profile_text(prof)
        finally:
            c.precommit_target.write_bytes(original)
    if r["render_10k_s"] > TARGETS["render_10k_s"]:
        for stage, text in (report.render.get("profiles") or {}).items():
            out[f"10,000 findings: `{stage}` (cProfile, by own time)"] = text
    return out


if __name__ == "__main__":
    sys.exit(main())
