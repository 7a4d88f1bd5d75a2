"""The one jinja2 environment for report templates: autoescape on, undefined names are errors."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime
from functools import cache
from urllib.parse import urlsplit

import jinja2
import markupsafe

from secscan.errors import ReportError
from secscan.util.resources import data_dir
from secscan.util.text import visible


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("reports") / "templates")),
        # Every template escapes, whatever its name: scanned code is attacker-controlled text.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_visible,
    )
    env.filters["web_url"] = web_url
    env.filters["when"] = when
    return env


def _visible(value: object) -> object:
    # Markup is what a filter built from escaped parts; plain text gets its controls shown.
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return visible(value)
    return value


def render(template: str, **context: object) -> str:
    try:
        return environment().get_template(template).render(**context)
    except jinja2.TemplateNotFound as e:
        raise ReportError(
            f"report template {e.name!r} is missing from {data_dir('reports') / 'templates'}"
        ) from e


def asset(name: str) -> str:
    """A static file beside the templates (CSS, JS), verbatim: it is inlined and hashed for CSP."""
    env = environment()
    assert env.loader is not None  # noqa: S101 - set in environment()
    try:
        source, _, _ = env.loader.get_source(env, name)
    except jinja2.TemplateNotFound as e:
        raise ReportError(f"report asset {name!r} is missing") from e
    return source


def csp_hash(text: str) -> str:
    """The CSP source expression that allows exactly this inline <style> or <script> body."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def web_url(url: str) -> str | None:
    """Only http(s) URLs become links: a `javascript:` reference from a tool stays text."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    url = url.strip()
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    # A URL with spaces or markup in it is not one a tool meant to link to.
    if _NOT_IN_URL.search(url):
        return None
    return url


#: `\s` is exactly str.isspace() (checked for every code point in the tests).
_NOT_IN_URL = re.compile("[\\s<>\"'`]")


def when(value: datetime | None) -> str:
    if value is None:
        return "-"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")
