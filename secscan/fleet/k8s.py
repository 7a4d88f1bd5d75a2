"""Kubernetes manifests for a fleet: plain data, written as YAML by `secscan fleet k8s`.

Two shapes (docs/fleet.md): `queue` — a ConfigMap with the fleet manifest, a worker Deployment
(`fleet worker`, any number of replicas) and a CronJob that enqueues the manifest nightly;
`indexed` — the ConfigMap and an Indexed Job whose pods each run `fleet run --shard I/N`.
The database URL comes from a Secret the operator creates (its password never in these).
Pods run as a non-root user with no privilege escalation, every capability dropped and a
read-only root file system; clones and caches go to an emptyDir.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from secscan.errors import UsageError
from secscan.fleet.manifest import Manifest

__all__ = ["Cluster", "documents", "dump"]

_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,50}[a-z0-9])?$")
MANIFEST_MOUNT = "/etc/secscan"
WORK = "/work"


@dataclass(frozen=True)
class Cluster:
    image: str
    name: str = "secscan-fleet"
    namespace: str | None = None
    #: The Secret holding the database URL (key `url`): queue and history in one database.
    secret_name: str = "secscan-fleet-db"  # noqa: S105 - the Secret's name, not a password
    replicas: int = 2
    shards: int = 4
    parallelism: int = 2
    cron: str = "0 2 * * *"


def _meta(c: Cluster, suffix: str = "") -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": c.name + suffix,
        "labels": {"app.kubernetes.io/name": "secscan-fleet", "app.kubernetes.io/instance": c.name},
    }
    if c.namespace:
        meta["namespace"] = c.namespace
    return meta


def _env(c: Cluster) -> list[dict[str, Any]]:
    url = {"secretKeyRef": {"name": c.secret_name, "key": "url"}}
    return [
        {"name": "SECSCAN_QUEUE", "valueFrom": url},
        {"name": "SECSCAN_HISTORY", "valueFrom": url},
        {"name": "HOME", "value": WORK},
        {"name": "XDG_CACHE_HOME", "value": f"{WORK}/cache"},
        {"name": "XDG_DATA_HOME", "value": f"{WORK}/data"},
    ]


def _container(
    c: Cluster, args: list[str], extra_env: tuple[dict[str, Any], ...] = ()
) -> dict[str, Any]:
    return {
        "name": "secscan",
        "image": c.image,
        "args": args,
        "env": [*_env(c), *extra_env],
        "volumeMounts": [
            {"name": "manifest", "mountPath": MANIFEST_MOUNT, "readOnly": True},
            {"name": "work", "mountPath": WORK},
        ],
        "resources": {
            "requests": {"cpu": "500m", "memory": "1Gi"},
            "limits": {"memory": "4Gi", "ephemeral-storage": "20Gi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }


def _pod(c: Cluster, container: dict[str, Any], restart: str) -> dict[str, Any]:
    return {
        "metadata": {"labels": _meta(c)["labels"]},
        "spec": {
            "restartPolicy": restart,
            "automountServiceAccountToken": False,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 10001,
                "fsGroup": 10001,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            # A worker finishes its running scan on SIGTERM before it exits.
            "terminationGracePeriodSeconds": 900,
            "containers": [container],
            "volumes": [
                {"name": "manifest", "configMap": {"name": c.name + "-manifest"}},
                {"name": "work", "emptyDir": {"sizeLimit": "20Gi"}},
            ],
        },
    }


def config_map(c: Cluster, manifest_text: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(c, "-manifest"),
        "data": {"fleet.yaml": manifest_text},
    }


def deployment(c: Cluster) -> dict[str, Any]:
    args = ["fleet", "worker", "--workdir", f"{WORK}/clones"]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(c, "-worker"),
        "spec": {
            "replicas": c.replicas,
            "selector": {"matchLabels": _meta(c)["labels"]},
            "template": _pod(c, _container(c, args), "Always"),
        },
    }


def cron_job(c: Cluster) -> dict[str, Any]:
    args = ["fleet", "enqueue", f"{MANIFEST_MOUNT}/fleet.yaml"]
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _meta(c, "-enqueue"),
        "spec": {
            "schedule": c.cron,
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            "jobTemplate": {
                "spec": {
                    "backoffLimit": 3,
                    "template": _pod(c, _container(c, args), "OnFailure"),
                }
            },
        },
    }


def indexed_job(c: Cluster) -> dict[str, Any]:
    index = {
        "name": "SHARD_INDEX",
        "valueFrom": {
            "fieldRef": {
                "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"
            }
        },
    }
    args = [
        "fleet",
        "run",
        f"{MANIFEST_MOUNT}/fleet.yaml",
        "--shard",
        f"$(SHARD_INDEX)/{c.shards}",
        "--workdir",
        f"{WORK}/clones",
    ]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _meta(c, "-run"),
        "spec": {
            "completionMode": "Indexed",
            "completions": c.shards,
            "parallelism": c.parallelism,
            # A shard whose gate failed exits 1: that is a verdict, not a pod to retry.
            "backoffLimit": 0,
            "template": _pod(c, _container(c, args, (index,)), "Never"),
        },
    }


def documents(
    c: Cluster, manifest: Manifest, manifest_text: str, mode: str
) -> list[dict[str, Any]]:
    """The objects to apply, in order."""
    if not _NAME.match(c.name):
        raise UsageError(f"--name {c.name!r}: a Kubernetes name (lower case, digits, -)")
    local = [t.name for t in manifest.targets if t.source.startswith("file://")]
    if local:
        raise UsageError(
            f"repository {local[0]!r} is a local path: pods clone by URL (give it url:)"
        )
    objects = [config_map(c, manifest_text)]
    if mode == "queue":
        return [*objects, deployment(c), cron_job(c)]
    if mode == "indexed":
        return [*objects, indexed_job(c)]
    raise UsageError(f"--mode {mode!r}: queue or indexed")


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (the manifest) as literal blocks, readable in the ConfigMap."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump(objects: list[dict[str, Any]]) -> str:
    """Multi-document YAML, keys in the order written."""
    return "".join(
        "---\n" + yaml.dump(o, Dumper=_Dumper, sort_keys=False, default_flow_style=False)
        for o in objects
    )
