"""Recall on bandit's own examples: every HIGH bandit finding in source scope fails `ci`.

bandit ships the code its tests are written against in `examples/` of its sdist (downloaded
once with `pip download --no-deps --no-binary :all: bandit==<installed version>` into a
cache directory outside the repository). The files are copied into `app/` of a fresh tree, so
they are source scope, and scanned as a new user would: no config but `scanners: [bandit,
semgrep]`, the `ci` profile. A raw `bandit --ignore-nosec` run of the same tree says which
findings bandit rates HIGH; the benchmark then checks, for each, that a failing finding of
secscan's result carries it (as its own report or a merged source).

A HIGH finding that does not fail is either proven safe by a rule of a trusted rule set (the
flaw's rating names that rule: each such case is printed, and each has an `ok:` test in the
pack's test files), or a recall miss. The benchmark exits 1 on any miss.

    python benchmarks/recall.py            # prints the numbers and the proven-safe list
    python benchmarks/recall.py --write    # also writes its section of BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

import platformdirs

REPO = Path(__file__).resolve().parent.parent
MARK_BEGIN = "<!-- recall:begin -->"
MARK_END = "<!-- recall:end -->"


def examples(cache: Path) -> tuple[str, Path]:
    """bandit's version and the `examples/` directory of its sdist, downloaded once."""
    ver = dist_version("bandit")
    src = cache / f"bandit-{ver}"
    if not src.is_dir():
        archive = cache / f"bandit-{ver}.tar.gz"
        if not archive.exists():
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "-q", "--no-deps"]
                + ["--no-binary", ":all:", f"bandit=={ver}", "-d", str(cache)],
                check=True,
            )
        with tarfile.open(archive) as tf:
            tf.extractall(cache, filter="data")
    return ver, src / "examples"


def bandit_high(tree: Path) -> list[dict[str, Any]]:
    """Raw bandit's HIGH findings, every `# nosec` ignored (as secscan runs it)."""
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("bandit")),
            "-r",
            "-f",
            "json",
            "-q",
            "--ignore-nosec",
            "app",
        ],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    data = json.loads(proc.stdout)
    return [r for r in data["results"] if r["issue_severity"] == "HIGH"]


def _shape(line: str) -> str:
    """A statement compared by shape: quotes and spaces folded."""
    return "".join(line.replace("'", '"').split())


def ok_case(statement: str) -> str | None:
    """Where the pack's test files hold this statement under an `ok:` annotation of a rule
    that reports the flaw (its audit or taint rule)."""
    want = _shape(statement)
    # An `ok:` of a proof rule (proofs.py) says the proof does not hold: not a safe case.
    for test_file in sorted((REPO / "policies" / "semgrep").rglob("*.py")):
        if test_file.name == "proofs.py":
            continue
        lines = test_file.read_text(encoding="utf-8").splitlines()
        for n, line in enumerate(lines):
            if _shape(line) != want:
                continue
            above = n - 1
            while above >= 0 and lines[above].strip().startswith("#"):
                if "# ok:" in lines[above]:
                    return f"{test_file.relative_to(REPO)}:{n + 1}"
                above -= 1
    return None


