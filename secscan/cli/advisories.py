"""`secscan advisories import|info|serve`: build, inspect and share a local OSV advisory mirror."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import click

from secscan.app.advisories import (
    LOOKED_FOR,
    AdvisoryStore,
    StoreInfo,
    exploits,
    import_records,
    make_server,
)
from secscan.errors import ExitCode

_DB = click.option(
    "--db",
    "db",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The advisory database directory (OSV JSON records, any nesting).",
)


@click.group()
def advisories() -> None:
    """Local OSV advisory mirror for offline and air-gapped dependency scanning."""


@advisories.command("import")
@click.argument("src", type=click.Path(exists=True, path_type=Path))
@_DB
@click.option("--strict", is_flag=True, help="Exit 2 if any record was invalid or refused.")
def import_cmd(src: Path, db: Path, strict: bool) -> int:
    """Import OSV records from SRC: a directory, a JSON file, or OSV's all.zip export.

    A directory may be a checkout of the PyPA advisory-database (YAML records) or the
    GitHub advisory-database (JSON records). Importing no record at all exits 2. SRC may also
    be FIRST's EPSS daily CSV (plain or gzip) or CISA's KEV catalog (JSON), kept beside them.
    """
    kind = exploits.detect(src)
    if kind is not None:
        click.echo(exploits.describe_import(exploits.import_file(src, db, kind), src, db))
        return int(ExitCode.PASS)
    report = import_records(src, db)
    click.echo(
        f"imported from {src} into {db}: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.withdrawn} withdrawn (not imported)"
    )
    for title, items in (
        ("refused archive member", report.rejected),
        ("invalid record", report.invalid),
    ):
        if items:
            click.echo(f"{len(items)} {title}{'s' if len(items) > 1 else ''}:", err=True)
            for item in items:
                click.echo(f"  {item.name}: {item.reason}", err=True)
    if report.info is not None:
        click.echo(_info_line(report.info))
    if report.imported + report.withdrawn == 0:
        found = f"{report.candidates} candidate file(s), none a valid record"
        click.echo(
            f"error: no advisory imported from {src} ({found}); looked for {LOOKED_FOR}",
            err=True,
        )
        return int(ExitCode.USAGE)
    if strict and (report.invalid or report.rejected):
        return int(ExitCode.USAGE)
    return int(ExitCode.PASS)


@advisories.command("info")
@_DB
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON.")
def info_cmd(db: Path, as_json: bool) -> int:
    """Record counts per ecosystem and the newest `modified` date: how current the mirror is."""
    info = AdvisoryStore.open(db).info()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "location": info.location,
                    "records": info.records,
                    "withdrawn": info.withdrawn,
                    "newest_modified": info.newest_modified,
                    "ecosystems": dict(info.ecosystems),
                    "exploits": exploits.ages_json(db),
                },
                indent=2,
            )
        )
        return int(ExitCode.PASS)
    click.echo(_info_line(info))
    for eco, count in info.ecosystems:
        click.echo(f"  {eco:20} {count}")
    for line in exploits.ages_text(db):
        click.echo(line)
    return int(ExitCode.PASS)


@advisories.command("serve")
@_DB
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0: any free port).")  # fmt: skip
def serve_cmd(db: Path, host: str, port: int) -> int:
    """Serve the mirror over the OSV API v1 (POST /v1/query, /v1/querybatch, GET /v1/vulns/ID)."""
    store = AdvisoryStore.open(db)
    server = make_server(store, host, port)
    if not _is_loopback(host):
        click.echo(
            f"secscan: warning: serving on {host}, reachable from other machines; the API has "
            "no authentication (advisories are public data, but mind your network policy)",
            err=True,
        )
    click.echo(f"serving {store.info().records} advisories at {server.base_url}", err=True)
    click.echo(f"  scan with: advisories: {{url: {server.base_url}}} in .secscan.yaml", err=True)
    click.echo(server.base_url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        server.server_close()
    return int(ExitCode.PASS)


def _info_line(info: StoreInfo) -> str:
    newest = info.newest_modified or "none"
    return (
        f"{info.location}: {info.records} advisories ({info.withdrawn} withdrawn ignored), "
        f"newest modified {newest}"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
