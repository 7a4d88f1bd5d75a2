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


LAYOUTS = Path(__file__).resolve().parents[1] / "data" / "advisory-layouts"


def test_import_reads_the_pypa_advisory_database_layout(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "db"
    res = run_cli("advisories", "import", str(LAYOUTS / "pypa"), "--db", str(db))
    assert res.code == 0, res.err
    assert "2 added, 0 updated, 0 unchanged, 0 withdrawn" in res.out
    stored = json.loads((db / "PyPI" / "PYSEC-2021-142.json").read_text(encoding="utf-8"))
    # an unquoted YAML version stays text: 5.4, not a float that could print as 5.4000001
    assert stored["affected"][0]["ranges"][0]["events"][1] == {"fixed": "5.4"}
    jinja = json.loads((db / "PyPI" / "PYSEC-2019-217.json").read_text(encoding="utf-8"))
    assert jinja["affected"][0]["versions"] == ["2.10", "2.9.6"]
    assert (
        run_cli("advisories", "import", str(LAYOUTS / "pypa"), "--db", str(db)).out.count(
            "2 unchanged"
        )
        == 1
    )


def test_import_reads_the_github_advisory_database_layout(tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "db"
    res = run_cli("advisories", "import", str(LAYOUTS / "github"), "--db", str(db))
    assert res.code == 0, res.err
    assert "1 added" in res.out
    assert (db / "PyPI" / "GHSA-462w-v97r-4m45.json").is_file()


def test_an_import_that_finds_no_record_exits_2_and_says_what_it_looked_for(
    tmp_path: Path,
    run_cli,  # type: ignore[no-untyped-def]
) -> None:
    src = tmp_path / "checkout"
    (src / "vulns").mkdir(parents=True)
    (src / "vulns" / "README.txt").write_text("not a record\n", encoding="utf-8")
    res = run_cli("advisories", "import", str(src), "--db", str(tmp_path / "db"))
    assert res.code == 2
    assert "no advisory imported" in res.err and "0 candidate file(s)" in res.err
    assert "*.yaml" in res.err and "GHSA-*.json" in res.err
    (src / "vulns" / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    res = run_cli("advisories", "import", str(src), "--db", str(tmp_path / "db"))
    assert res.code == 2
    assert "broken.yaml: not YAML" in res.err and "1 candidate file(s)" in res.err
