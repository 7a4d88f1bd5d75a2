"""Hostile files and names end in a clear error or a clean report, never a traceback.

Every case runs the real CLI in a subprocess (`python -m secscan`), so an uncaught exception
shows as what a user sees: a traceback on stderr and exit code 1.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from secscan.model import results
from secscan.model.results import SavedResults
from secscan.report import html, markdown, sarif

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "reports" / "samples" / "secscan-results.json"
OSV = REPO / "tests" / "data" / "osv" / "PyPI"
DEEP = 100_000
FLAW = "import subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n"
#: Raw terminal controls: ESC (a colour/title sequence), BEL, and a C1 CSI.
HOSTILE_NAME = "evil\x1b]0;owned\x07\x9b31m.py"


def secscan(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "secscan", *argv],
        capture_output=True,
        timeout=300,
        cwd=cwd,
        env=env,
        check=False,
    )


def no_traceback(done: subprocess.CompletedProcess[bytes]) -> str:
    err = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    return err


def _results_with(tmp_path: Path, edit: str | Callable[[str], str]) -> Path:
    """The committed sample results file with one textual edit."""
    text = SAMPLE.read_text(encoding="utf-8")
    path = tmp_path / "secscan-results.json"
    path.write_text(edit(text) if callable(edit) else edit, encoding="utf-8")
    return path


FROM_COMMANDS = [
    ("report", "--format", "markdown"),
    ("gate",),
    ("compliance", "--framework", "iso27001-2022", "-o", "-"),
]


@pytest.mark.parametrize("command", FROM_COMMANDS, ids=lambda c: c[0])
def test_deeply_nested_results_file_is_exit_2(tmp_path: Path, command: tuple[str, ...]) -> None:
    deep = '{"schema": "secscan-results", "schema_version": 1, "result": '
    path = _results_with(tmp_path, deep + "[" * DEEP + "]" * DEEP + "}")
    done = secscan(command[0], "--from", str(path), *command[1:], cwd=tmp_path)
    err = no_traceback(done)
    assert done.returncode == 2, err
    assert "nested deeper than 64 levels" in err


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda t: t.replace('"root": "', '"root": "\\ud800', 1), "lone surrogate (\\ud800)"),
        (lambda t: t.replace('"duration_s": ', '"duration_s": NaN, "x": ', 1), "NaN"),
        (lambda t: t.replace('"duration_s": ', '"duration_s": Infinity, "x": ', 1), "Infinity"),
        (lambda t: t.replace('"duration_s": ', '"duration_s": -Infinity, "x": ', 1), "-Infinity"),
    ],
    ids=["lone-surrogate", "nan", "infinity", "minus-infinity"],
)
@pytest.mark.parametrize("command", FROM_COMMANDS, ids=lambda c: c[0])
def test_surrogates_and_non_numbers_in_a_results_file_are_exit_2(
    tmp_path: Path, command: tuple[str, ...], edit: Any, named: str
) -> None:
    path = _results_with(tmp_path, edit)
    done = secscan(command[0], "--from", str(path), *command[1:], cwd=tmp_path)
    err = no_traceback(done)
    assert done.returncode == 2, err
    assert named in err and "not JSON secscan reads" in err


def _strict(text: str) -> Any:
    def refuse(name: str) -> None:
        raise ValueError(name)

    return json.loads(text, parse_constant=refuse)


def test_a_non_finite_score_is_never_written_into_sarif_or_json() -> None:
    """A tool's NaN score (trivy's JSON may carry one) reaches no output as invalid JSON."""
    saved = results.loads(SAMPLE.read_text(encoding="utf-8"))
    run = next(r for r in saved.result.runs if len(r.findings) >= 2)
    bad = (
        replace(run.findings[0], cvss_score=float("nan")),
        replace(run.findings[1], cvss_score=float("inf")),
    )
    runs = tuple(replace(r, findings=bad) if r is run else r for r in saved.result.runs)
    hostile = SavedResults(replace(saved.result, runs=runs), saved.decision)
    log = _strict(sarif.render(hostile, datetime(2026, 12, 1, tzinfo=UTC)))
    scores = {
        r["partialFingerprints"].get("secscan/v1", ""): r["properties"].get("cvssScore")
        for run_ in log["runs"]
        for r in run_["results"]
    }
    assert all(s is None or 0 <= s <= 10 for s in scores.values())
    saved_json = _strict(results.dumps(hostile.result, hostile.decision))
    written = {
        f["fingerprint"]: f["cvss_score"]
        for r in saved_json["result"]["runs"]
        for f in r["findings"]
    }
    assert written[bad[0].fingerprint] is None and written[bad[1].fingerprint] is None


@pytest.mark.integration
def test_a_non_utf8_file_name_is_not_analyzed_and_reports_are_written(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "app.py").write_text(FLAW)
    os.makedirs(os.fsencode(tree) + b"/pkg\xfe")
    (Path(os.fsdecode(os.fsencode(tree) + b"/pkg\xfe")) / "x.py").write_text(FLAW)
    Path(os.fsdecode(os.fsencode(tree) + b"/bad\xff.py")).write_text(FLAW)
    out = tmp_path / "out"
    done = secscan("scan", str(tree), "--scanner", "bandit", "--output-dir", str(out))
    err = no_traceback(done)
    assert done.returncode == 1, err  # the flaw in app.py; the scan itself worked
    result = json.loads((out / "secscan-results.json").read_text(encoding="utf-8"))["result"]
    assert result["runs"][0]["status"] == "ok"
    assert result["not_analyzed"] == [
        {"path": "bad\\xff.py", "reason": "file name is not valid UTF-8: not scanned (rename it)"},
        {"path": "pkg\\xfe", "reason": "file name is not valid UTF-8: not scanned (rename it)"},
    ]
    report = secscan(
        "report", "--from", str(out / "secscan-results.json"), "--output-dir", str(out)
    )
    no_traceback(report)
    assert report.returncode == 0
    assert "bad\\xff.py" in (out / "secscan-report.html").read_text(encoding="utf-8")


@pytest.mark.integration
def test_terminal_controls_in_file_names_are_shown_escaped(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / HOSTILE_NAME).write_text(FLAW)
    out = tmp_path / "out"
    done = secscan("scan", str(tree), "--scanner", "bandit", "--output-dir", str(out))
    assert done.returncode == 1, no_traceback(done)
    saved = out / "secscan-results.json"
    # The results file keeps the name exactly (lossless), as JSON escapes.
    raw = saved.read_bytes()
    assert b"\x1b" not in raw and b"\x07" not in raw and "\x9b".encode() not in raw
    assert results.loads(raw.decode()).result.findings[0].location.path == HOSTILE_NAME
    rendered = secscan("report", "--from", str(saved), "--format", "markdown", "--output-dir",
                       str(out))  # fmt: skip
    assert rendered.returncode == 0, no_traceback(rendered)
    outputs = {"summary": (out / "secscan-summary.md").read_bytes()}
    for fmt in ("markdown", "json", "html"):
        shown = secscan("compliance", "--from", str(saved), "--framework", "iso27001-2022",
                        "--format", fmt, "-o", "-")  # fmt: skip
        assert shown.returncode == 0, no_traceback(shown)
        outputs[f"compliance-{fmt}"] = shown.stdout
    for name, data in outputs.items():
        for control in (b"\x1b", b"\x07", "\x9b".encode()):
            assert control not in data, (name, control)
    # Markdown escapes the backslash and the bracket of the shown form too.
    assert b"evil\\\\x1b\\]0;owned\\\\x07\\\\x9b31m.py" in outputs["summary"]
    assert b"evil\\x1b]0;owned\\x07\\x9b31m.py" in outputs["compliance-html"]
    assert "evil\\u001b]0;owned\\u0007\\u009b31m.py" in outputs["compliance-json"].decode()


def test_deeply_nested_advisories_are_invalid_records_not_a_crash(tmp_path: Path) -> None:
    deep = "[" * DEEP + "]" * DEEP
    (tmp_path / "deep.json").write_text(deep)
    # Stored, not deflated: the ratio check would refuse the entry before it is parsed.
    with zipfile.ZipFile(tmp_path / "all.zip", "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("DEEP-1.json", '{"id": "DEEP-1", "x": ' + deep + "}")
        zf.writestr("PYSEC-2021-98.json", (OSV / "PYSEC-2021-98.json").read_bytes())
    for src, imported in (("deep.json", 0), ("all.zip", 1)):
        done = secscan("advisories", "import", str(tmp_path / src), "--db", str(tmp_path / "db"))
        no_traceback(done)
        text = done.stdout.decode() + done.stderr.decode()
        # an import that yields no record at all is an error (exit 2), not "0 added"
        assert done.returncode == (0 if imported else 2), text
        assert "nested deeper than 64 levels" in text and f"{imported} added" in text
        strict = secscan("advisories", "import", str(tmp_path / src), "--db",
                         str(tmp_path / "db2"), "--strict")  # fmt: skip
        no_traceback(strict)
        assert strict.returncode == 2


def test_the_advisory_server_answers_deep_json_with_400(tmp_path: Path) -> None:
    shutil.copytree(OSV, tmp_path / "db" / "PyPI")
    proc = subprocess.Popen(
        [sys.executable, "-m", "secscan", "advisories", "serve", "--db", str(tmp_path / "db"),
         "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().decode().strip()
        host, port = base.removeprefix("http://").split(":")
        body = ('{"queries": ' + "[" * DEEP + "]" * DEEP + "}").encode()
        for path, payload in (("/v1/query", b"[" * DEEP + b"]" * DEEP), ("/v1/querybatch", body)):
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            conn.request("POST", path, body=payload, headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            answer = json.loads(resp.read())
            conn.close()
            assert resp.status == 400 and "nested deeper than 64 levels" in answer["message"]
        # and it still serves
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request(
            "POST",
            "/v1/query",
            body=b'{"package": {"name": "django", "ecosystem": "PyPI"}, "version": "3.2.0"}',
        )
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert b"Traceback" not in err, err.decode("utf-8", "replace")


def test_an_archive_of_small_entries_is_bounded_in_total(tmp_path: Path) -> None:
    """Each entry is small and stored (ratio 1:1); together they pass the total limit."""
    script = (
        "import sys\n"
        "from secscan.advisories import importer\n"
        "importer.MAX_ARCHIVE_BYTES = 200_000\n"
        "from secscan.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    record = (OSV / "PYSEC-2021-98.json").read_bytes()
    with zipfile.ZipFile(tmp_path / "all.zip", "w", zipfile.ZIP_STORED) as zf:
        for i in range(200_000 // len(record) + 2):
            zf.writestr(f"PYSEC-{i}.json", record)
    done = subprocess.run(
        [sys.executable, "-c", script, "advisories", "import", str(tmp_path / "all.zip"),
         "--db", str(tmp_path / "db")],
        capture_output=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    err = no_traceback(done)
    assert done.returncode == 2, err
    assert "inflates to more than 200000 bytes" in err and "nothing was imported" in err
    assert not list((tmp_path / "db").rglob("*.json"))


def test_a_lone_surrogate_from_a_tool_never_breaks_a_written_file() -> None:
    """A tool may pass an undecodable byte on as a lone surrogate: every writer copes."""
    saved = results.loads(SAMPLE.read_text(encoding="utf-8"))
    run = next(r for r in saved.result.runs if r.findings)
    odd = replace(run.findings[0], message="bad byte \udcff here\x1b[2J")
    runs = tuple(
        replace(r, findings=(odd, *r.findings[1:])) if r is run else r for r in saved.result.runs
    )
    hostile = SavedResults(replace(saved.result, runs=runs), saved.decision)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    text = results.dumps(hostile.result, hostile.decision)
    text.encode("utf-8")  # strict: raises on a surrogate
    assert "bad byte \ufffd here\\u001b[2J" in text
    assert results.loads(text).result.runs  # and secscan reads its own file back
    sarif.render(hostile, now).encode("utf-8")
    page = html.render(hostile, now)
    page.encode("utf-8")
    assert "bad byte \\udcff here\\x1b[2J" in page
    markdown.render(hostile, now).encode("utf-8")
