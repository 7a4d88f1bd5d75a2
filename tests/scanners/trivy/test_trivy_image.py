"""image (trivy image): inventories matched against OSV, stable places, and the real trivy on
images built here (Debian, Alpine, OCI layout, broken input)."""

import json
import secrets
import shutil
import string
from dataclasses import replace
from pathlib import Path

import pytest
from packageurl import PackageURL
from trivy_helpers import (
    FIX,
    OSV,
    PYSEC_URLLIB3,
    alpine_files,
    context,
    debian_files,
    docker_archive,
    oci_layout,
    osv_store_dir,
)

from secscan.advisories.store import AdvisoryStore
from secscan.app.registry import installed
from secscan.errors import ScannerError
from secscan.model.findings import FindingKind, Location, RunStatus, Severity
from secscan.scan import pipeline
from secscan.scanners._trivy import TrivyOptions
from secscan.scanners.base import ScanRequest
from secscan.scanners.trivy_image import (
    TrivyImageScanner,
    advisory_sources,
    anchor,
    image_package,
    match_inventory,
    osv_ecosystem,
    parse_inventory,
    parse_report,
    pseudo_path,
    repository,
)
from secscan.settings.config import AdvisoryOptions
from secscan.util import proc as _subprocess

APP = "registry.example.net/shop/app"
WORKER = "registry.example.net/shop/worker"


@pytest.mark.parametrize(
    ("ref", "repo"),
    [
        ("registry.example.net/shop/app:1.4.2", APP),
        ("reg.example.net:5000/shop/app@sha256:" + "a" * 64, "reg.example.net:5000/shop/app"),
        ("reg.example.net:5000/shop/app:1.0@sha256:" + "b" * 64, "reg.example.net:5000/shop/app"),
        ("python:3.11-slim", "python"),
        ("localhost:5000/app", "localhost:5000/app"),
    ],
)
def test_repository_drops_tag_and_digest(ref: str, repo: str) -> None:
    assert repository(ref) == repo


def test_anchor_is_the_last_from_of_the_root_dockerfile(tmp_path: Path) -> None:
    assert anchor(tmp_path, APP) == Location(f"image:{APP}")
    (tmp_path / "Dockerfile").write_text(
        "FROM golang:1.22 AS build\nRUN go build\n\n"
        "from gcr.io/distroless/base\nCOPY --from=build /a /a\n"
    )
    assert anchor(tmp_path, APP) == Location("Dockerfile", 4, 4)
    assert pseudo_path(APP, "/app/settings.py") == f"image:{APP}!/app/settings.py"


@pytest.mark.parametrize(
    ("purl", "os_family", "os_version", "ecosystem"),
    [
        (
            "pkg:deb/debian/zlib1g@1.2.11.dfsg-2%2Bdeb11u1?distro=debian-11.6&epoch=1",
            None,
            None,
            "Debian:11",
        ),
        ("pkg:deb/debian/zlib1g@1.2.11", "debian", "12.4", "Debian:12"),
        ("pkg:apk/alpine/zlib@1.2.12-r1?distro=3.16.2", None, None, "Alpine:v3.16"),
        ("pkg:deb/ubuntu/zlib1g@1.2.11?distro=ubuntu-22.04", None, None, "Ubuntu"),
        ("pkg:rpm/rocky/openssl@3.0.7?distro=rocky-9.3", None, None, "Rocky Linux:9"),
        ("pkg:rpm/redhat/openssl@3.0.7?distro=redhat-9.3", None, None, "Red Hat"),
        ("pkg:rpm/amazon/openssl@3.0.7?distro=amazon-2023", None, None, None),
        ("pkg:pypi/urllib3@1.26.4", "debian", "11", "PyPI"),
        ("pkg:golang/github.com/x/y@v1.2.3", None, None, "Go"),
        ("pkg:conda/numpy@1.0", None, None, None),
    ],
)
def test_osv_ecosystem(
    purl: str, os_family: str | None, os_version: str | None, ecosystem: str | None
) -> None:
    assert osv_ecosystem(PackageURL.from_string(purl), os_family, os_version) == ecosystem


