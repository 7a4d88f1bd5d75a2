"""Start the dashboard: check where it may listen, build the app, run it under uvicorn."""

from __future__ import annotations

from pathlib import Path

from secscan.errors import UsageError
from secscan.serve import access


def serve(url: str, *, host: str, port: int, token_file: Path | None) -> None:
    """Serve until interrupted. Refuses (exit 2) a non-loopback address without a token."""
    token = access.read_token(token_file)
    access.check_bind(host, token)
    try:
        import uvicorn

        from secscan.serve.web import create_app
    except ImportError as e:  # pragma: no cover - the `serve` extra is not installed
        raise UsageError(
            f"secscan serve needs the `serve` extra (pip install 'secscan[serve]'): {e}"
        ) from e
    app = create_app(url, token=token)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        proxy_headers=False,
        access_log=False,
    )
