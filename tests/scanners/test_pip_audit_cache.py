"""pip-audit through the result cache: one entry per run, keyed by the manifests, the files
they include and the advisory database's digest; the local OSV server starts only for a miss."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from secscan.advisories import service
from secscan.app.registry import installed
from secscan.model.findings import RunStatus, ScannerRun
from secscan.scan import pipeline
from secscan.scanners.base import ScanContext, ScanRequest
from secscan.scanners.pip_audit import PipAuditScanner
from secscan.settings.config import AdvisoryOptions

OSV_DATA = Path(__file__).resolve().parent.parent / "data" / "osv" / "PyPI"
VERSION = 'if [ "$1" = "--version" ]; then echo "pip-audit 2.10.1"; exit 0; fi\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "requirements").mkdir(parents=True)
    (root / "requirements.txt").write_text("django==3.2.0\n-r requirements/base.in\n")
    (root / "requirements" / "base.in").write_text("requests==2.19.0\n")
    shutil.copytree(OSV_DATA, tmp_path / "advisory-db" / "PyPI")
    return root


class Spy:
    """Counts pip-audit processes and local OSV servers started (the tool still runs)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.audits = 0
        self.servers = 0
        real_run, real_serve = PipAuditScanner._run, service.serve

        def run(scanner: PipAuditScanner, *args: object) -> object:
            self.audits += 1
            return real_run(scanner, *args)  # type: ignore[arg-type]

        def serve(store: object) -> object:
            self.servers += 1
            return real_serve(store)  # type: ignore[arg-type]

        monkeypatch.setattr(PipAuditScanner, "_run", run)
        monkeypatch.setattr(service, "serve", serve)


def scan(root: Path, cache: Path) -> ScannerRun:
    config = installed().scanners.make_config(
        scanners=("pip-audit",),
        advisories=AdvisoryOptions(db=str(root.parent / "advisory-db")),
        base_dir=root,
    )
    run = pipeline.scan(root, config, cache_dir=cache).runs[0]
    assert run.status is RunStatus.OK, run.error
    return run


def ids(run: ScannerRun) -> set[tuple[str, str]]:
    return {(f.location.path, f.rule_id) for f in run.findings}


@pytest.mark.integration
def test_a_warm_run_audits_nothing_and_starts_no_server(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    cache = tmp_path / "cache"
    cold = scan(project, cache)
    assert ("requirements/base.in", "PYSEC-2023-74") in ids(cold)
    assert ("requirements.txt", "PYSEC-2021-7") in ids(cold)
    assert (spy.audits, spy.servers) == (1, 1)
    warm = scan(project, cache)
    assert warm.cached and not cold.cached
    assert ids(warm) == ids(cold)
    assert sorted(f.fingerprint for f in warm.findings) == sorted(
        f.fingerprint for f in cold.findings
    )
    assert warm.components == cold.components and warm.advisory_source == cold.advisory_source
    assert (spy.audits, spy.servers) == (1, 1)  # no pip-audit, no OSV server
    # an included file is an input too, though it is no target of the scan
    (project / "requirements" / "base.in").write_text("requests==2.31.0\n")
    edited = scan(project, cache)
    assert not edited.cached and spy.audits == 2
    assert ("requirements/base.in", "PYSEC-2023-74") not in ids(edited)


@pytest.mark.integration
def test_an_advisory_database_update_invalidates_the_entry(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy(monkeypatch)
    cache = tmp_path / "cache"
    cold = scan(project, cache)
    assert ("requirements/base.in", "PYSEC-2023-74") in ids(cold)
    # the mirror is re-imported without that advisory (withdrawn upstream, say)
    (tmp_path / "advisory-db" / "PyPI" / "PYSEC-2023-74.json").unlink()
    updated = scan(project, cache)
    assert not updated.cached and spy.audits == 2
    assert ids(updated) == ids(cold) - {("requirements/base.in", "PYSEC-2023-74")}
    assert updated.advisory_source is not None and cold.advisory_source is not None
    assert updated.advisory_source.record_count == cold.advisory_source.record_count - 1


def test_an_error_is_never_cached(project: Path, tmp_path: Path, fake_tool) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "calls"
    fake_tool("pip-audit", VERSION + f"echo run >> '{log}'; echo 'Traceback' >&2; exit 1")
    config = installed().scanners.make_config(
        scanners=("pip-audit",),
        advisories=AdvisoryOptions(db=str(tmp_path / "advisory-db")),
        base_dir=project,
    )
    for _ in range(2):
        run = pipeline.scan(project, config, cache_dir=tmp_path / "cache").runs[0]
        assert run.status is RunStatus.ERROR and not run.cached
    assert log.read_text().split() == ["run", "run"]


def test_advisories_that_cannot_be_named_are_never_cached(project: Path) -> None:
    """The public OSV API (or a mirror that does not say how fresh it is) has no digest."""
    config = installed().scanners.make_config(scanners=("pip-audit",), base_dir=project)
    ctx = ScanContext(project, ("requirements.txt",), config, 60, request=ScanRequest())
    assert PipAuditScanner().cache_material(ctx) is None
    named = ScanContext(
        project, ("requirements.txt",), config, 60, request=ScanRequest(advisory_digest="x")
    )
    assert PipAuditScanner().cache_material(named) is not None