def test_os_packages_are_looked_up_by_source_package_and_version() -> None:
    zlib = image_package(
        "zlib1g",
        "1:1.2.11.dfsg-2+deb11u1",
        "pkg:deb/debian/zlib1g@1.2.11.dfsg-2%2Bdeb11u1?arch=amd64&distro=debian-11.6&epoch=1",
        {
            "SrcName": "zlib",
            "SrcVersion": "1.2.11.dfsg",
            "SrcRelease": "2+deb11u1",
            "SrcEpoch": "1",
        },
        "debian",
        "11.6",
    )
    assert (zlib.query_name, zlib.query_version, zlib.ecosystem) == (
        "zlib",
        "1:1.2.11.dfsg-2+deb11u1",
        "Debian:11",
    )
    assert zlib.os_package
    go = image_package("y", "v1.2.3", "pkg:golang/github.com/x/y@v1.2.3", {}, None, None)
    assert (go.query_name, go.query_version) == ("github.com/x/y", "1.2.3")
    mvn = image_package(
        "c", "2.14.1", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", {}, None, None
    )
    assert mvn.query_name == "org.apache.logging.log4j:log4j-core"


def test_parse_real_debian_inventory() -> None:
    inv = parse_inventory((FIX / "image-debian.cdx.json").read_text())
    assert (inv.os_family, inv.os_version) == ("debian", "11.6")
    assert inv.repo_tags == ("registry.example.net/shop/app:1.4.2",)
    by = {p.name: p for p in inv.packages}
    assert sorted(by) == ["libssl1.1", "openssl", "urllib3", "zlib1g"]
    assert by["libssl1.1"].query_name == "openssl"
    assert by["zlib1g"].query_version == "1:1.2.11.dfsg-2+deb11u1"
    assert by["urllib3"].ecosystem == "PyPI" and not by["urllib3"].os_package
    site = "usr/local/lib/python3.9/site-packages"
    assert by["urllib3"].path == f"{site}/urllib3-1.26.4.dist-info/METADATA"


@pytest.fixture
def debian_store(tmp_path: Path) -> AdvisoryStore:
    return AdvisoryStore.open(osv_store_dir(tmp_path / "osv", OSV / "Debian", PYSEC_URLLIB3))


def test_debian_inventory_matches_real_debian_facts(debian_store: AdvisoryStore) -> None:
    inv = parse_inventory((FIX / "image-debian.cdx.json").read_text())
    where = Location("Dockerfile", 3, 3)
    findings, skipped = match_inventory(inv, debian_store, where, APP)
    assert skipped == ()
    got = sorted((f.rule_id, f.package.name) for f in findings if f.package)
    assert got == [
        ("DEBIAN-CVE-2022-0778", "libssl1.1"),
        ("DEBIAN-CVE-2022-0778", "openssl"),
        ("DEBIAN-CVE-2022-37434", "zlib1g"),
        ("PYSEC-2021-108", "urllib3"),
    ]
    zlib = next(f for f in findings if f.rule_id == "DEBIAN-CVE-2022-37434")
    assert zlib.package is not None
    assert zlib.package.fixed_versions == ("1:1.2.11.dfsg-2+deb11u2",)
    assert zlib.package.ecosystem == "Debian:11"
    assert zlib.severity is Severity.CRITICAL and zlib.cvss_score == 9.8
    assert zlib.aliases == ("CVE-2022-37434",)
    assert zlib.location == where and zlib.resource == APP
    assert zlib.kind is FindingKind.IMAGE and zlib.scanner == "image"
    ssl = next(f for f in findings if f.rule_id == "DEBIAN-CVE-2022-0778")
    assert ssl.severity is Severity.HIGH
    assert "1.1.1k-1+deb11u2" in (ssl.remediation or "")


