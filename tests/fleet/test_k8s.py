"""The generated Kubernetes objects, checked against the Kubernetes API's own models.

The official Python client's models (generated from the API's OpenAPI document) deserialize
each object and serialize it back: a misspelled field, a wrong type or a missing required
field does not survive the round trip. It works offline, with no cluster.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client import ApiClient

from secscan.errors import UsageError
from secscan.fleet import job, k8s, manifest

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "fleet.yaml"
MODELS = {
    "ConfigMap": "V1ConfigMap",
    "Deployment": "V1Deployment",
    "CronJob": "V1CronJob",
    "Job": "V1Job",
}


def _round_trip(obj: dict[str, Any]) -> dict[str, Any]:
    api = ApiClient()
    model = api.deserialize(json.dumps(obj), MODELS[obj["kind"]], "application/json")
    out: dict[str, Any] = api.sanitize_for_serialization(model)
    return out


def _objects(run_cli: Any, mode: str) -> list[dict[str, Any]]:
    done = run_cli(
        "fleet",
        "k8s",
        str(EXAMPLE),
        "--image",
        "registry.example/secscan:1",
        "--mode",
        mode,
        "--namespace",
        "security",
    )
    assert done.code == 0, done.err
    return [d for d in yaml.safe_load_all(done.out) if d]


@pytest.mark.parametrize(
    ("mode", "kinds"),
    [
        ("queue", ["ConfigMap", "Deployment", "CronJob"]),
        ("indexed", ["ConfigMap", "Job"]),
    ],
)
def test_every_object_is_what_the_kubernetes_api_models_accept(
    run_cli: Any, mode: str, kinds: list[str]
) -> None:
    objects = _objects(run_cli, mode)
    assert [o["kind"] for o in objects] == kinds
    for obj in objects:
        assert _round_trip(obj) == obj


def test_a_misspelled_field_does_not_survive_the_check() -> None:
    loaded = manifest.load(EXAMPLE, check_settings=job.check_settings)
    (_, dep, _) = k8s.documents(k8s.Cluster(image="i"), loaded, "x", "queue")
    dep["spec"]["replica"] = dep["spec"].pop("replicas")
    assert _round_trip(dep) != dep


def test_the_indexed_job_shards_by_its_completion_index(run_cli: Any) -> None:
    _, jobspec = _objects(run_cli, "indexed")
    spec = jobspec["spec"]
    assert spec["completionMode"] == "Indexed" and spec["completions"] == 4
    container = spec["template"]["spec"]["containers"][0]
    assert container["args"][:3] == ["fleet", "run", "/etc/secscan/fleet.yaml"]
    assert "$(SHARD_INDEX)/4" in container["args"]
    env = {e["name"]: e for e in container["env"]}
    assert "job-completion-index" in env["SHARD_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"]
    # The database URL only by reference to the Secret; the pod hardened.
    assert env["SECSCAN_HISTORY"]["valueFrom"]["secretKeyRef"]["name"] == "secscan-fleet-db"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert spec["template"]["spec"]["automountServiceAccountToken"] is False


def test_the_config_map_carries_the_manifest_as_written(run_cli: Any) -> None:
    config_map = _objects(run_cli, "queue")[0]
    assert config_map["data"]["fleet.yaml"] == EXAMPLE.read_text(encoding="utf-8")


def test_a_local_path_repository_cannot_be_cloned_in_a_pod(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    path = tmp_path / "fleet.yaml"
    path.write_text("version: 1\nrepositories:\n  - path: svc\n", encoding="utf-8")
    loaded = manifest.load(path)
    with pytest.raises(UsageError, match="local path"):
        k8s.documents(k8s.Cluster(image="i"), loaded, "", "queue")
