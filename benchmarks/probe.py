"""Run the secscan CLI in-process with timers on every tool call and stage, for run.py.

`python benchmarks/probe.py TRACE.json scan ...` behaves like `secscan scan ...` and writes
where the time went: each tool process (start, end) and each secscan stage, on the
system-wide monotonic clock the harness also reads. Overhead is then the wall time minus the
time at least one tool was running. With SECSCAN_BENCH_PROFILE=FILE it also writes a cProfile
of every thread (the scanners run in a thread pool, which a plain `python -m cProfile` misses).
"""

from __future__ import annotations

import time

T0 = time.monotonic()  # before secscan is imported: import time is overhead too

import cProfile  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import pstats  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

Event = tuple[str, float, float, int]
EVENTS: list[Event] = []
_LOCK = threading.Lock()


def _timed(owner: Any, attr: str, label: Callable[..., str]) -> None:
    original = getattr(owner, attr)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.monotonic()
        try:
            return original(*args, **kwargs)
        finally:
            with _LOCK:
                EVENTS.append(
                    (label(*args, **kwargs), start, time.monotonic(), threading.get_ident())
                )

    setattr(owner, attr, wrapper)


def _tool_label(argv: Any, *_: Any, **__: Any) -> str:
    words = [str(a) for a in argv]
    name = Path(words[0]).name
    if "--version" in words:
        return f"tool:{name} --version"
    sub = next((w for w in words[1:3] if w.isalpha() and w.islower()), "")  # a subcommand
    if name == "trivy" and "--scanners" in words:
        sub += " " + words[words.index("--scanners") + 1]
    return f"tool:{name} {sub}".rstrip()


#: (module, attribute, label): the stages timed. A stage another developer has moved or
#: renamed is skipped (and listed in the trace), never a crash of the benchmark.
STAGES: tuple[tuple[str, str, Callable[..., str]], ...] = (
    ("secscan._subprocess", "run", _tool_label),
    ("secscan.pipeline", "scan", lambda *a, **k: "pipeline"),
    ("secscan.pipeline", "discover", lambda *a, **k: "discover"),
    ("secscan.pipeline", "_run_scanner", lambda s, *a, **k: f"scanner:{s.name}"),
    ("secscan.pipeline", "git_commit", lambda *a, **k: "git"),
    ("secscan.fingerprint", "assign", lambda *a, **k: "fingerprint"),
    ("secscan.flaws", "one_per_flaw", lambda *a, **k: "flaws"),
    ("secscan.redact", "Redactor.result", lambda *a, **k: "redact:result"),
    ("secscan.vcs", "provenance", lambda *a, **k: "provenance"),
    ("secscan.policy.judge", "resolve", lambda *a, **k: "policy:load"),
    ("secscan.policy.judge", "judge", lambda *a, **k: "policy:judge"),
    ("secscan.report", "Format.render", lambda fmt, *a, **k: f"render:{fmt.name}"),
    ("secscan.cli.scan", "write_reports", lambda *a, **k: "reports"),
    ("secscan.cli.scan", "summary", lambda *a, **k: "summary"),
    ("secscan.cli.views.compact", "render", lambda *a, **k: "summary"),
)


def instrument() -> list[str]:
    """Wrap the stages by their module attributes: the CLI and the pipeline look them up
    at call time, so the wrappers see every call without changing secscan's code.

    Returns the stages that could not be found.
    """
    import importlib

    import secscan.cli  # noqa: F401 - registers the subcommands, importing their modules

    missing = []
    for module, attr, label in STAGES:
        try:
            owner: Any = importlib.import_module(module)
            *path, name = attr.split(".")
            for part in path:
                owner = getattr(owner, part)
            if not callable(getattr(owner, name, None)):
                raise AttributeError(attr)
        except (ImportError, AttributeError):
            missing.append(f"{module}.{attr}")
            continue
        _timed(owner, name, label)
    return missing


class _ThreadProfiles:
    """One cProfile per thread, merged at the end."""

    def __init__(self) -> None:
        self.profiles: list[cProfile.Profile] = []

    def start(self) -> None:
        def begin(*_: Any) -> None:
            sys.setprofile(None)
            p = cProfile.Profile()
            with _LOCK:
                self.profiles.append(p)
            p.enable()

        threading.setprofile(begin)
        main = cProfile.Profile()
        self.profiles.append(main)
        main.enable()

    def dump(self, path: str) -> None:
        self.profiles[0].disable()
        stats = pstats.Stats(self.profiles[0])
        for p in self.profiles[1:]:
            stats.add(p)
        stats.dump_stats(path)


def main(argv: list[str]) -> int:
    trace, args = argv[0], argv[1:]
    imported = time.monotonic()
    missing = instrument()
    from secscan.cli import main as secscan_main

    ready = time.monotonic()
    profile_to = os.environ.get("SECSCAN_BENCH_PROFILE")
    profiles = _ThreadProfiles() if profile_to else None
    if profiles:
        profiles.start()
    code = 99
    try:
        code = secscan_main(args)
    finally:
        end = time.monotonic()
        if profiles and profile_to:
            profiles.dump(profile_to)
        Path(trace).write_text(
            json.dumps(
                {
                    "t0": T0,
                    "imported": imported,
                    "ready": ready,
                    "end": end,
                    "exit_code": code,
                    "not_timed": missing,
                    "events": sorted(EVENTS, key=lambda e: e[1]),
                }
            )
        )
    return code


#: The probe's own failure, told apart from secscan's exit codes (0-3) by the harness.
PROBE_FAILED = 97

if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Exception:
        import traceback

        traceback.print_exc()
        sys.exit(PROBE_FAILED)
