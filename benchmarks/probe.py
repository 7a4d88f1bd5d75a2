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
import importlib.abc  # noqa: E402
import importlib.machinery  # noqa: E402
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
    ("secscan.util.proc", "run", _tool_label),
    ("secscan.cli", "load", lambda *a, **k: "command imports"),
    ("secscan.app.registry", "Registry.load_config", lambda *a, **k: "config"),
    ("secscan.cli.scan", "with_tree_warnings", lambda *a, **k: "tree warnings"),
    ("secscan.cli.scan", "record_run", lambda *a, **k: "history"),
    ("secscan.scan.pipeline", "scan", lambda *a, **k: "pipeline"),
    ("secscan.scan.pipeline", "discover", lambda *a, **k: "discover"),
    ("secscan.scan.pipeline", "_run_scanner", lambda s, *a, **k: f"scanner:{s.name}"),
    # A sharded scanner's processes run on threads of their own: this labels them with it.
    ("secscan.scanners.base", "ToolScanner.execute", lambda s, *a, **k: f"exec:{s.name}"),
    ("secscan.scan.pipeline", "git_commit", lambda *a, **k: "git"),
    ("secscan.model.fingerprint", "assign", lambda *a, **k: "fingerprint"),
    ("secscan.scan.flaws", "one_per_flaw", lambda *a, **k: "flaws"),
    ("secscan.model.redact", "Redactor.result", lambda *a, **k: "redact:result"),
    ("secscan.workspace.vcs", "provenance", lambda *a, **k: "provenance"),
    ("secscan.policy.judge", "resolve", lambda *a, **k: "policy:load"),
    ("secscan.policy.judge", "judge", lambda *a, **k: "policy:judge"),
    ("secscan.report", "Format.render", lambda fmt, *a, **k: f"render:{fmt.name}"),
    ("secscan.cli.scan", "write_reports", lambda *a, **k: "reports"),
    ("secscan.cli.scan", "summary", lambda *a, **k: "summary"),
    ("secscan.cli.views.compact", "render", lambda *a, **k: "summary"),
)


def _wrap(
    owner: Any, module: str, attr: str, label: Callable[..., str], missing: list[str]
) -> None:
    try:
        *path, name = attr.split(".")
        for part in path:
            owner = getattr(owner, part)
        if not callable(getattr(owner, name, None)):
            raise AttributeError(attr)
    except AttributeError:
        missing.append(f"{module}.{attr}")
        return
    _timed(owner, name, label)


class _WrapOnImport(importlib.abc.MetaPathFinder):
    """Wraps a stage's module when the command itself imports it, so the probe imports
    nothing the command would not (the CLI loads each command's modules lazily)."""

    def __init__(self, pending: dict[str, list[tuple[str, Callable[..., str]]]]) -> None:
        self.pending = pending
        self.missing: list[str] = []

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name not in self.pending:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        loader: Any = spec.loader
        run = loader.exec_module

        def exec_module(module: Any) -> None:
            run(module)
            for attr, label in self.pending.pop(name, ()):
                _wrap(module, name, attr, label, self.missing)

        loader.exec_module = exec_module
        return spec


def instrument() -> _WrapOnImport:
    """Wrap the stages by their module attributes: the CLI and the pipeline look them up
    at call time, so the wrappers see every call without changing secscan's code. A module
    not imported yet is wrapped when it is.

    Returns the import hook; its `missing` lists the stages that could not be found.
    """
    pending: dict[str, list[tuple[str, Callable[..., str]]]] = {}
    hook = _WrapOnImport(pending)
    for module, attr, label in STAGES:
        if module in sys.modules:
            _wrap(sys.modules[module], module, attr, label, hook.missing)
        else:
            pending.setdefault(module, []).append((attr, label))
    sys.meta_path.insert(0, hook)
    return hook


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
    hook = instrument()
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
                    "not_timed": hook.missing,
                    "not_imported": sorted(hook.pending),
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
