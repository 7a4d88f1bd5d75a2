"""The re-import recipe in docs/integrations.md, run as written with bash and curl against a
local HTTP endpoint that records each re-import: a failed or skipped scanner's Test is never
re-imported (so `close_old_findings=true` closes nothing of it) and the step exits non-zero."""

from __future__ import annotations

import os
import re
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from integrations import SCANS, clock

from secscan.app.output import write_reports
from secscan.model.results import SavedResults, dumps

REPO = Path(__file__).resolve().parents[2]


def recipe() -> str:
    text = (REPO / "docs" / "integrations.md").read_text(encoding="utf-8")
    section = text.split("Re-import each scanner's file", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    return block.group(1)


class _Recorder(BaseHTTPRequestHandler):
    titles: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        title = re.search(rb'name="test_title"\r\n\r\n([^\r]*)', body)
        close = re.search(rb'name="close_old_findings"\r\n\r\n([^\r]*)', body)
        assert title is not None and close is not None
        self.titles.append(f"{title.group(1).decode()} close={close.group(1).decode()}")
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    _Recorder.titles = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", _Recorder.titles
    finally:
        httpd.shutdown()


def _run(tmp_path: Path, saved: SavedResults, url: str) -> subprocess.CompletedProcess[str]:
    out = tmp_path / "secscan-reports"
    out.mkdir(exist_ok=True)
    (out / "secscan-results.json").write_text(dumps(saved.result, saved.decision))
    write_reports(saved, out, ["defectdojo"], clock(saved))
    env = {**os.environ, "DD_URL": url, "DD_API_TOKEN": "t", "DD_PRODUCT": "p"}
    env["DD_ENGAGEMENT"] = "e"
    return subprocess.run(
        ["bash", "-c", recipe()], cwd=tmp_path, env=env, capture_output=True, text=True
    )


@pytest.mark.integration
def test_recipe_imports_finished_scanners_and_fails_on_a_failed_one(
    tmp_path: Path, server: tuple[str, list[str]]
) -> None:
    url, titles = server
    done = _run(tmp_path, SCANS["rich"](), url)  # semgrep failed, the image scanner skipped
    assert done.returncode != 0
    assert "semgrep" in done.stderr
    assert sorted(titles) == [
        f"secscan {s} close=true" for s in ("bandit", "iac", "pip-audit", "secrets")
    ]


@pytest.mark.integration
def test_recipe_passes_when_every_scanner_finished(
    tmp_path: Path, server: tuple[str, list[str]]
) -> None:
    url, titles = server
    saved = SCANS["empty"]()
    done = _run(tmp_path, saved, url)
    assert done.returncode == 0, done.stderr
    assert len(titles) == len({r.scanner for r in saved.result.runs})


@pytest.mark.integration
def test_a_failed_scanner_after_a_good_run_leaves_no_file_to_reimport(
    tmp_path: Path, server: tuple[str, list[str]]
) -> None:
    url, titles = server
    _run(tmp_path, SCANS["rich"](), url)
    titles.clear()
    done = _run(tmp_path, SCANS["failed-scanner"](), url)
    assert done.returncode == 1 and titles == []
    assert "these scanners failed: bandit, iac, image, pip-audit, secrets, semgrep" in done.stderr
