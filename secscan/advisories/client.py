"""A small OSV API client: full records by id, and a secscan mirror's freshness."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote, urlsplit

from secscan.advisories.osv import Advisory, InvalidRecordError, parse_advisory
from secscan.advisories.server import INFO_PATH
from secscan.errors import AdvisoryError
from secscan.util import jsonio as _json

log = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 16 * 1024 * 1024
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def base_url(url: str) -> str:
    """Accept what people paste: the base, `.../v1`, or pip-audit's `.../v1/query`."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise AdvisoryError(f"advisory service URL must be http(s)://host[:port], got {url!r}")
    path = parts.path.rstrip("/")
    for suffix in ("/v1/query", "/v1/querybatch", "/v1"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    return f"{parts.scheme}://{parts.netloc}{path}"


def fetch_vuln(base: str, advisory_id: str, timeout: float) -> Advisory | None:
    """GET /v1/vulns/{id}; None when the service does not have it or cannot be reached."""
    data = _get_json(f"{base}/v1/vulns/{quote(advisory_id, safe='')}", timeout)
    if data is None:
        return None
    try:
        return parse_advisory(data)
    except InvalidRecordError as e:
        log.warning("advisory service returned an invalid record for %s: %s", advisory_id, e)
        return None


def fetch_info(base: str, timeout: float) -> dict[str, Any] | None:
    """A `secscan advisories serve` mirror's record count and newest `modified` (else None)."""
    data = _get_json(base + INFO_PATH, timeout)
    return data if isinstance(data, dict) else None


def _get_json(url: str, timeout: float) -> Any:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    # A loopback mirror must never be sent through a proxy from the environment.
    handlers = [urllib.request.ProxyHandler({})] if parts.hostname in _LOOPBACK else []
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with opener.open(request, timeout=timeout) as resp:
            body = resp.read(MAX_RESPONSE_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as e:
        log.info("advisory service request %s failed: %s", url, e)
        return None
    if len(body) > MAX_RESPONSE_BYTES:
        return None
    try:
        return _json.loads(body)
    except ValueError:
        return None
