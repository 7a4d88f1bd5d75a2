"""The local OSV API: answers what pip-audit and other OSV clients send, refuses the rest."""

from __future__ import annotations

import http.client
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from secscan.advisories.server import INFO_PATH, MAX_BODY_BYTES, serve
from secscan.advisories.store import AdvisoryStore

DATA = Path(__file__).resolve().parents[1] / "data" / "osv" / "PyPI"


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("db")
    shutil.copytree(DATA, db / "PyPI")
    with serve(AdvisoryStore.open(db)) as base:
        yield base


def call(
    url: str, method: str, path: str, body: Any = None, raw: bytes | None = None
) -> tuple[int, Any]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    payload = resp.read()
    conn.close()
    return resp.status, json.loads(payload) if payload else None


def test_binds_loopback_on_an_ephemeral_port(url: str) -> None:
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1" and parts.port and parts.port > 0


def test_query_exactly_as_pip_audit_sends_it(url: str) -> None:
    # what pip_audit/_service/osv.py posts: package {name: canonical name, ecosystem}, version
    status, body = call(
        url,
        "POST",
        "/v1/query",
        {"package": {"name": "requests", "ecosystem": "PyPI"}, "version": "2.19.0"},
    )
    assert status == 200
    assert sorted(v["id"] for v in body["vulns"]) == ["PYSEC-2018-28", "PYSEC-2023-74"]
    full = next(v for v in body["vulns"] if v["id"] == "PYSEC-2023-74")
    assert full == json.loads((DATA / "PYSEC-2023-74.json").read_text())  # the record, unchanged


def test_no_vulnerability_is_an_empty_object(url: str) -> None:
    # osv.dev answers {} and pip-audit treats an empty answer as "no vulnerabilities"
    status, body = call(
        url,
        "POST",
        "/v1/query",
        {"package": {"name": "requests", "ecosystem": "PyPI"}, "version": "2.32.3"},
    )
    assert (status, body) == (200, {})


def test_query_by_purl_and_without_version(url: str) -> None:
    _, by_purl = call(url, "POST", "/v1/query", {"package": {"purl": "pkg:pypi/requests@2.19.0"}})
    assert sorted(v["id"] for v in by_purl["vulns"]) == ["PYSEC-2018-28", "PYSEC-2023-74"]
    _, every = call(
        url, "POST", "/v1/query", {"package": {"name": "requests", "ecosystem": "PyPI"}}
    )
    assert len(every["vulns"]) == 5


def test_querybatch_answers_ids_and_modified_in_order(url: str) -> None:
    status, body = call(
        url,
        "POST",
        "/v1/querybatch",
        {
            "queries": [
                {"package": {"name": "idna", "ecosystem": "PyPI"}, "version": "2.7"},
                {"package": {"name": "idna", "ecosystem": "PyPI"}, "version": "3.7"},
            ]
        },
    )
    assert status == 200
    assert body["results"][0] == {
        "vulns": [{"id": "PYSEC-2024-60", "modified": "2024-07-11T17:21:37.216928Z"}]
    }
    assert body["results"][1] == {}


def test_get_vuln_by_id(url: str) -> None:
    status, body = call(url, "GET", "/v1/vulns/PYSEC-2024-60")
    assert status == 200 and body["id"] == "PYSEC-2024-60"
    status, body = call(url, "GET", "/v1/vulns/PYSEC-1999-1")
    assert status == 404 and body["code"] == 5


def test_info_extension_reports_freshness(url: str) -> None:
    status, body = call(url, "GET", INFO_PATH)
    assert status == 200
    assert body["records"] == 264 and body["newest_modified"] == "2024-10-08T19:19:01.400873Z"


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/v1/query", b"{not json", "not JSON"),
        ("/v1/query", b"[]", "must be a JSON object"),
        ("/v1/query", b'{"version": "1.0"}', "'package' must be an object"),
        ("/v1/query", b'{"package": {"name": "x"}, "version": "1"}', "ecosystem"),
        (
            "/v1/query",
            b'{"package": {"name": "x", "ecosystem": "Nonesuch"}, "version": "1"}',
            "unknown ecosystem",
        ),
        (
            "/v1/query",
            b'{"package": {"name": "x", "ecosystem": "PyPI"}, "version": "not!a!version"}',
            "not a valid PyPI version",
        ),
        (
            "/v1/query",
            b'{"commit": "6879efc2c1596d11a6a6ad296f80063b558d5e0f"}',
            "commit queries are not supported",
        ),
        ("/v1/query", b'{"package": {"purl": "pkg:nonesuch/x@1"}}', "unsupported purl"),
        ("/v1/querybatch", b'{"queries": [{"package": 1}]}', "queries[0]"),
        ("/v1/querybatch", b'{"nope": []}', "'queries' list"),
    ],
)
def test_bad_requests_are_400_with_a_reason(url: str, path: str, body: bytes, message: str) -> None:
    status, answer = call(url, "POST", path, raw=body)
    assert status == 400
    assert answer["code"] == 3 and message in answer["message"]


def test_oversized_body_is_refused_unread(url: str) -> None:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    conn.putrequest("POST", "/v1/query")
    conn.putheader("Content-Length", str(MAX_BODY_BYTES + 1))
    conn.endheaders()
    resp = conn.getresponse()
    assert resp.status == 400
    assert "larger than" in json.loads(resp.read())["message"]
    conn.close()


def test_unknown_paths_are_404(url: str) -> None:
    assert call(url, "GET", "/")[0] == 404
    assert call(url, "POST", "/v1/other", {})[0] == 404
