"""A scanner that is missing, crashes, hangs or prints garbage is an error, never a clean result."""

from collections.abc import Callable
from pathlib import Path

import pytest

from secscan.model import results

VERSION = 'if [ "$1" = "--version" ]; then echo "bandit 9.9.9"; exit 0; fi\n'


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "app.py").write_text("print('hello')\n")
    (root / ".secscan.yaml").write_text("version: 1\nscanners: [bandit]\ntimeouts: {bandit: 2}\n")
    return root


def _scan(run_cli: Callable[..., object], root: Path, out: Path):  # type: ignore[no-untyped-def]
    res = run_cli("scan", str(root), "--output-dir", str(out))
    saved = results.loads((out / "secscan-results.json").read_text())
    return res, saved.result.runs[0]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (None, "cannot execute"),
        (VERSION + "echo 'Traceback: boom' >&2; exit 2", "exited with code 2"),
        (VERSION + "sleep 30", "did not finish within 2 s"),
        (VERSION + "echo '{\"results\": [trunc'; exit 1", "not bandit JSON"),
        (VERSION + "echo 'this is not json at all'; exit 0", "not bandit JSON"),
        (VERSION + "kill -9 $$", "killed by signal SIGKILL"),
        (VERSION + "echo '{\"results\": []}'; exit 0", "not analyzed: app.py"),
        (
            VERSION + 'echo \'{"results": [], "errors": [], "metrics": {}}\'; exit 1',
            "exited 1 (issues found) but reported no result",
        ),
    ],
    ids=[
        "missing",
        "unexpected-exit",
        "timeout",
        "truncated-json",
        "garbage",
        "signal",
        "empty-document",
        "exit-1-no-results",
    ],
)
def test_broken_scanner_exits_3_with_reason(
    tree: Path, tmp_path: Path, run_cli, fake_tool, monkeypatch: pytest.MonkeyPatch, body, reason
) -> None:
    if body is None:
        monkeypatch.setenv("SECSCAN_TOOL_BANDIT", str(tmp_path / "no-such-bandit"))
    else:
        fake_tool("bandit", body)
    res, run = _scan(run_cli, tree, tmp_path / "out")
    assert res.code == 3
    assert run.status.value == "error"
    assert run.scanner == "bandit"
    assert reason in (run.error or "")
    assert "bandit" in res.out and "ERROR" in res.out
    assert run.findings == ()


def test_clean_fake_output_passes(tree: Path, tmp_path: Path, run_cli, fake_tool) -> None:
    """The same harness with a well-behaved tool passes: the cases above fail for their reason.

    Well-behaved means it also says it read the file it was given (bandit's per-file metrics).
    """
    fake_tool(
        "bandit",
        VERSION + 'for a; do last="$a"; done\n'
        'echo "{\\"results\\": [], \\"errors\\": [], \\"metrics\\": {\\"$last\\": {}}}"; exit 0',
    )
    res, run = _scan(run_cli, tree, tmp_path / "out")
    assert run.status.value == "ok", run.error
    assert run.tool_version == "9.9.9"
    assert res.code == 0


@pytest.mark.parametrize(
    ("scanner", "tool", "files", "body", "reason"),
    [
        (
            "semgrep",
            "semgrep",
            {"app.py": "print(1)\n"},
            'if [ "$1" = "--version" ]; then echo 1.185.0; exit 0; fi\necho \'{"results": []}\'',
            "does not say which files it analyzed",
        ),
        (
            "semgrep",
            "semgrep",
            {"app.py": "print(1)\n"},
            'if [ "$1" = "--version" ]; then echo 1.185.0; exit 0; fi\n'
            'echo \'{"results": [], "errors": [], "paths": {"scanned": []}}\'; exit 1',
            "exited 1 but reported no result",
        ),
        (
            "iac",
            "trivy",
            {"Dockerfile": "FROM alpine:3.19\n", "main.tf": 'variable "x" {}\n'},
            'if [ "$1" = "--version" ]; then echo "Version: 0.76.0"; exit 0; fi\n'
            'echo \'{"SchemaVersion": 2, "Results": []}\'',
            "not analyzed: Dockerfile, main.tf",
        ),
    ],
    ids=["semgrep-empty-document", "semgrep-exit-1-nothing", "trivy-empty-results"],
)
def test_an_empty_document_for_real_targets_exits_3(
    tmp_path: Path,
    run_cli,
    fake_tool,
    scanner: str,
    tool: str,
    files: dict[str, str],
    body: str,
    reason: str,
) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    for name, text in files.items():
        (root / name).write_text(text)
    (root / ".secscan.yaml").write_text(f"version: 1\nscanners: [{scanner}]\n")
    fake_tool(tool, body)
    res, run = _scan(run_cli, root, tmp_path / "out")
    assert res.code == 3, res.out
    assert run.status.value == "error" and run.scanner == scanner
    assert reason in (run.error or "")
