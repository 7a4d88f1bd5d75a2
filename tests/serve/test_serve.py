"""The dashboard's HTTP contract, in process (Starlette's client) and through the command:
token checks, loopback-only without a token, read-only, security headers, escaping."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fleetdata import HOSTILE_PATH, HOSTILE_REPO, HOSTILE_TITLE, NOW, build
from starlette.testclient import TestClient

from secscan.errors import HistoryError
from secscan.history.fleetview import ControlCount
from secscan.history.store import SqlStore
from secscan.serve import access, views
from secscan.serve.web import create_app

TOKEN = "a-token-long-enough-1234"
LOCAL = "http://127.0.0.1:8765"


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('dash') / 'history.sqlite'}"
    store = SqlStore.open(url)
    try:
        build(store)
    finally:
        store.close()
    return url


def client(url: str, token: str | None = None, base: str = LOCAL) -> TestClient:
    return TestClient(create_app(url, token=token, clock=lambda: NOW), base_url=base)


def pages(c: TestClient) -> list[str]:
    """Every page kind, with a run and a repository of the hostile repository."""
    posture = c.get("/?q=alert").text
    run = re.search(r'href="/runs/(\d+)"', posture)
    repo = re.search(r'href="/repositories/(\d+)"', posture)
    assert run and repo
    return [
        "/",
        "/?sort=repository&dir=asc",
        "/?tag=team:%3Cb%3Eweb%3C/b%3E",
        "/trends",
        "/trends?by=criticality&weeks=4",
        "/compliance",
        "/compliance?framework=iso27001-2022",
        f"/runs/{run.group(1)}",
        f"/repositories/{repo.group(1)}",
    ]


def test_every_page_escapes_what_scanned_trees_and_manifests_wrote(history: str) -> None:
    c = client(history)
    seen = ""
    for path in pages(c):
        r = c.get(path)
        assert r.status_code == 200, path
        assert "<script" not in r.text.lower(), path
        assert "<img" not in r.text.lower() and "<b>web" not in r.text, path
        seen += r.text
    assert "&lt;script&gt;alert(&#34;repo&#34;)&lt;/script&gt;" in seen
    assert "&lt;b&gt;web&lt;/b&gt;" in seen
    escaped_title = HOSTILE_TITLE.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")
    assert escaped_title in seen
    assert HOSTILE_PATH.replace("<", "&lt;").replace(">", "&gt;") in seen
    assert HOSTILE_REPO not in seen


def test_headers_forbid_every_load_and_every_script(history: str) -> None:
    r = client(history).get("/")
    csp = r.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "form-action 'self'" in csp and "frame-ancestors 'none'" in csp
    assert re.search(r"style-src 'sha256-[A-Za-z0-9+/=]+'$", csp.split(";")[1].strip())
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_a_token_is_required_when_one_is_set(history: str) -> None:
    c = client(history, TOKEN)
    for path in pages(client(history)):
        assert c.get(path).status_code == 401, path
        assert (
            c.get(path, headers={"Authorization": "Bearer wrong-token-123456"}).status_code == 401
        )
        assert c.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    denied = c.get("/")
    assert "git.example.org" not in denied.text and 'name="token"' in denied.text
    assert "content-security-policy" in denied.headers
    # The login form's cookie.
    r = c.post("/login", data={"token": TOKEN}, follow_redirects=False)
    assert r.status_code == 303
    assert "httponly" in r.headers["set-cookie"].lower()
    assert "samesite=strict" in r.headers["set-cookie"].lower()
    assert c.get("/").status_code == 200
    c.cookies.clear()
    assert c.post("/login", data={"token": "nope-nope-nope-nope"}).status_code == 401
    assert c.get("/").status_code == 401


def test_with_a_token_any_host_name_is_answered(history: str) -> None:
    c = client(history, TOKEN, base="http://dash.example.org")
    assert c.get("/", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_without_a_token_only_loopback_host_names_are_answered(history: str) -> None:
    for base in (LOCAL, "http://localhost:8765", "http://[::1]:8765"):
        assert client(history, base=base).get("/").status_code == 200, base
    # A page that rebinds its own name to 127.0.0.1 sends that name as the Host.
    rebound = client(history, base="http://attacker.example:8765").get("/")
    assert rebound.status_code == 421
    assert "repository" not in rebound.text.lower()


def test_read_only(history: str) -> None:
    c = client(history)
    for method in ("post", "put", "delete", "patch"):
        assert getattr(c, method)("/").status_code == 405
    # The engine itself refuses writes.
    app = create_app(history, clock=lambda: NOW)
    with app.state.dashboard.engine.connect() as conn:
        with pytest.raises(Exception, match="readonly|read-only|query_only|attempt to write"):
            conn.exec_driver_sql("DELETE FROM repository_tags")


def test_unknown_runs_and_bad_parameters(history: str) -> None:
    c = client(history)
    assert c.get("/runs/999999").status_code == 404
    assert c.get("/runs/abc").status_code == 404
    assert c.get("/repositories/0").status_code == 404
    assert c.get("/?sort=;drop&dir=x&page=-3").status_code == 200
    assert c.get("/trends?weeks=999999").status_code == 200
    assert c.get("/?page=999").status_code == 200


def test_a_history_at_an_older_revision_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    store = SqlStore.open(url, migrate=False)
    store.upgrade("0003")
    store.close()
    with pytest.raises(HistoryError, match="revision 0003"):
        create_app(url)


def test_a_non_loopback_bind_without_a_token_is_refused(
    history: str, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    result = run_cli("serve", "--history", history, "--host", "0.0.0.0")  # noqa: S104
    assert result.code == 2, result.err
    assert "--token-file" in result.err
    short = tmp_path / "short"
    short.write_text("abc\n")
    result = run_cli(
        "serve", "--history", history, "--host", "10.1.2.3", "--token-file", str(short)
    )
    assert result.code == 2 and "at least" in result.err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),  # noqa: S104
        ("::", False),
        ("10.0.0.5", False),
        ("dash.example.org", False),
    ],
)
def test_loopback(host: str, loopback: bool) -> None:
    assert access.is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("counts", "overall"),
    [
        ({"fail": 1, "not_assessed": 2, "pass": 5}, "fail"),
        ({"not_assessed": 3}, "not_assessed"),
        ({"not_assessed": 1, "pass": 9}, "not_assessed"),
        ({"waived": 1, "pass": 2}, "waived"),
        ({"below_threshold": 1, "pass": 2}, "below_threshold"),
        ({"pass": 3}, "pass"),
    ],
)
def test_a_control_passes_across_the_fleet_only_where_every_repository_passes(
    counts: dict[str, int], overall: str
) -> None:
    (row,) = views.control_rows(
        ControlCount("eu-cra:AnnexI.I(2)(k)", state, n) for state, n in counts.items()
    )
    assert row.overall == overall