def test_a_fixed_backport_is_not_reported(debian_store: AdvisoryStore) -> None:
    inv = parse_inventory((FIX / "image-debian.cdx.json").read_text())
    patched = replace(
        inv,
        packages=tuple(
            replace(p, query_version="1.1.1k-1+deb11u2") if p.query_name == "openssl" else p
            for p in inv.packages
        ),
    )
    findings, _ = match_inventory(patched, debian_store, Location("x"), APP)
    assert "DEBIAN-CVE-2022-0778" not in {f.rule_id for f in findings}
    assert "DEBIAN-CVE-2022-37434" in {f.rule_id for f in findings}


def test_os_packages_without_advisories_fail_closed(tmp_path: Path) -> None:
    store = AdvisoryStore.open(osv_store_dir(tmp_path / "osv", PYSEC_URLLIB3))
    inv = parse_inventory((FIX / "image-debian.cdx.json").read_text())
    with pytest.raises(ScannerError, match="cannot assess the 3 OS package.*no Debian records"):
        match_inventory(inv, store, Location("x"), APP)


def test_language_packages_without_advisories_are_not_analyzed(tmp_path: Path) -> None:
    store = AdvisoryStore.open(osv_store_dir(tmp_path / "osv", OSV / "Debian"))
    inv = parse_inventory((FIX / "image-debian.cdx.json").read_text())
    findings, skipped = match_inventory(inv, store, Location("x"), APP)
    assert {f.rule_id for f in findings} == {"DEBIAN-CVE-2022-0778", "DEBIAN-CVE-2022-37434"}
    (urllib3,) = skipped
    metadata = "usr/local/lib/python3.9/site-packages/urllib3-1.26.4.dist-info/METADATA"
    assert urllib3.path == f"image:{APP}!/{metadata}"
    assert "no PyPI records" in urllib3.reason


def test_alpine_inventory_matches_real_alpine_facts(tmp_path: Path) -> None:
    store = AdvisoryStore.open(osv_store_dir(tmp_path / "osv", OSV / "Alpine"))
    inv = parse_inventory((FIX / "image-alpine.cdx.json").read_text())
    findings, skipped = match_inventory(inv, store, Location(pseudo_path(WORKER)), WORKER)
    assert skipped == ()
    got = {(f.rule_id, f.package.name, f.package.ecosystem) for f in findings if f.package}
    assert got == {
        ("ALPINE-CVE-2022-2097", "libssl1.1", "Alpine:v3.16"),
        ("ALPINE-CVE-2022-37434", "zlib", "Alpine:v3.16"),
    }
    ocb = next(f for f in findings if f.rule_id == "ALPINE-CVE-2022-2097")
    assert ocb.package is not None and ocb.package.fixed_versions == ("1.1.1q-r0",)
    assert ocb.severity is Severity.MEDIUM


def test_parse_real_image_report_keys_findings_by_repository() -> None:
    findings = parse_report((FIX / "image-alpine-extras.json").read_text(), Location("x"), WORKER)
    paths = {f.location.path for f in findings}
    assert paths == {f"image:{WORKER}", f"image:{WORKER}!/app/deploy/pod.yaml"}
    config = {f.rule_id for f in findings if f.location.path == f"image:{WORKER}"}
    assert config == {"DS-0002", "DS-0026"}  # the image config: root user, no HEALTHCHECK
    assert "KSV-0017" in {f.rule_id for f in findings}
    assert all(f.scanner == "image" and f.resource == WORKER for f in findings)


def test_select_only_with_an_image() -> None:
    s = TrivyImageScanner()
    assert s.select(["Dockerfile"], ScanRequest()) == ()
    assert s.select([], ScanRequest(image="python:3.11")) == ("python:3.11",)
    assert s.select([], ScanRequest(image_archive=Path("/x/app.tar"))) == ("/x/app.tar",)


def test_no_vulnerability_source_is_an_error_not_a_clean_image(tmp_path: Path) -> None:
    ctx = context(tmp_path, "app.tar", request=ScanRequest(image_archive=tmp_path / "app.tar"))
    with pytest.raises(ScannerError, match="no vulnerability source"):
        TrivyImageScanner().scan(ctx)


