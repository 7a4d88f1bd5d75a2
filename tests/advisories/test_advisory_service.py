"""Which advisory service a scan gets, and that the local OSV server starts only when asked."""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import pytest

from secscan.advisories import client, service
from secscan.app.registry import installed
from secscan.model.findings import FindingKind
from secscan.settings.config import AdvisoryOptions

OSV_DATA = Path(__file__).resolve().parent.parent / "data" / "osv" / "PyPI"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    shutil.copytree(OSV_DATA, tmp_path / "db" / "PyPI")
    return tmp_path / "db"


def test_the_local_server_starts_on_the_first_request_for_its_url(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[object] = []
    real = service.serve
    monkeypatch.setattr(service, "serve", lambda store: started.append(store) or real(store))
    config = installed().scanners.make_config(advisories=AdvisoryOptions(db=str(db)))
    with service.for_scan(config, [FindingKind.DEPENDENCY]) as served:
        assert served is not None and served.endpoint is not None
        assert served.osv_url is None and started == []
        assert served.digest and served.digest.startswith("local-osv:")
        url = served.endpoint()
        assert served.endpoint() == url and len(started) == 1  # one server per scan
        with urllib.request.urlopen(f"{url}/v1/vulns/PYSEC-2023-74", timeout=10) as r:  # noqa: S310 - loopback
            assert json.load(r)["id"] == "PYSEC-2023-74"
    with pytest.raises(OSError):  # closed with the scan
        urllib.request.urlopen(f"{url}/v1/vulns/PYSEC-2023-74", timeout=5)  # noqa: S310


def test_the_digest_follows_the_database(db: Path) -> None:
    config = installed().scanners.make_config(advisories=AdvisoryOptions(db=str(db)))

    def digest() -> str | None:
        with service.for_scan(config, [FindingKind.IMAGE]) as served:
            assert served is not None
            return served.digest

    before = digest()
    assert digest() == before
    (db / "PyPI" / "PYSEC-2023-74.json").unlink()
    assert digest() != before


def test_an_image_only_scan_does_not_ask_a_shared_mirror(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(client, "fetch_info", lambda base, timeout: asked.append(base) or {})
    config = installed().scanners.make_config(
        advisories=AdvisoryOptions(url="http://mirror.invalid:8080")
    )
    with service.for_scan(config, [FindingKind.IMAGE]) as served:
        assert served is None and asked == []
    with service.for_scan(config, [FindingKind.DEPENDENCY]) as served:
        assert served is not None and asked == ["http://mirror.invalid:8080"]
        assert served.digest is None  # the mirror did not say how fresh it is: not cacheable
