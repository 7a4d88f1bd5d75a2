"""No Python source is parsed or tokenized by two threads at once (CPython 3.11's `ast.parse`
is not thread-safe), and the parallel pipeline holds up on a machine whose cores are busy."""

from __future__ import annotations

import ast
import gc
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from secscan import scanners
from secscan.model.findings import Finding, FindingKind, Location, RunStatus, Severity
from secscan.scan import pipeline
from secscan.scanners.base import ScanContext, ScanOutcome, ToolScanner
from secscan.scanners.registry import ScannerRegistry
from secscan.settings.config import Config
from secscan.util import pysource as _python

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "secscan"
#: The one module allowed to call the parser and the tokenizer (behind its lock).
GUARDED = PACKAGE / "util" / "pysource.py"
#: Calls that build a Python AST or tokenize source.
UNSAFE = {
    ("ast", "parse"),
    ("ast", "literal_eval"),
    ("tokenize", "tokenize"),
    ("tokenize", "generate_tokens"),
    ("tokenize", "open"),
}


def _unsafe_calls(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in {"ast", "tokenize"}:
            for alias in node.names:
                if (node.module, alias.name) in UNSAFE:
                    yield f"{path.relative_to(REPO)}:{node.lineno}: from {node.module} import"
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in {"compile", "exec", "eval"}:
            yield f"{path.relative_to(REPO)}:{node.lineno}: {func.id}()"
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and (func.value.id, func.attr) in UNSAFE
        ):
            yield f"{path.relative_to(REPO)}:{node.lineno}: {func.value.id}.{func.attr}()"


def test_python_source_is_parsed_and_tokenized_only_behind_the_lock() -> None:
    found = [hit for p in sorted(PACKAGE.rglob("*.py")) if p != GUARDED for hit in _unsafe_calls(p)]
    assert found == [], "parse/tokenize through secscan.util.pysource (one thread at a time)"
    assert list(_unsafe_calls(GUARDED))  # the guard sees the calls it is there to find


# --- the pipeline under load -------------------------------------------------------------

#: Each file is nested deep enough that building its AST recurses far (the 3.11 bug is a
#: recursion-depth counter shared by every thread).
_NESTED = "x = " + "(" * 60 + "1" + ")" * 60 + "\n"


class _Code(ToolScanner):
    """A file-local scanner behind the real interface that runs no process: one finding on
    line 1 of every file, so every file is parsed to fingerprint it, in whichever thread the
    pipeline runs the scanner or its shard."""

    name: ClassVar[str] = "code"
    kind: ClassVar[FindingKind] = FindingKind.CODE
    executable: ClassVar[str] = "code"
    file_local: ClassVar[bool] = True

    def applies_to(self, path: str) -> bool:
        return True

    def version(self) -> str:
        return "1.0"

    def scan(self, ctx: ScanContext) -> ScanOutcome:
        return ScanOutcome(
            findings=tuple(
                Finding(self.name, "R1", "t", "m", Severity.LOW, self.kind, Location(t, 1))
                for t in ctx.targets
            )
        )


class _Whole(_Code):
    """A second scanner, not split, fingerprinting the same files at the same time."""

    name: ClassVar[str] = "whole"
    file_local: ClassVar[bool] = False


def _burners(seconds: float) -> list[subprocess.Popen[bytes]]:
    """Two processes that keep a core each busy, each ending by itself after `seconds`."""
    spin = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass"
    return [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(2)]


def _collector_yields_the_gil(phase: str, info: dict[str, int]) -> None:
    """What a finalizer that closes a pipe or a file does when the collector runs it: give
    the GIL away. The collector runs in whichever thread allocates, in the middle of building
    an AST too, so another thread gets to parse before that AST is finished."""
    if phase == "start":
        time.sleep(0.0002)


@pytest.fixture
def collector_yields_the_gil() -> Iterator[None]:
    # The collector holds on to its own list: it is changed in place, never replaced.
    gc.callbacks.append(_collector_yields_the_gil)
    try:
        yield
    finally:
        gc.callbacks.remove(_collector_yields_the_gil)


@pytest.mark.usefixtures("collector_yields_the_gil")
def test_threads_at_different_depths_parse_at_once_without_a_mismatch() -> None:
    """The 3.11 failure itself: AST building counts its recursion in state every thread
    shares, from each caller's own stack depth; a thread that parses while another one's AST
    is half built leaves that one's count wrong (SystemError "AST constructor recursion depth
    mismatch"). With `ast.parse` in place of `_python.parse` this fails within a few hundred
    parses on CPython 3.11; through the lock every parse succeeds."""
    source = _NESTED * 50
    errors: list[BaseException] = []

    def parse_at(depth: int) -> None:
        if depth:
            return parse_at(depth - 1)
        for _ in range(60):
            try:
                _python.parse(source)
            except SystemError as e:
                errors.append(e)
                return

    threads = [threading.Thread(target=parse_at, args=(d,)) for d in (0, 9, 23)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.usefixtures("collector_yields_the_gil")
def test_the_parallel_pipeline_holds_under_two_cpu_burners(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "tree"
    names = [f"pkg{i % 5}/m{i:04d}.py" for i in range(2 * pipeline.SHARD_MIN_TARGETS + 40)]
    for rel in names:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(_NESTED * 3)
    monkeypatch.setattr(
        scanners, "installed", lambda: ScannerRegistry({"code": _Code, "whole": _Whole})
    )
    monkeypatch.setattr(pipeline, "memory_slots", lambda: 8)
    # Two scanners on two cores: `code` is split in two shards, so three threads fingerprint
    # (parse) files at once while the burners take the cores.
    config = Config(scanners=("code", "whole"), jobs=2, cache=False)
    burners = _burners(seconds=120)
    try:
        time.sleep(0.2)  # the burners are spinning before the scan starts
        for _ in range(2):
            result = pipeline.scan(root, config)
            assert [(r.scanner, r.status, r.error) for r in result.runs] == [
                ("code", RunStatus.OK, None),
                ("whole", RunStatus.OK, None),
            ]
            for run in result.runs:
                assert sorted(f.location.path for f in run.findings) == sorted(names)
                assert all(f.fingerprint for f in run.findings)
    finally:
        for p in burners:
            p.kill()
            p.wait()


def test_a_comment_assignment_read_while_tokenizing_does_not_wait_on_itself() -> None:
    """The redactor streams a file's tokens under the parse lock and, for a comment such as
    `# password = "…'…\\"…"`, tokenizes the quoted value to find where Python ends it: the
    same thread takes the lock twice. With a plain lock this hung forever (found when the
    streaming pass and the literal reader met in one merge)."""
    from secscan.model import redact

    source = 'x = 1\n# password = "hXOtI\'MjBTWE\\"fRFW9!oIWz" more\n'
    found: list[object] = []
    worker = threading.Thread(target=lambda: found.append(redact.find_python(source)), daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "find_python waited on the parse lock it already held"
    (spans,) = found
    assert [source[s.start : s.end] for s in spans] == ["hXOtI'MjBTWE\\\"fRFW9!oIWz"]  # type: ignore[attr-defined]
