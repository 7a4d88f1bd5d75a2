"""The result cache over the real trivy: iac per Terraform module group, secrets per file,
image per image and advisory data; a warm run starts no trivy, an edit re-scans its scope."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from trivy_helpers import FIX, OSV, debian_files, docker_archive, osv_store_dir

from secscan.advisories import service
from secscan.app.registry import installed
from secscan.model.findings import RunStatus, ScannerRun
from secscan.scan import pipeline
from secscan.scan.cache import ResultCache
from secscan.scanners.base import ScanContext, ScanOutcome, ScanRequest
from secscan.scanners.trivy_config import TrivyConfigScanner, iac_scopes
from secscan.scanners.trivy_image import TrivyImageScanner
from secscan.scanners.trivy_secrets import TrivySecretsScanner
from secscan.settings.config import AdvisoryOptions, Config

APP = "registry.example.net/shop/app"

CALLER = """module "reports" {
  source = "../../modules/bucket"
  acl    = "ACL"
}
"""
BUCKET = """variable "acl" {
  type    = string
  default = "private"
}

resource "aws_s3_bucket" "this" {
  bucket = "shop-reports"
}

resource "aws_s3_bucket_acl" "this" {
  bucket = aws_s3_bucket.this.id
  acl    = var.acl
}
"""
NETWORK = """resource "aws_security_group" "web" {
  name        = "web"
  description = "web"
  ingress {
    description = "ssh"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""
REGION = 'variable "region" {\n  type    = string\n  default = "eu-west-1"\n}\n'


@pytest.fixture
def iac_tree(tmp_path: Path) -> Path:
    """Two Terraform groups (a caller and the module it calls; a lone module), a Kubernetes
    manifest and a Dockerfile."""
    root = tmp_path / "infra"
    files = {
        "envs/prod/main.tf": CALLER.replace("ACL", "public-read"),
        "modules/bucket/main.tf": BUCKET,
        "network/main.tf": NETWORK,
        "network/variables.tf": REGION,
        "k8s/pod.yaml": (FIX / "iac" / "deploy" / "pod.yaml").read_text(),
        "Dockerfile": (FIX / "iac" / "Dockerfile").read_text(),
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


Spy = Callable[[], list[tuple[str, ...]]]


def spy_scans(monkeypatch: pytest.MonkeyPatch, cls: type) -> Spy:
    """Record the targets each real tool run is handed (the tool still runs)."""
    calls: list[tuple[str, ...]] = []
    real = cls.scan

    def scan(self: object, ctx: ScanContext) -> ScanOutcome:
        calls.append(tuple(sorted(ctx.targets)))
        result: ScanOutcome = real(self, ctx)
        return result

    monkeypatch.setattr(cls, "scan", scan)
    return lambda: calls


def run_of(root: Path, scanner: str, cache: Path, **kw: object) -> ScannerRun:
    config = kw.pop("config", None) or installed().scanners.make_config(scanners=(scanner,))
    result = pipeline.scan(root, config, cache_dir=cache, **kw)  # type: ignore[arg-type]
    run = result.runs[0]
    assert run.status is RunStatus.OK, run.error
    return run


def found(run: ScannerRun) -> set[tuple[str, str, int | None]]:
    return {(f.location.path, f.rule_id, f.location.start_line) for f in run.findings}


def test_a_caller_and_the_local_module_it_calls_are_one_scope(iac_tree: Path) -> None:
    targets = (
        "Dockerfile",
        "envs/prod/main.tf",
        "k8s/pod.yaml",
        "modules/bucket/main.tf",
        "network/main.tf",
        "network/variables.tf",
    )
    scopes = iac_scopes(iac_tree, targets)
    linked = ("envs/prod/main.tf", "modules/bucket/main.tf")
    assert scopes.of("envs/prod/main.tf") == scopes.of("modules/bucket/main.tf") == linked
    assert scopes.of("network/variables.tf") == ("network/main.tf", "network/variables.tf")
    assert scopes.of("Dockerfile") == ("Dockerfile",)
    assert scopes.of("k8s/pod.yaml") == ("k8s/pod.yaml",)


def test_a_remote_module_is_never_cached_and_file_reads_widen_the_scope(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'
        'module "vpc" {\n  source = "terraform-aws-modules/vpc/aws"\n}\n'
    )
    (tmp_path / "b" / "main.tf").write_text(
        'resource "aws_iam_policy" "p" {\n  policy = file("${path.module}/../p.json")\n}\n'
    )
    (tmp_path / "p.json").write_text("{}")
    scopes = iac_scopes(tmp_path, ("a/main.tf", "b/main.tf", "p.json"))
    assert scopes.of("a/main.tf") is None
    assert scopes.of("b/main.tf") == ("a/main.tf", "b/main.tf", "p.json")
    # a provider's `source` inside `terraform {}` is no module: only the module block counts
    (tmp_path / "a" / "main.tf").write_text(
        'terraform {\n  required_providers {\n    aws = { source = "hashicorp/aws" }\n  }\n}\n'
    )
    assert iac_scopes(tmp_path, ("a/main.tf",)).of("a/main.tf") == ("a/main.tf",)


def test_a_module_whose_calls_cannot_be_read_is_never_cached(tmp_path: Path) -> None:
    """An unreadable .tf file, or a module block whose source is no literal, leaves its
    module's dependencies unnamed: never cached. A .tfvars file is keyed with its folder's
    module but not read for module calls."""
    for folder in ("gone", "dynamic", "vars"):
        (tmp_path / folder).mkdir()
    (tmp_path / "dynamic" / "main.tf").write_text('module "m" {\n  source = var.where\n}\n')
    (tmp_path / "vars" / "main.tf").write_text('resource "x" "y" {}\n')
    # a .tfvars is never parsed for module blocks, even one that looks like it has one
    (tmp_path / "vars" / "prod.tfvars").write_text('module "m" {\n  source = var.where\n}\n')
    targets = ("dynamic/main.tf", "gone/main.tf", "vars/main.tf", "vars/prod.tfvars")
    scopes = iac_scopes(tmp_path, targets)  # gone/main.tf does not exist: unreadable
    assert scopes.of("gone/main.tf") is None
    assert scopes.of("dynamic/main.tf") is None
    assert scopes.of("vars/prod.tfvars") == ("vars/main.tf", "vars/prod.tfvars")
    assert scopes.unknown == {"dynamic/main.tf", "gone/main.tf"}


def test_a_helm_chart_and_its_subcharts_are_one_scope(tmp_path: Path) -> None:
    files = (
        "chart/Chart.yaml",
        "chart/values.yaml",
        "chart/templates/deploy.yaml",
        "chart/charts/sub/Chart.yaml",
        "chart/charts/sub/templates/svc.yaml",
        "plain/pod.yaml",
    )
    for rel in files:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x: 1\n")
    scopes = iac_scopes(tmp_path, files)
    chart = tuple(sorted(files[:5]))
    assert scopes.of("chart/values.yaml") == scopes.of("chart/charts/sub/templates/svc.yaml")
    assert scopes.of("chart/templates/deploy.yaml") == chart
    assert scopes.of("plain/pod.yaml") == ("plain/pod.yaml",)


@pytest.mark.integration
def test_iac_warm_run_starts_no_trivy_and_an_edit_rescans_only_its_module(
    iac_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = spy_scans(monkeypatch, TrivyConfigScanner)
    cache = tmp_path / "cache"
    cold = run_of(iac_tree, "iac", cache)
    # the caller's public-read ACL is reported in the module it calls
    assert ("modules/bucket/main.tf", "AWS-0092", 12) in found(cold)
    assert ("network/main.tf", "AWS-0107", 9) in found(cold)
    warm = run_of(iac_tree, "iac", cache)
    assert warm.cached and found(warm) == found(cold)
    assert len(calls()) == 1  # the warm run started no trivy
    # entries keep the fingerprints a scan computes, so baselines and waivers still match
    fingerprints = sorted(f.fingerprint for f in cold.findings)
    assert sorted(f.fingerprint for f in warm.findings) == fingerprints
    assert all(fingerprints) and len(set(fingerprints)) == len(fingerprints)

    (iac_tree / "network" / "variables.tf").write_text(REGION.replace("eu-west-1", "us-east-1"))
    edited = run_of(iac_tree, "iac", cache)
    assert calls()[-1] == ("network/main.tf", "network/variables.tf")
    assert found(edited) == found(cold)

    # the caller changes what its module reports: both are scanned again, nothing else
    (iac_tree / "envs" / "prod" / "main.tf").write_text(CALLER.replace("ACL", "private"))
    private = run_of(iac_tree, "iac", cache)
    assert calls()[-1] == ("envs/prod/main.tf", "modules/bucket/main.tf")
    assert found(private) == found(cold) - {("modules/bucket/main.tf", "AWS-0092", 12)}
    uncached = run_of(iac_tree, "iac", cache, use_cache=False)
    assert found(uncached) == found(private)
    assert sorted(f.fingerprint for f in uncached.findings) == sorted(
        f.fingerprint for f in private.findings
    )


@pytest.mark.integration
def test_a_tampered_iac_entry_is_refused_and_the_module_scanned_again(
    iac_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = spy_scans(monkeypatch, TrivyConfigScanner)
    cache = tmp_path / "cache"
    cold = run_of(iac_tree, "iac", cache)
    entries = sorted((cache / "iac").rglob("*.json"))
    assert entries
    for entry in entries:  # an earlier CI step empties every entry, keeping the old MAC
        mac, _, _ = entry.read_bytes().partition(b"\n")
        entry.write_bytes(mac + b"\n" + json.dumps({"findings": []}).encode())
    warm = run_of(iac_tree, "iac", cache)
    assert not warm.cached and found(warm) == found(cold)
    assert len(calls()) == 2


@pytest.mark.integration
def test_secrets_are_cached_per_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = spy_scans(monkeypatch, TrivySecretsScanner)
    root = tmp_path / "app"
    root.mkdir()
    key = "AKIA" + "Z7QW3R5T1Y9U2I4O"  # split: this file is no credential itself
    (root / "settings.py").write_text(f'AWS_ACCESS_KEY_ID = "{key}"\n')
    (root / "readme.txt").write_text("nothing to see\n")
    cache = tmp_path / "cache"
    cold = run_of(root, "secrets", cache)
    assert {(p, r) for p, r, _ in found(cold)} == {("settings.py", "aws-access-key-id")}
    warm = run_of(root, "secrets", cache)
    assert warm.cached and found(warm) == found(cold) and len(calls()) == 1
    (root / "readme.txt").write_text(f"key: {key}\n")
    edited = run_of(root, "secrets", cache)
    assert calls()[-1] == ("readme.txt",)
    assert {p for p, _, _ in found(edited)} == {"settings.py", "readme.txt"}


@pytest.fixture
def image_project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    osv_store_dir(root / "osv", OSV / "Debian")
    (root / "Dockerfile").write_text("# the shop\nFROM debian:11\nCOPY . /app\n")
    return root


@pytest.mark.integration
def test_image_warm_run_starts_no_trivy_and_no_advisory_server(
    image_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = spy_scans(monkeypatch, TrivyImageScanner)
    served: list[object] = []
    real_serve = service.serve
    monkeypatch.setattr(service, "serve", lambda store: served.append(store) or real_serve(store))
    archive = docker_archive(tmp_path / "app.tar", debian_files(urllib3=None), f"{APP}:1.4.2")
    config = installed().scanners.make_config(
        scanners=("image",), advisories=AdvisoryOptions(db="osv"), base_dir=image_project
    )
    request = ScanRequest(image_archive=archive)
    cache = tmp_path / "cache"
    cold = run_of(image_project, "image", cache, config=config, request=request)
    assert "DEBIAN-CVE-2022-0778" in {f.rule_id for f in cold.findings}
    assert cold.components
    warm = run_of(image_project, "image", cache, config=config, request=request)
    assert warm.cached and found(warm) == found(cold)
    assert warm.components == cold.components
    assert warm.advisory_source == cold.advisory_source
    assert len(calls()) == 1
    assert served == []  # an image scan reads the mirror itself: no OSV server, cold or warm

    # another build of the image (one more package) is another entry
    docker_archive(archive, debian_files(), f"{APP}:1.4.2")
    run_of(image_project, "image", cache, config=config, request=request)
    assert len(calls()) == 2
    # an advisory database update invalidates it too
    shutil.rmtree(image_project / "osv")
    osv_store_dir(image_project / "osv", OSV / "Debian")
    (image_project / "osv" / sorted((OSV / "Debian").glob("*.json"))[0].name).unlink()
    run_of(image_project, "image", cache, config=config, request=request)
    assert len(calls()) == 3


def test_an_image_named_by_tag_or_a_db_download_is_never_cached(image_project: Path) -> None:
    scanner = TrivyImageScanner()
    config = installed().scanners.make_config(
        advisories=AdvisoryOptions(db="osv"), base_dir=image_project
    )

    def material(request: ScanRequest, cfg: Config = config) -> str | None:
        return scanner.cache_material(ScanContext(image_project, ("x",), cfg, 60, request=request))

    assert material(ScanRequest(image=f"{APP}:1.4.2")) is None
    assert material(ScanRequest(image=f"{APP}@sha256:{'a' * 64}")) is not None
    downloading = installed().scanners.make_config(
        base_dir=image_project, trivy={"download_db": True}
    )
    assert material(ScanRequest(image=f"{APP}@sha256:{'a' * 64}"), downloading) is None


@pytest.mark.integration
def test_a_trivy_error_is_never_cached(tmp_path: Path, iac_tree: Path) -> None:
    cache = tmp_path / "cache"
    (iac_tree / "network" / "main.tf").write_text("resource {{{ broken\n")
    (iac_tree / "network" / "variables.tf").write_text("variable {{{\n")
    for rel in ("envs/prod/main.tf", "modules/bucket/main.tf", "k8s/pod.yaml", "Dockerfile"):
        (iac_tree / rel).unlink()
    config = installed().scanners.make_config(scanners=("iac",))
    failed = pipeline.scan(iac_tree, config, cache_dir=cache).runs[0]
    assert failed.status is RunStatus.ERROR
    assert not list(ResultCache(cache).directory.glob("iac/**/*.json"))
