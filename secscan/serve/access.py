"""Who may reach the dashboard: loopback by default; any other address only with a token.

The token comes from a file (never the command line, where `ps` shows it) and is compared in
constant time, from an `Authorization: Bearer` header or the cookie the login form sets.
Without a token the dashboard answers only requests addressed to a loopback name, so a web
page that rebinds its own host name to 127.0.0.1 cannot read it through the browser.
"""

from __future__ import annotations

import hmac
import ipaddress
from pathlib import Path

from secscan.errors import UsageError

COOKIE = "secscan_dashboard"
#: A token shorter than this is guessable; the file holds at least this many characters.
MIN_TOKEN = 16
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(host: str) -> bool:
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def read_token(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"--token-file {path}: cannot read it: {e}") from e
    if len(token) < MIN_TOKEN or any(c.isspace() for c in token):
        raise UsageError(
            f"--token-file {path}: the token must be at least {MIN_TOKEN} characters, no spaces"
        )
    return token


def check_bind(host: str, token: str | None) -> None:
    """Refuse to listen beyond this machine without a token."""
    if token is None and not is_loopback(host):
        raise UsageError(
            f"--host {host}: the dashboard listens on a non-loopback address only with "
            "--token-file (it shows every repository's findings); bind 127.0.0.1, or give a token"
        )


def token_matches(token: str, offered: str | None) -> bool:
    if offered is None:
        return False
    return hmac.compare_digest(token.encode("utf-8"), offered.encode("utf-8"))


def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def host_allowed(host_header: str | None) -> bool:
    """Whether a request without a token addresses the dashboard by a loopback name."""
    if not host_header:
        return False
    host = host_header.strip()
    if host.startswith("["):
        name = host[1 : host.find("]")] if "]" in host else host
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name.lower() in LOOPBACK_NAMES or is_loopback(name)
