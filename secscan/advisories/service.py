"""Which advisory service a scan uses, and the local OSV server that runs for a scan's duration."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from secscan.advisories import client
from secscan.advisories.server import serve
from secscan.advisories.store import AdvisoryStore
from secscan.dependencies.interface import mask
from secscan.errors import AdvisoryError
from secscan.model.findings import AdvisorySource, FindingKind
from secscan.settings.config import Config

#: Scanner kinds that look packages up in advisories.
ADVISORY_KINDS = (FindingKind.DEPENDENCY, FindingKind.IMAGE)
#: Seconds to wait for a shared mirror to say how fresh it is (only informative).
INFO_TIMEOUT_S = 10


@dataclass(frozen=True, slots=True)
class Served:
    """Where the scanners look advisories up for one scan; the pipeline puts it on the request."""

    osv_url: str | None
    advisory_db: Path | None
    source: AdvisorySource | None
    #: What identifies the data (see ScanRequest.advisory_digest); None: not cacheable.
    digest: str | None = None
    #: The local OSV server's URL, the server started on first call.
    endpoint: Callable[[], str] | None = field(default=None, compare=False)


class LazyServer:
    """The local mirror's OSV server, started by the first scanner that asks for its URL: a
    scan whose dependency results come from the cache, or that looks only at an image (its
    scanner reads the mirror directly), starts no server and binds no port."""

    def __init__(self, store: AdvisoryStore, stack: ExitStack) -> None:
        self._store = store
        self._stack = stack
        self._lock = threading.Lock()
        self._url: str | None = None

    @property
    def started(self) -> bool:
        return self._url is not None

    def url(self) -> str:
        with self._lock:
            if self._url is None:
                self._url = self._stack.enter_context(serve(self._store))
            return self._url


def local_db(config: Config, advisory_db: Path | None) -> Path | None:
    """The command line's --advisory-db wins over the config's `advisories.db`."""
    return advisory_db or config.resolve(config.advisories.db)


@contextmanager
def for_scan(
    config: Config,
    kinds: Iterable[FindingKind],
    *,
    advisory_db: Path | None = None,
    osv_url: str | None = None,
    index_dir: Path | None = None,
    use_index: bool = True,
) -> Iterator[Served | None]:
    """The advisory service of a scan whose scanners are of `kinds`; with a local mirror, a
    loopback OSV server is up meanwhile. None: the request stays as asked.

    Precedence: --advisory-db, `advisories.db`, `advisories.url` (a shared mirror), else the
    public OSV API (the scanner's default). A database that cannot be opened raises
    AdvisoryError before any scanner runs: scanning against nothing would look clean.
    The mirror's index is kept in `index_dir` (the cache directory), never in the mirror;
    `use_index=False` indexes it in memory only.
    """
    kinds = set(kinds)
    if not kinds & set(ADVISORY_KINDS):
        yield None
        return
    db = local_db(config, advisory_db)
    if db is not None:
        store = AdvisoryStore.open(db, index_dir=index_dir, use_index=use_index)
        with ExitStack() as stack:
            server = LazyServer(store, stack)
            yield Served(
                osv_url=None,
                advisory_db=store.root,
                source=store.source(),
                digest=f"local-osv:{store.digest()}",
                endpoint=server.url,
            )
        return
    # A shared mirror is asked how fresh it is only for a dependency scanner: the image
    # scanner reads a local mirror or trivy's DB, never a URL.
    if config.advisories.url and osv_url is None and FindingKind.DEPENDENCY in kinds:
        base = client.base_url(config.advisories.url)
        info = client.fetch_info(base, INFO_TIMEOUT_S) or {}
        newest = info.get("newest_modified")
        count = info.get("records")
        source = AdvisorySource(
            kind="osv-api",
            location=mask(base),  # a mirror URL may carry credentials
            newest_modified=newest if isinstance(newest, str) else None,
            record_count=count if isinstance(count, int) else None,
        )
        # A shared mirror's data is known by its freshness; one that does not say has no
        # identity the cache could key on.
        digest = (
            f"osv-api:{base}:{source.newest_modified}:{source.record_count}"
            if source.newest_modified and source.record_count is not None
            else None
        )
        yield Served(osv_url=base, advisory_db=advisory_db, source=source, digest=digest)
        return
    yield None


def describe(config: Config) -> str:
    """One line for `secscan doctor`: where dependency scans get advisories, and how fresh."""
    db = config.resolve(config.advisories.db)
    if db is not None:
        try:
            info = AdvisoryStore.open(db).info()
        except AdvisoryError as e:
            return f"local-osv  unusable {e.diagnostics().splitlines()[0]}"
        return (
            f"local-osv  usable   {info.location} ({info.records} records, "
            f"newest modified {info.newest_modified or 'none'})"
        )
    if config.advisories.url:
        return f"osv-api    shared   {mask(client.base_url(config.advisories.url))}"
    return "osv-api    public   https://api.osv.dev (needs network; set advisories.db offline)"
