"""An OSV API v1 compatible server over a local AdvisoryStore, so pip-audit can query it offline."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

from secscan.advisories.matcher import InvalidVersionError, UnknownEcosystemError
from secscan.advisories.osv import Advisory
from secscan.advisories.store import AdvisoryStore
from secscan.errors import AdvisoryError
from secscan.util import jsonio as _json

log = logging.getLogger(__name__)

#: A single query is a few hundred bytes; a full batch of 1000 stays well under this.
MAX_BODY_BYTES = 1024 * 1024
#: osv.dev's own batch limit.
MAX_BATCH = 1000
#: A client that stops sending mid-request is dropped after this many seconds.
REQUEST_TIMEOUT_S = 30
#: Not part of OSV: lets a scan record a shared mirror's freshness (`secscan advisories serve`).
INFO_PATH = "/secscan/v1/info"

_VULN_PATH = re.compile(r"^/v1/vulns/([^/?#]+)$")
#: purl type -> OSV ecosystem (https://github.com/package-url/purl-spec).
_PURL_TYPES = {
    "pypi": "PyPI",
    "npm": "npm",
    "maven": "Maven",
    "golang": "Go",
    "cargo": "crates.io",
    "gem": "RubyGems",
    "nuget": "NuGet",
    "composer": "Packagist",
    "hex": "Hex",
    "pub": "Pub",
    "deb": "Debian",
    "apk": "Alpine",
}


class BadRequest(ValueError):
    """The client sent something that is not an OSV query: answered with 400, never guessed at."""


class OsvServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], store: AdvisoryStore) -> None:
        self.store = store
        super().__init__(address, _Handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        host = str(host)
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_server(store: AdvisoryStore, host: str = "127.0.0.1", port: int = 0) -> OsvServer:
    """Bind (port 0: an ephemeral port); the caller runs serve_forever()."""
    try:
        return OsvServer((host, port), store)
    except OSError as e:
        raise AdvisoryError(f"cannot serve advisories on {host}:{port}: {e.strerror or e}") from e


@contextmanager
def serve(store: AdvisoryStore, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve in a background thread for the duration of the block; yields the base URL."""
    server = make_server(store, host, port)
    thread = threading.Thread(target=server.serve_forever, name="secscan-osv", daemon=True)
    thread.start()
    try:
        yield server.base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- the OSV API ------------------------------------------------------------------------


def answer_query(store: AdvisoryStore, query: Any) -> list[Advisory]:
    """POST /v1/query semantics: package + version; without a version, every record for it."""
    ecosystem, name, version = _parse_query(query)
    try:
        if version is None:
            return store.candidates(ecosystem, name)
        return store.query(ecosystem, name, version)
    except (UnknownEcosystemError, InvalidVersionError) as e:
        raise BadRequest(str(e)) from e


def _parse_query(query: Any) -> tuple[str, str, str | None]:
    """(ecosystem, name, version or None) of a query, or BadRequest saying what is wrong."""
    if not isinstance(query, dict):
        raise BadRequest("a query must be a JSON object")
    if "commit" in query:
        raise BadRequest(
            "commit queries are not supported by this mirror; query by package version"
        )
    unknown = set(query) - {"package", "version", "page_token"}
    if unknown:
        raise BadRequest(f"unknown query field(s): {', '.join(sorted(unknown))}")
    package = query.get("package")
    if not isinstance(package, dict):
        raise BadRequest("'package' must be an object with 'name' and 'ecosystem' (or 'purl')")
    version = query.get("version")
    if version is not None:
        version = _non_empty(version, "version")
    purl = package.get("purl")
    if purl is not None:
        return _by_purl(purl, version)
    name = _non_empty(package.get("name"), "package.name")
    ecosystem = _non_empty(package.get("ecosystem"), "package.ecosystem")
    return ecosystem, name, version


def _non_empty(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"'{field}' must be a non-empty string")
    return value


def _by_purl(purl: Any, version: str | None) -> tuple[str, str, str | None]:
    """A package named by its purl; a version in it must agree with the query's."""
    if not isinstance(purl, str):
        raise BadRequest("'package.purl' must be a string")
    ecosystem, name, purl_version = _parse_purl(purl)
    if purl_version is not None and version is not None and purl_version != version:
        raise BadRequest("the purl and 'version' name different versions")
    return ecosystem, name, version or purl_version