# --- the real trivy ---------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with a Dockerfile and a local OSV mirror holding Debian, Alpine and urllib3."""
    root = tmp_path / "proj"
    root.mkdir()
    osv_store_dir(root / "osv", OSV / "Debian", OSV / "Alpine", PYSEC_URLLIB3)
    (root / "Dockerfile").write_text("# the shop\nFROM debian:11\nCOPY . /app\n")
    (root / ".secscan.yaml").write_text(
        "version: 1\nscanners: [secrets]\nadvisories:\n  db: osv\nexclude: [osv/]\n"
    )
    return root


def results(out: Path) -> dict:  # type: ignore[type-arg]
    data: dict = json.loads((out / "secscan-results.json").read_text())  # type: ignore[type-arg]
    return data


@pytest.mark.integration
def test_debian_archive_through_the_cli_and_stable_fingerprints(
    project: Path,
    tmp_path: Path,
    run_cli,
    in_tmp,  # type: ignore[no-untyped-def]
) -> None:
    archive = docker_archive(tmp_path / "app.tar", debian_files(), f"{APP}:1.4.2")
    res = run_cli(
        "scan",
        str(project),
        "--image-archive",
        str(archive),
        "--output-dir",
        str(tmp_path / "out"),
        "--format",
        "json",
    )
    runs = {r["scanner"]: r for r in results(tmp_path / "out")["result"]["runs"]}
    assert set(runs) == {"secrets", "image"}  # the config lists only secrets: the image still ran
    image = runs["image"]
    assert image["status"] == "ok", image["error"]
    assert res.code in (0, 1), res.out
    assert image["advisory_source"]["kind"] == "local-osv"
    assert image["advisory_source"]["record_count"] == 5
    assert image["advisory_source"]["newest_modified"].startswith("2026-08-27")
    vulns = [f for f in image["findings"] if f["kind"] == "image"]
    got = sorted((f["rule_id"], f["package"]["name"]) for f in vulns)
    assert got == [
        ("DEBIAN-CVE-2022-0778", "libssl1.1"),
        ("DEBIAN-CVE-2022-0778", "openssl"),
        ("DEBIAN-CVE-2022-37434", "zlib1g"),
        ("PYSEC-2021-108", "urllib3"),
    ]
    # located at the FROM line of the project's Dockerfile, keyed by repository
    assert {(f["location"]["path"], f["location"]["start_line"]) for f in vulns} == {
        ("Dockerfile", 2)
    }
    assert {f["resource"] for f in image["findings"]} == {APP}
    # the image config's own checks (root user, no HEALTHCHECK) are keyed by repository too
    assert {f["location"]["path"] for f in image["findings"] if f["kind"] == "iac"} == {
        f"image:{APP}"
    }
    assert "image" in res.out and "DEBIAN-CVE-2022-37434" in res.out

    # a rebuild (new layer, new digest, new tag) keeps every fingerprint
    rebuilt_files = {**debian_files(), "etc/motd": b"rebuilt\n"}
    rebuilt = docker_archive(tmp_path / "app-2.tar", rebuilt_files, f"{APP}:1.4.3")
    again = pipeline.scan(
        project,
        installed().scanners.make_config(
            scanners=("image",), advisories=AdvisoryOptions(db="osv"), base_dir=project
        ),
        request=ScanRequest(image_archive=rebuilt),
        use_cache=False,
    )
    (run,) = again.runs
    assert run.status is RunStatus.OK, run.error
    assert sorted(f.fingerprint for f in run.findings) == sorted(
        f["fingerprint"] for f in image["findings"]
    )


