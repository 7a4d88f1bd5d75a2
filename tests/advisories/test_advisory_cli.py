"""`secscan advisories import|info|serve` as a user runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "osv" / "PyPI"


def test_import_then_info(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "all.zip"
    with zipfile.ZipFile(src, "w") as zf:
        for f in sorted(DATA.glob("PYSEC-2023-*.json")):
            zf.write(f, f.name)
        zf.writestr("../evil.json", "{}")
        zf.writestr("bad.json", "{")
    db = tmp_path / "db"
    res = run_cli("advisories", "import", str(src), "--db", str(db))
    count = len(list(DATA.glob("PYSEC-2023-*.json")))
    assert res.code == 0
    assert f"{count} added, 0 updated, 0 unchanged, 0 withdrawn" in res.out
    assert "1 refused archive member" in res.err and "../evil.json" in res.err
    assert "1 invalid record" in res.err and "bad.json: not JSON" in res.err
    assert run_cli("advisories", "import", str(src), "--db", str(db), "--strict").code == 2

    info = run_cli("advisories", "info", "--db", str(db), "--json")
    data = json.loads(info.out)
    assert data["records"] == count and data["ecosystems"] == {"PyPI": count}
    assert data["newest_modified"].startswith("20")
    text = run_cli("advisories", "info", "--db", str(db))
    assert f"{count} advisories" in text.out and "newest modified" in text.out


def test_info_on_a_missing_database(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    res = run_cli("advisories", "info", "--db", str(tmp_path / "nope"))
    assert res.code == 2 and "is not a directory" in res.err


def test_serve_answers_osv_queries_until_stopped(tmp_path: Path) -> None:
    db = tmp_path / "db"
    shutil.copytree(DATA, db / "PyPI")
    proc = subprocess.Popen(
        [sys.executable, "-m", "secscan", "advisories", "serve", "--db", str(db), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        query = json.dumps({"package": {"name": "idna", "ecosystem": "PyPI"}, "version": "2.7"})
        req = urllib.request.Request(url + "/v1/query", data=query.encode(), method="POST")  # noqa: S310
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
        with opener.open(req, timeout=10) as resp:
            body = json.loads(resp.read())
        assert [v["id"] for v in body["vulns"]] == ["PYSEC-2024-60"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