def secscan_ci(tree: Path, out: Path) -> tuple[int, dict[str, Any]]:
    env = {**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "secscan", "scan", str(tree), "--profile", "ci"]
        + ["--output-dir", str(out), "--no-cache", "-q"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    data = json.loads((out / "secscan-results.json").read_text(encoding="utf-8"))
    return proc.returncode, data


def measure(src: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="secscan-recall-") as tmp:
        tree = Path(tmp) / "tree"
        shutil.copytree(src, tree / "app")
        (tree / ".secscan.yaml").write_text("scanners: [bandit, semgrep]\n", encoding="utf-8")
        high = bandit_high(tree)
        t0 = time.monotonic()
        code, data = secscan_ci(tree, Path(tmp) / "out")
        seconds = time.monotonic() - t0
    result, decision = data["result"], data.get("decision") or {}
    failing = set(decision.get("failing_fingerprints") or ())
    # Each bandit report, keyed by (path, line, test id), with the flaw that carries it.
    carried: dict[tuple[str, int, str], dict[str, Any]] = {}
    for run in result["runs"]:
        for f in run["findings"]:
            loc = f["location"]
            sources = [(f["scanner"], f["rule_id"])] + [
                (s["scanner"], s["rule_id"]) for s in f.get("also_reported_by") or ()
            ]
            for scanner, rule in sources:
                if scanner == "bandit":
                    carried.setdefault((loc["path"], loc["start_line"], rule), f)
    misses, proven, gating, not_source = [], [], 0, 0
    for r in high:
        key = (r["filename"], r["line_number"], r["test_id"])
        f = carried.get(key)
        where = f"{r['filename']}:{r['line_number']} {r['test_id']}"
        location = f"`{where}`"
        if f is None:
            misses.append(f"`{where}`: not in secscan's results")
            continue
        if f.get("scope", "source") != "source":
            not_source += 1
            continue
        if f["fingerprint"] in failing:
            gating += 1
            continue
        rating = f.get("rating") or {}
        if rating.get("proven_safe"):
            statement = (
                (src / r["filename"].removeprefix("app/"))
                .read_text(encoding="utf-8")
                .splitlines()[r["line_number"] - 1]
            )
            case = ok_case(statement)
            text = (
                f"{location} `{statement.strip()}`: {f['severity']} by {rating.get('scanner')} "
                f"{rating.get('rule_id')} ({rating.get('reason')}); `ok:` case: {case}"
            )
            (proven if case else misses).append(text if case else f"{text} (no `ok:` test)")
        else:
            why = "suppressed inline" if f.get("suppression") else f"rated {f['severity']}"
            misses.append(f"`{where}`: does not fail ({why})")
    return {
        "files": sum(1 for p in src.rglob("*.py")),
        "high": len(high),
        "by_test": Counter(r["test_id"] for r in high),
        "gating": gating,
        "not_source": not_source,
        "proven": proven,
        "misses": misses,
        "exit": code,
        "seconds": seconds,
    }


def section(ver: str, m: dict[str, Any]) -> str:
    lines = [
        MARK_BEGIN,
        f"bandit {ver} `examples/` ({m['files']} files, copied to `app/`, source scope), "
        f"`secscan scan --profile ci` with bandit and semgrep (exit {m['exit']}, "
        f"{m['seconds']:.1f} s):",
        "",
        "| bandit HIGH findings | fail `ci` | proven safe by a trusted rule | not source scope "
        "| misses |",
        "|---:|---:|---:|---:|---:|",
        f"| {m['high']} | {m['gating']} | {len(m['proven'])} | {m['not_source']} "
        f"| {len(m['misses'])} |",
        "",
    ]
    if m["proven"]:
        lines += ["Proven safe (each has an `ok:` case in policies/semgrep):", ""]
        lines += [f"- {p}" for p in m["proven"]]
        lines.append("")
    if m["misses"]:
        lines += ["Misses:", ""] + [f"- {p}" for p in m["misses"]] + [""]
    lines.append(MARK_END)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = ap.parse_args(argv)
    cache = Path(platformdirs.user_cache_dir("secscan-bench"))
    cache.mkdir(parents=True, exist_ok=True)
    ver, src = examples(cache)
    m = measure(src)
    text = section(ver, m)
    print(text)
    if args.write:
        bench = REPO / "BENCHMARKS.md"
        doc = bench.read_text(encoding="utf-8")
        if MARK_BEGIN in doc:
            head, rest = doc.split(MARK_BEGIN, 1)
            doc = head + text + rest.split(MARK_END, 1)[1]
        else:
            doc = doc.rstrip("\n") + "\n\n## Recall on bandit's examples\n\n" + text + "\n"
        bench.write_text(doc, encoding="utf-8")
    return 1 if m["misses"] else 0


if __name__ == "__main__":
    sys.exit(main())