@pytest.mark.integration
def test_alpine_archive_with_a_secret_and_a_manifest_inside(project: Path, tmp_path: Path) -> None:
    token = (
        "gh"
        + "p_"
        + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(36))
    )
    files = {
        **alpine_files(),
        "app/settings.py": f'GITHUB_TOKEN = "{token}"\n'.encode(),
        "app/deploy/pod.yaml": (FIX / "iac" / "deploy" / "pod.yaml").read_bytes(),
    }
    archive = docker_archive(tmp_path / "worker.tar", files, f"{WORKER}:2.0")
    (project / "Dockerfile").unlink()
    config = installed().scanners.make_config(
        scanners=("image",), advisories=AdvisoryOptions(db="osv"), base_dir=project
    )
    result = pipeline.scan(
        project, config, request=ScanRequest(image_archive=archive), use_cache=False
    )
    (run,) = result.runs
    assert run.status is RunStatus.OK, run.error
    vulns = {(f.rule_id, f.location.path) for f in run.findings if f.kind is FindingKind.IMAGE}
    assert vulns == {
        ("ALPINE-CVE-2022-2097", f"image:{WORKER}"),
        ("ALPINE-CVE-2022-37434", f"image:{WORKER}"),
    }
    (secret,) = [f for f in run.findings if f.kind is FindingKind.SECRET]
    assert secret.rule_id == "github-pat"
    assert secret.location.path == f"image:{WORKER}!/app/settings.py"
    assert secret.location.snippet == 'GITHUB_TOKEN = "' + "*" * 40 + '"'
    assert "KSV-0017" in {f.rule_id for f in run.findings if f.kind is FindingKind.IAC}
    from secscan.model.results import dumps

    assert token not in dumps(result)


@pytest.mark.integration
def test_oci_layout_directory(project: Path, tmp_path: Path) -> None:
    layout = oci_layout(tmp_path / "oci", debian_files(urllib3=None), f"{APP}:1.4.2")
    (project / "Dockerfile").unlink()
    config = installed().scanners.make_config(
        scanners=("image",), advisories=AdvisoryOptions(db="osv"), base_dir=project
    )
    run = pipeline.scan(
        project, config, request=ScanRequest(image_archive=layout), use_cache=False
    ).runs[0]
    assert run.status is RunStatus.OK, run.error
    assert {f.location.path for f in run.findings} == {f"image:{APP}"}
    assert {f.rule_id for f in run.findings} >= {"DEBIAN-CVE-2022-0778", "DEBIAN-CVE-2022-37434"}


@pytest.mark.integration
def test_trivy_db_unavailable_offline_falls_back_to_osv(project: Path, tmp_path: Path) -> None:
    archive = docker_archive(tmp_path / "app.tar", debian_files(urllib3=None), f"{APP}:1")
    config = installed().scanners.make_config(
        scanners=("image",),
        advisories=AdvisoryOptions(db="osv"),
        base_dir=project,
        trivy=TrivyOptions(cache_dir=str(tmp_path / "empty-cache")),
    )
    run = pipeline.scan(
        project, config, request=ScanRequest(image_archive=archive), use_cache=False
    ).runs[0]
    assert run.status is RunStatus.OK, run.error
    assert run.advisory_source is not None and run.advisory_source.kind == "local-osv"


@pytest.mark.integration
@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("--image-archive", "{garbage}"), "trivy could not read the image"),
        (("--image", "no-such-registry.invalid/none/app:1"), "trivy could not read the image"),
    ],
    ids=["invalid-tarball", "non-existent-image"],
)
def test_bad_image_input_is_a_scanner_error(
    project: Path,
    tmp_path: Path,
    run_cli,
    in_tmp,
    args: tuple[str, str],
    reason: str,  # type: ignore[no-untyped-def]
) -> None:
    garbage = tmp_path / "garbage.tar"
    garbage.write_bytes(b"this is not a tarball\n" * 10)
    argv = [a.format(garbage=garbage) for a in args]
    res = run_cli(
        "scan",
        str(project),
        *argv,
        "--scanner",
        "image",
        "--output-dir",
        str(tmp_path / "out"),
        "--format",
        "json",
    )
    assert res.code == 3, res.out + res.err
    (image,) = results(tmp_path / "out")["result"]["runs"]
    assert image["status"] == "error" and reason in image["error"]
    assert image["findings"] == []


