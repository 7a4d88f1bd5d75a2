"""The dashboard's ASGI application (Starlette): read-only pages over a history database.

Every page is one or a few aggregate queries (history.fleetview) rendered by the report's
Jinja2 environment, which escapes everything: repository names, branches, paths and finding
titles come from scanned trees and are attacker-chosen text. The stylesheet is inline and
allowed by its hash; there is no script; forms submit only to the dashboard (GET filters and
the login form).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, TypeVar
from urllib.parse import parse_qs

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import QueuePool
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from secscan.errors import HistoryError
from secscan.history import fleetview as fv
from secscan.history.store import engine_url, head_revision, shown
from secscan.report import _jinja
from secscan.serve import access, views

Clock = Callable[[], datetime]
MAX_FORM = 4096


@cache
def stylesheet() -> str:
    return _jinja.asset("report.css") + "\n" + _jinja.asset("dashboard/dashboard.css")


@cache
def content_security_policy() -> str:
    """Nothing loads: no script at all, only the inline stylesheet (by hash), no frames; forms
    submit only here."""
    return "; ".join(
        (
            "default-src 'none'",
            f"style-src {_jinja.csp_hash(stylesheet())}",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Findings: no browser or proxy cache keeps them.
    "Cache-Control": "no-store",
}


def open_engine(url: str) -> Engine:
    """A read-only connection pool: SQLite refuses writes (query_only), PostgreSQL runs every
    transaction read-only. The schema must be at the revision this secscan knows."""
    target = engine_url(url)
    if target.get_backend_name() == "sqlite":
        engine = create_engine(target, poolclass=QueuePool, pool_size=4)

        @event.listens_for(engine, "connect")
        def _read_only(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA query_only=ON")
            cur.close()

    else:
        # A pool: a new PostgreSQL connection (a server process) per request cost ~50 ms of
        # every page at 1,000 repositories; pre-ping replaces one the server dropped.
        engine = create_engine(
            target,
            poolclass=QueuePool,
            pool_size=4,
            pool_pre_ping=True,
            connect_args={"options": "-c default_transaction_read_only=on"},
        )
    try:
        from alembic.runtime.migration import MigrationContext

        with engine.connect() as conn:
            found = MigrationContext.configure(conn).get_current_revision()
    except DBAPIError as e:
        raise HistoryError(f"history {shown(target)}: could not open: {e.orig}") from e
    if found != head_revision():
        engine.dispose()
        raise HistoryError(
            f"history {shown(target)} is at revision {found or 'none'}, the dashboard reads "
            f"{head_revision()}: record a run or run `secscan history list` to migrate it"
        )
    return engine


@dataclass(frozen=True)
class Dashboard:
    engine: Engine
    token: str | None
    clock: Clock

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except DBAPIError as e:
            raise HistoryError(f"history: could not read: {e.orig}") from e

    def page(self, request: Request, template: str, **context: object) -> HTMLResponse:
        html = _jinja.render(
            f"dashboard/{template}",
            css=stylesheet(),
            path=request.url.path,
            params=dict(request.query_params),
            query=views.query,
            secured=self.token is not None,
            now=self.clock(),
            **context,
        )
        # Every value reaches the page through report/_jinja's autoescaping environment, the
        # query's included (tests/serve/test_serve.py::test_every_page_escapes_what_scanned_
        # trees_and_manifests_wrote); the rule cannot see that a project's own render escapes.
        return HTMLResponse(html)  # nosemgrep: python-xss-request-data


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(params.get(name, default))
    except ValueError:
        return default
    return min(max(value, low), high)


def posture(d: Dashboard, request: Request) -> Response:
    p = request.query_params
    tag = fv.Tag.parse(p.get("tag"))
    sort = p.get("sort", "breaches")
    if sort not in fv.POSTURE_SORTS:
        sort = "breaches"
    descending = p.get("dir", "desc") != "asc"
    now = d.clock()
    with d.read() as conn:
        pager, rows = _paged(
            lambda offset, limit: fv.posture(
                conn,
                now=now,
                tag=tag,
                search=p.get("q"),
                sort=sort,
                descending=descending,
                offset=offset,
                limit=limit,
            ),
            _int(p, "page", 1, 1, 10**6),
        )
        tags = fv.tags(conn)
    return d.page(
        request,
        "posture.html.j2",
        title="Posture",
        rows=rows,
        pager=pager,
        tags=tags,
        tag=str(tag) if tag else "",
        sort=sort,
        descending=descending,
        severities=fv.SEVERITIES,
        age=views.age,
    )


def trends(d: Dashboard, request: Request) -> Response:
    p = request.query_params
    tag = fv.Tag.parse(p.get("tag"))
    weeks = _int(p, "weeks", 12, 1, 104)
    by = p.get("by") or "team"
    now = d.clock()
    until = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    since = until - timedelta(weeks=weeks)
    since = since - timedelta(days=since.weekday())
    with d.read() as conn:
        days = fv.changes_by_day(conn, since=since, until=until, tag=tag)
        grouped = fv.changes_by_tag(conn, key=by, since=since, until=until)
        tags = fv.tags(conn)
    view = views.trends(days, since.date(), until.date())
    return d.page(
        request,
        "trends.html.j2",
        title="Trends",
        view=view,
        groups=views.groups(grouped),
        by=by,
        keys=sorted({k for k, _, _ in tags}),
        tags=tags,
        tag=str(tag) if tag else "",
        weeks=weeks,
        severities=fv.SEVERITIES,
    )


def compliance(d: Dashboard, request: Request) -> Response:
    p = request.query_params
    tag = fv.Tag.parse(p.get("tag"))
    with d.read() as conn:
        known = fv.frameworks(conn)
        framework = p.get("framework") or (known[0] if known else "")
        counts = fv.control_counts(conn, framework=framework, tag=tag) if framework else []
        pager, (repos, cells) = _paged(
            lambda offset, limit: _grid(conn, framework, tag, offset, limit),
            _int(p, "page", 1, 1, 10**6),
        )
        tags = fv.tags(conn)
    rows = views.control_rows(counts)
    state = {(c.run_id, c.control): c.state for c in cells}
    return d.page(
        request,
        "compliance.html.j2",
        title="Compliance",
        frameworks=known,
        framework=framework,
        rows=rows,
        controls=[r.control for r in rows],
        repos=repos,
        state=state,
        pager=pager,
        tags=tags,
        tag=str(tag) if tag else "",
    )


def run_page(d: Dashboard, request: Request) -> Response:
    run_id = _path_id(request, "run_id")
    p = request.query_params
    severity = p.get("severity") if p.get("severity") in fv.SEVERITIES else None
    with d.read() as conn:
        facts = fv.run_facts(conn, run_id) if run_id is not None else None
        if facts is None:
            return not_found(d, request)
        assert run_id is not None  # noqa: S101 - facts were found by it
        pager, findings = _paged(
            lambda offset, limit: fv.run_findings(
                conn, run_id, severity=severity, offset=offset, limit=limit
            ),
            _int(p, "page", 1, 1, 10**6),
            size=100,
        )
        scanners = fv.run_scanners(conn, run_id)
        controls = fv.run_controls(conn, run_id)
        counts = fv.run_severities(conn, run_id)
    return d.page(
        request,
        "run.html.j2",
        title=f"Run {facts.id}",
        run=facts,
        findings=findings,
        scanners=scanners,
        controls=controls,
        counts=counts,
        severity=severity or "",
        pager=pager,
        severities=fv.SEVERITIES,
    )


def repository_page(d: Dashboard, request: Request) -> Response:
    repo_id = _path_id(request, "repository_id")
    p = request.query_params
    with d.read() as conn:
        identity = fv.repository_identity(conn, repo_id) if repo_id is not None else None
        if identity is None or repo_id is None:
            return not_found(d, request)
        pager, runs = _paged(
            lambda offset, limit: fv.repository_runs(conn, repo_id, offset=offset, limit=limit),
            _int(p, "page", 1, 1, 10**6),
        )
    return d.page(
        request,
        "repository.html.j2",
        title="Repository",
        repository=identity,
        runs=runs,
        pager=pager,
    )


T = TypeVar("T")


def _paged(
    fetch: Callable[[int, int], tuple[int, T]], page: int, size: int = views.PAGE_SIZE
) -> tuple[views.Pager, T]:
    """One page of what `fetch(offset, limit)` finds (the last page when asked beyond it)."""
    total, rows = fetch((page - 1) * size, size)
    pager = views.Pager.of(page, total, size)
    if pager.page != page:
        total, rows = fetch(pager.offset, size)
    return pager, rows


def _grid(
    conn: Connection, framework: str, tag: fv.Tag | None, offset: int, limit: int
) -> tuple[int, tuple[list[tuple[int, str, int | None]], list[fv.ControlCell]]]:
    total, repos, cells = fv.control_grid(
        conn, framework=framework, tag=tag, offset=offset, limit=limit
    )
    return total, (repos, cells)


def _path_id(request: Request, name: str) -> int | None:
    try:
        value = int(request.path_params[name])
    except (KeyError, ValueError):
        return None
    return value if 0 < value < 2**63 else None


def not_found(d: Dashboard, request: Request) -> Response:
    response = d.page(request, "message.html.j2", title="Not found", message="No such page.")
    response.status_code = 404
    return response


def login_form(d: Dashboard, request: Request, *, failed: bool = False) -> Response:
    response = d.page(request, "login.html.j2", title="Sign in", failed=failed)
    response.status_code = 401
    return response


async def login(d: Dashboard, request: Request) -> Response:
    if d.token is None:
        return RedirectResponse("/", status_code=303)
    if request.method == "GET":
        return login_form(d, request)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            return Response("form too large", status_code=413)
    offered = parse_qs(body.decode("utf-8", "replace")).get("token", [""])[0]
    if not access.token_matches(d.token, offered):
        return login_form(d, request, failed=True)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        access.COOKIE,
        offered,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


Handler = Callable[[Dashboard, Request], Response]


def _sync(d: Dashboard, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    from starlette.concurrency import run_in_threadpool

    async def endpoint(request: Request) -> Response:
        return await run_in_threadpool(handler, d, request)

    return endpoint


def create_app(url: str, *, token: str | None = None, clock: Clock | None = None) -> Starlette:
    """The dashboard over the history at `url` (read-only). With a token every request must
    carry it; without one, only requests addressed to a loopback name are answered."""
    d = Dashboard(open_engine(url), token, clock or (lambda: datetime.now(UTC)))

    async def login_endpoint(request: Request) -> Response:
        return await login(d, request)

    routes = [
        Route("/", _sync(d, posture)),
        Route("/trends", _sync(d, trends)),
        Route("/compliance", _sync(d, compliance)),
        Route("/runs/{run_id}", _sync(d, run_page)),
        Route("/repositories/{repository_id}", _sync(d, repository_page)),
        Route("/login", login_endpoint, methods=["GET", "POST"]),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(_Guard, dashboard=d)
    app.state.dashboard = d
    return app


class _Guard:
    """Every response: the headers above; every request: the token (or a loopback Host)."""

    def __init__(self, app: Any, dashboard: Dashboard) -> None:
        self.app = app
        self.d = dashboard

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        denied = self._denied(request)

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append(
                    (b"content-security-policy", content_security_policy().encode("ascii"))
                )
                headers.extend((k.lower().encode(), v.encode()) for k, v in HEADERS.items())
                message = {**message, "headers": headers}
            await send(message)

        if denied is not None:
            await denied(scope, receive, send_with_headers)
            return
        if request.method not in ("GET", "HEAD") and request.url.path != "/login":
            await Response("read-only", status_code=405)(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _denied(self, request: Request) -> Response | None:
        token = self.d.token
        if token is None:
            if access.host_allowed(request.headers.get("host")):
                return None
            return Response("this dashboard answers only on a loopback name", status_code=421)
        if request.url.path == "/login":
            return None
        offered = access.bearer(request.headers.get("authorization")) or request.cookies.get(
            access.COOKIE
        )
        if access.token_matches(token, offered):
            return None
        return login_form(self.d, request)
