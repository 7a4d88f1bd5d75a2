"""`secscan serve`: the organisation's dashboard over a history database (read-only)."""

from __future__ import annotations

from pathlib import Path

import click

from secscan.app.history import default_url
from secscan.cli.history import _url_option
from secscan.serve.server import serve as run_server


@click.command()
@_url_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="A file holding the token every request must carry (Authorization: Bearer, or the "
    "login form's cookie); required to listen on a non-loopback address.",
)
def serve(url: str | None, host: str, port: int, token_file: Path | None) -> None:
    """Serve the organisation's dashboard: posture, trends, compliance, runs (read-only)."""
    click.echo(f"secscan dashboard on http://{host}:{port}/ (Ctrl-C stops it)", err=True)
    run_server(url or default_url(), host=host, port=port, token_file=token_file)