@pytest.mark.integration
def test_no_advisory_source_exits_3(tmp_path: Path, run_cli, in_tmp) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "proj"
    root.mkdir()
    archive = docker_archive(tmp_path / "app.tar", debian_files(), f"{APP}:1")
    res = run_cli(
        "scan",
        str(root),
        "--image-archive",
        str(archive),
        "--scanner",
        "image",
        "--output-dir",
        str(tmp_path / "out"),
        "--format",
        "json",
    )
    assert res.code == 3
    assert "no vulnerability source" in res.out


def test_image_and_archive_together_are_a_usage_error(tmp_path: Path, run_cli, in_tmp) -> None:  # type: ignore[no-untyped-def]
    archive = tmp_path / "a.tar"
    archive.write_bytes(b"")
    res = run_cli("scan", str(tmp_path), "--image", "x:1", "--image-archive", str(archive))
    assert res.code == 2 and "not both" in res.err


@pytest.mark.slow
@pytest.mark.integration
def test_debootstrapped_debian_rootfs(
    project: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A real minimal Debian from the Debian mirror, packed as an image (minutes; -m slow)."""
    if "slow" not in (request.config.getoption("-m") or ""):
        pytest.skip("slow: select with -m slow")
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        pytest.skip("debootstrap is not installed (apt-get install debootstrap)")
    rootfs = tmp_path / "rootfs"
    _subprocess.run([debootstrap, "--variant=minbase", "bullseye", str(rootfs)], timeout=1800)
    files = {}
    for path in rootfs.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.stat().st_size < 64 * 1024 * 1024:
            rel = path.relative_to(rootfs).as_posix()
            if rel.startswith(("etc/", "var/lib/dpkg/", "usr/lib/os-release")):
                files[rel] = path.read_bytes()
    archive = docker_archive(tmp_path / "bullseye.tar", files, "debootstrap.local/bullseye:min")
    config = installed().scanners.make_config(
        scanners=("image",), advisories=AdvisoryOptions(db="osv"), base_dir=project
    )
    run = pipeline.scan(
        project,
        config,
        request=ScanRequest(image_archive=archive),
        use_cache=False,
    ).runs[0]
    assert run.status is RunStatus.OK, run.error
    # bullseye's current zlib and openssl are fixed: the real rootfs must not match old facts
    assert "DEBIAN-CVE-2022-37434" not in {f.rule_id for f in run.findings}
    assert run.advisory_source is not None and run.advisory_source.kind == "local-osv"
    # ... and that is because they were matched, not because nothing was found
    trivy = _subprocess.which("trivy")
    assert trivy
    sbom = _subprocess.run(
        [
            trivy,
            "image",
            "--skip-version-check",
            "--disable-telemetry",
            "--skip-db-update",
            "--offline-scan",
            "--cache-backend",
            "memory",
            "--scanners",
            "",
            "--format",
            "cyclonedx",
            "--input",
            str(archive),
        ],
        timeout=600,
    )
    inv = parse_inventory(sbom.stdout)
    assert (inv.os_family, inv.os_version and inv.os_version.split(".")[0]) == ("debian", "11")
    by = {p.name: p for p in inv.packages}
    assert len(by) > 50 and {"zlib1g", "libc6", "dpkg"} <= set(by)
    assert by["zlib1g"].query_name == "zlib" and by["zlib1g"].ecosystem == "Debian:11"


def test_advisory_sources_say_what_an_image_scan_could_use(tmp_path: Path) -> None:
    osv_store_dir(tmp_path / "osv", OSV / "Debian")
    shutil.copytree(FIX / "trivy-db" / "db", tmp_path / "cache" / "db")
    config = installed().scanners.make_config(
        base_dir=tmp_path,
        advisories=AdvisoryOptions(db="osv"),
        trivy=TrivyOptions(cache_dir="cache"),
    )
    trivy_db, local = advisory_sources(config)
    assert trivy_db.usable and "updated 2026-11-26T00:00:00Z" in trivy_db.detail
    assert local.usable and "2 record(s)" in local.detail and "Debian 2" in local.detail
    bare = advisory_sources(
        installed().scanners.make_config(base_dir=tmp_path, trivy=TrivyOptions(cache_dir="none"))
    )
    assert [s.usable for s in bare] == [False, False]
    assert "not configured" in bare[1].detail


@pytest.mark.integration
def test_doctor_prints_the_image_sources(tmp_path: Path, run_cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # only the image scanner: asking every other tool its version is not this test's business
    every = installed()
    only = replace(
        every,
        scanners=replace(
            every.scanners, classes={"image": TrivyImageScanner}, builtins=frozenset({"image"})
        ),
    )
    monkeypatch.setattr("secscan.cli.doctor.registry", lambda: only)
    osv_store_dir(tmp_path / "osv", OSV / "Debian")
    (tmp_path / ".secscan.yaml").write_text("version: 1\nadvisories:\n  db: osv\n")
    res = run_cli("doctor", str(tmp_path))
    assert res.code == 0
    lines = res.out.splitlines()
    assert lines[0].split() == ["image", "image", "ok", "0.76.0"]
    at = lines.index("advisory sources for images:")
    assert lines[at + 1].split()[:2] == ["trivy-db", "unusable"]
    assert lines[at + 2].split()[:2] == ["local-osv", "usable"]


# --- trivy's own database (a minimal real one, built offline: tests/fixtures/trivy/trivy-db)


def test_parse_real_report_with_trivy_db_vulnerabilities() -> None:
    where = Location("Dockerfile", 2, 2)
    findings = parse_report((FIX / "image-debian-trivydb.json").read_text(), where, APP)
    vulns = sorted(
        (f for f in findings if f.kind is FindingKind.IMAGE),
        key=lambda f: (f.rule_id, f.package.name if f.package else ""),
    )
    assert [(f.rule_id, f.package.name if f.package else None) for f in vulns] == [
        ("CVE-2022-0778", "libssl1.1"),
        ("CVE-2022-0778", "openssl"),
        ("CVE-2022-37434", "zlib1g"),
    ]
    zlib = vulns[2]
    assert zlib.package is not None
    assert zlib.package.fixed_versions == ("1:1.2.11.dfsg-2+deb11u2",)
    assert zlib.package.ecosystem == "Debian:11"
    assert zlib.package.version == "1:1.2.11.dfsg-2+deb11u1"
    assert zlib.severity is Severity.CRITICAL
    assert (zlib.cvss_score, zlib.cwe) == (9.8, (787,))
    assert zlib.cvss_vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    assert zlib.location == where and zlib.resource == APP
    assert "https://security-tracker.debian.org/tracker/CVE-2022-37434" in zlib.references
    # the image config checks come along in the same report
    assert {f.rule_id for f in findings if f.kind is FindingKind.IAC} == {"DS-0002", "DS-0026"}


@pytest.mark.integration
def test_trivy_db_in_the_configured_cache_is_the_source(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "trivy-cache"
    shutil.copytree(FIX / "trivy-db" / "db", cache / "db")
    archive = docker_archive(tmp_path / "app.tar", debian_files(), f"{APP}:1.4.2")
    config = installed().scanners.make_config(
        scanners=("image",), base_dir=project, trivy=TrivyOptions(cache_dir=str(cache))
    )  # no OSV mirror at all
    run = pipeline.scan(
        project, config, request=ScanRequest(image_archive=archive), use_cache=False
    ).runs[0]
    assert run.status is RunStatus.OK, run.error
    assert run.advisory_source is not None
    assert run.advisory_source.kind == "trivy-db"
    assert run.advisory_source.location == str(cache / "db")
    assert run.advisory_source.newest_modified == "2026-11-26T00:00:00Z"
    vulns = {(f.rule_id, f.package.name) for f in run.findings if f.package}
    assert vulns == {
        ("CVE-2022-0778", "openssl"),
        ("CVE-2022-0778", "libssl1.1"),
        ("CVE-2022-37434", "zlib1g"),
    }
    assert {
        (f.location.path, f.location.start_line, f.location.snippet)
        for f in run.findings
        if f.package
    } == {("Dockerfile", 2, "FROM debian:11")}
