"""The dashboard in a real headless Chromium against a real server: the posture table, a trend
chart, the compliance matrix and a run's drill-down render with no console error, no request
beyond the dashboard's own origin, and hostile repository names, paths and titles as inert
text. Screenshots (1400 x 900 PNG) go to each test's output directory (pytest's tmp_path: with
`--basetemp DIR`, DIR/test_every_page_renders_clean_0/posture.png and so on)."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest
from chromium import NEEDS_CHROMIUM, Watched
from dashserver import running
from fleetdata import HOSTILE_PATH, HOSTILE_REPO, HOSTILE_TITLE, NOW, build

from secscan.history.store import SqlStore

TOKEN = "t0ken-for-the-dashboard-test"

pytestmark = NEEDS_CHROMIUM


def png_size(path: Path) -> tuple[int, int]:
    """The width and height in a PNG's header (its first chunk, IHDR)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", path
    width, height = struct.unpack(">II", head[16:24])
    return width, height


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('dash') / 'history.sqlite'}"
    store = SqlStore.open(url)
    try:
        build(store)
    finally:
        store.close()
    return url


class Page(Watched):
    """A page that records every console message, page error, dialog and request."""

    def __init__(self, browser: Any, origin: str, headers: dict[str, str] | None = None) -> None:
        self.origin = origin
        self.context = browser.new_context(
            viewport={"width": 1400, "height": 900}, extra_http_headers=headers or {}
        )
        super().__init__(self.context.new_page())

    def open(self, path: str) -> Any:
        response = self.page.goto(self.origin + path)
        self.page.wait_for_load_state("load")
        return response

    def assert_clean(self, *, expected: str = "\0") -> None:
        unexpected = [m for m in self.console if expected not in m]
        assert unexpected == [], self.console
        assert self.requests and all(u.startswith(self.origin + "/") for u in self.requests), (
            self.requests
        )
        assert self.dialogs == []
        # Nothing anyone wrote became markup: no script element, no event handler.
        assert self.page.evaluate("document.scripts.length") == 0
        assert self.page.evaluate("document.querySelectorAll('img').length") == 0


def test_every_page_renders_clean_with_hostile_text_inert(
    history: str, browser: Any, tmp_path: Path
) -> None:
    with running(history, NOW) as origin:
        page = Page(browser, origin)
        # (a) posture: sorted by SLA breaches, the hostile repository's name as text.
        assert page.open("/").status == 200
        rows = page.page.locator("table.posture tbody tr")
        assert rows.count() == 6
        assert HOSTILE_REPO in page.page.locator("table.posture").inner_text()
        breaches = [int(x) for x in rows.locator("td:nth-child(10)").all_inner_texts()]
        assert breaches == sorted(breaches, reverse=True) and breaches[0] > 0
        page.page.screenshot(path=str(tmp_path / "posture.png"))
        # Filtered by a tag and sorted by name through the page's own links and form.
        page.page.select_option("select[name=tag]", "team:payments")
        page.page.click("form.filters button")
        page.page.wait_for_load_state("load")
        names = page.page.locator("table.posture td.repo a").all_inner_texts()
        assert names == [
            "https://git.example.org/payments/api.git",
            "https://git.example.org/payments/ledger.git",
        ] or sorted(names) == sorted(
            [
                "https://git.example.org/payments/api.git",
                "https://git.example.org/payments/ledger.git",
            ]
        )
        page.page.click("table.posture th a:text('Repository')")
        page.page.wait_for_load_state("load")
        assert "tag=team%3Apayments" in page.page.url
        # (b) trends: two weekly charts with bars, the per-team table with the hostile team.
        assert page.open("/trends").status == 200
        assert page.page.locator("svg.chart rect.bar").count() > 8
        assert "<b>web</b>" in page.page.locator("table.wide").inner_text()
        page.page.screenshot(path=str(tmp_path / "trends.png"))
        # (c) the compliance matrix: a cell per repository and control, each a link to a run.
        assert page.open("/compliance?framework=iso27001-2022").status == 200
        cells = page.page.locator("table.matrix td.cell a")
        assert cells.count() >= 6 * 2
        assert all(
            h.startswith("/runs/")
            for h in cells.evaluate_all("as => as.map(a => a.getAttribute('href'))")
        )
        page.page.screenshot(path=str(tmp_path / "compliance.png"))
        # (d) drill-down: the hostile repository's newest run, from its posture link.
        page.open("/?q=alert")
        page.page.click("table.posture td:nth-child(3) a")
        page.page.wait_for_load_state("load")
        assert "/runs/" in page.page.url
        text = page.page.locator("main").inner_text()
        assert HOSTILE_REPO in text
        assert HOSTILE_TITLE in text or HOSTILE_PATH in text
        page.page.screenshot(path=str(tmp_path / "drilldown.png"))
        page.assert_clean()
        page.context.close()
    for name in ("posture", "trends", "compliance", "drilldown"):
        assert (tmp_path / f"{name}.png").stat().st_size > 10_000
        assert png_size(tmp_path / f"{name}.png") == (1400, 900)


def test_a_token_is_asked_for_and_the_login_form_sets_it(
    history: str, browser: Any, tmp_path: Path
) -> None:
    with running(history, NOW, token=TOKEN) as origin:
        page = Page(browser, origin)
        response = page.open("/")
        assert response.status == 401
        assert page.page.locator("table.posture").count() == 0
        page.page.fill("input[name=token]", "wrong-token-of-some-length")
        page.page.click("form.login button")
        page.page.wait_for_load_state("load")
        assert page.page.locator("form.login .warn").count() == 1
        page.page.fill("input[name=token]", TOKEN)
        page.page.click("form.login button")
        page.page.wait_for_load_state("load")
        assert page.page.locator("table.posture tbody tr").count() == 6
        cookie = next(c for c in page.context.cookies() if c["name"] == "secscan_dashboard")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        # The browser reports the two 401 answers (the first visit, the wrong token); nothing
        # else.
        assert len(page.console) == 2
        page.assert_clean(expected="status of 401 (Unauthorized)")
        page.context.close()
        bearer = Page(browser, origin, headers={"Authorization": f"Bearer {TOKEN}"})
        assert bearer.open("/trends").status == 200
        bearer.page.screenshot(path=str(tmp_path / "trends-with-token.png"))
        bearer.context.close()
    assert png_size(tmp_path / "trends-with-token.png") == (1400, 900)