def _parse_purl(purl: str) -> tuple[str, str, str | None]:
    if not purl.startswith("pkg:"):
        raise BadRequest(f"not a purl: {purl!r}")
    body = purl[4:].split("#", 1)[0].split("?", 1)[0].lstrip("/")
    ptype, _, rest = body.partition("/")
    ecosystem = _PURL_TYPES.get(ptype.lower())
    if ecosystem is None or not rest:
        raise BadRequest(f"unsupported purl: {purl!r}")
    path, version = rest, ""
    head, at, tail = rest.rpartition("@")
    # "@" at the start of a segment is an npm scope, not a version separator
    if at and head and not head.endswith("/"):
        path, version = head, tail
    parts = [unquote(p) for p in path.split("/") if p]
    if ecosystem == "Maven":
        name = ":".join(parts)
    elif ecosystem in ("Debian", "Alpine"):
        name = parts[-1]  # pkg:deb/debian/openssl: the namespace is the vendor
    else:
        name = "/".join(parts)
    if not name:
        raise BadRequest(f"purl without a name: {purl!r}")
    return ecosystem, name, unquote(version) or None


class _Handler(BaseHTTPRequestHandler):
    server: OsvServer
    protocol_version = "HTTP/1.1"
    server_version = "secscan-osv"
    sys_version = ""
    timeout = REQUEST_TIMEOUT_S
    # Headers and body are two writes: with Nagle on, each answer waits ~40 ms for an ACK.
    disable_nagle_algorithm = True

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?", 1)[0]
        if path not in ("/v1/query", "/v1/querybatch"):
            self._error(HTTPStatus.NOT_FOUND, 5, f"no such endpoint: POST {path}")
            return
        try:
            body = self._json_body()
            if path == "/v1/query":
                found = answer_query(self.server.store, body)
                self._send(HTTPStatus.OK, {"vulns": [dict(a.raw) for a in found]} if found else {})
            else:
                self._send(HTTPStatus.OK, self._batch(body))
        except BadRequest as e:
            self._error(HTTPStatus.BAD_REQUEST, 3, str(e))
        except AdvisoryError as e:
            log.error("advisory query failed: %s", e)
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, 13, str(e))

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?", 1)[0]
        if path == INFO_PATH:
            info = self.server.store.info()
            self._send(
                HTTPStatus.OK,
                {
                    "kind": "local-osv",
                    "records": info.records,
                    "withdrawn": info.withdrawn,
                    "newest_modified": info.newest_modified,
                    "ecosystems": dict(info.ecosystems),
                },
            )
            return
        match = _VULN_PATH.match(path)
        if match is None:
            self._error(HTTPStatus.NOT_FOUND, 5, f"no such endpoint: GET {path}")
            return
        try:
            advisory = self.server.store.get(unquote(match.group(1)))
        except AdvisoryError as e:
            self._error(HTTPStatus.INTERNAL_SERVER_ERROR, 13, str(e))
            return
        if advisory is None:
            self._error(HTTPStatus.NOT_FOUND, 5, "Bug not found.")
            return
        self._send(HTTPStatus.OK, dict(advisory.raw))

    def _batch(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("queries"), list):
            raise BadRequest("a batch must be an object with a 'queries' list")
        queries = body["queries"]
        if len(queries) > MAX_BATCH:
            raise BadRequest(f"at most {MAX_BATCH} queries per batch")
        results: list[dict[str, Any]] = []
        for i, query in enumerate(queries):
            try:
                found = answer_query(self.server.store, query)
            except BadRequest as e:
                raise BadRequest(f"queries[{i}]: {e}") from e
            # osv.dev answers a batch with ids and modified dates only.
            results.append(
                {"vulns": [{"id": a.id, "modified": a.modified} for a in found]} if found else {}
            )
        return {"results": results}

    def _json_body(self) -> Any:
        if self.headers.get("Transfer-Encoding"):
            raise BadRequest("chunked request bodies are not accepted; send Content-Length")
        length_text = self.headers.get("Content-Length")
        if length_text is None or not length_text.isdigit():
            raise BadRequest("a Content-Length header is required")
        length = int(length_text)
        if length > MAX_BODY_BYTES:
            # Do not read it: the connection is closed after the answer.
            self.close_connection = True
            raise BadRequest(f"request body larger than {MAX_BODY_BYTES} bytes")
        raw = self.rfile.read(length)
        try:
            return _json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise BadRequest(f"request body is not JSON: {e}") from e

    def _error(self, status: HTTPStatus, code: int, message: str) -> None:
        self._send(status, {"code": code, "message": message})

    def _send(self, status: HTTPStatus, payload: Any) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("client went away before the answer was sent")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - inherited signature
        log.debug("osv server: " + format, *args)
