"""Shared by the trivy scanner tests: container images built in Python, OSV stores, contexts."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from collections.abc import Mapping
from pathlib import Path

from secscan.scanners.base import ScanContext, ScanRequest
from secscan.settings.config import Config

REPO = Path(__file__).resolve().parents[3]
FIX = REPO / "tests" / "fixtures" / "trivy"
OSV = REPO / "tests" / "data" / "osv"
EXAMPLE = REPO / "examples" / "vulnerable-shop"
#: urllib3 before 1.26.5 (CVE-2021-33503), a real PyPI advisory committed with the example.
PYSEC_URLLIB3 = EXAMPLE / "advisory-db" / "PYSEC-2021-108.json"

# --- image contents: real distribution files, real package names and versions ------------

DEBIAN_OS_RELEASE = (
    b'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nNAME="Debian GNU/Linux"\n'
    b'VERSION_ID="11"\nVERSION="11 (bullseye)"\nVERSION_CODENAME=bullseye\nID=debian\n'
)
ALPINE_OS_RELEASE = (
    b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.16.2\nPRETTY_NAME="Alpine Linux v3.16"\n'
)


def dpkg_entry(name: str, version: str, source: str | None = None, section: str = "libs") -> str:
    src = f"Source: {source}\n" if source else ""
    return (
        f"Package: {name}\nStatus: install ok installed\nPriority: optional\n"
        f"Section: {section}\nInstalled-Size: 1000\n"
        "Maintainer: Debian maintainers <debian-devel@lists.debian.org>\n"
        f"Architecture: amd64\n{src}Version: {version}\nDescription: {name}\n package\n\n"
    )


def debian_files(
    openssl: str = "1.1.1k-1+deb11u1",
    zlib: str = "1:1.2.11.dfsg-2+deb11u1",
    urllib3: str | None = "1.26.4",
) -> dict[str, bytes]:
    """Debian 11 with openssl/libssl1.1 (source openssl) and zlib1g (source zlib, epoch 1)."""
    status = (
        dpkg_entry("openssl", openssl, section="utils")
        + dpkg_entry("libssl1.1", openssl, source="openssl")
        + dpkg_entry("zlib1g", zlib, source="zlib")
    )
    files = {
        "etc/os-release": DEBIAN_OS_RELEASE,
        "etc/debian_version": b"11.6\n",
        "var/lib/dpkg/status": status.encode(),
    }
    if urllib3:
        files[f"usr/local/lib/python3.9/site-packages/urllib3-{urllib3}.dist-info/METADATA"] = (
            f"Metadata-Version: 2.1\nName: urllib3\nVersion: {urllib3}\n".encode()
        )
    return files


def apk_entry(name: str, version: str, origin: str) -> str:
    return (
        # apk's checksum field is SHA-1 by format; here it only has to look like one
        f"C:Q1{hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:27]}=\n"
        f"P:{name}\nV:{version}\nA:x86_64\n"
        f"S:100000\nI:200000\nT:{name}\nU:https://alpinelinux.org\nL:MIT\no:{origin}\n"
        "m:Alpine maintainers <alpine-devel@lists.alpinelinux.org>\nt:1651500000\n"
        f"c:{'0' * 40}\n\n"
    )


def alpine_files(openssl: str = "1.1.1o-r0", zlib: str = "1.2.12-r1") -> dict[str, bytes]:
    """Alpine 3.16 with libssl1.1 (origin openssl) and zlib."""
    installed = apk_entry("zlib", zlib, "zlib") + apk_entry("libssl1.1", openssl, "openssl")
    return {
        "etc/os-release": ALPINE_OS_RELEASE,
        "etc/alpine-release": b"3.16.2\n",
        "lib/apk/db/installed": installed.encode(),
    }


# --- image formats ------------------------------------------------------------------------


def _layer(files: Mapping[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _image_config(diff_id: str) -> bytes:
    return json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Cmd": ["sh"], "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"]},
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
            "history": [
                {
                    "created": "2024-01-01T00:00:00Z",
                    "created_by": "/bin/sh -c #(nop) ADD file:0123456789abcdef in / ",
                },
                {
                    "created": "2024-01-01T00:00:01Z",
                    "created_by": '/bin/sh -c #(nop)  CMD ["sh"]',
                    "empty_layer": True,
                },
            ],
        },
        sort_keys=True,
    ).encode()


def _add(tf: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o644, 0
    tf.addfile(info, io.BytesIO(data))


def docker_archive(path: Path, files: Mapping[str, bytes], repo_tag: str | None) -> Path:
    """What `docker save` writes: manifest.json, the config blob and one layer tarball."""
    layer = _layer(files)
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = _image_config(diff_id)
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    manifest = [
        {
            "Config": config_name,
            "RepoTags": [repo_tag] if repo_tag else None,
            "Layers": [f"{diff_id[7:]}/layer.tar"],
        }
    ]
    with tarfile.open(path, "w") as tf:
        _add(tf, config_name, config)
        _add(tf, f"{diff_id[7:]}/layer.tar", layer)
        _add(tf, "manifest.json", json.dumps(manifest).encode())
    return path


def oci_layout(path: Path, files: Mapping[str, bytes], ref_name: str) -> Path:
    """An OCI image layout directory (index.json, oci-layout, blobs/sha256/...)."""
    blobs = path / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def blob(data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        (blobs / digest).write_bytes(data)
        return "sha256:" + digest

    layer = _layer(files)
    diff_id = "sha256:" + hashlib.sha256(layer).hexdigest()
    config = _image_config(diff_id)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": blob(config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": blob(layer),
                    "size": len(layer),
                }
            ],
        }
    ).encode()
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": blob(manifest),
                "size": len(manifest),
                "annotations": {"org.opencontainers.image.ref.name": ref_name},
            }
        ],
    }
    (path / "index.json").write_text(json.dumps(index))
    (path / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    return path


def osv_store_dir(dest: Path, *sources: Path) -> Path:
    """A private copy of OSV records (the store writes its index beside them)."""
    dest.mkdir(parents=True, exist_ok=True)
    for src in sources:
        for f in [src] if src.is_file() else sorted(src.glob("*.json")):
            shutil.copy(f, dest / f.name)
    return dest


def context(
    root: Path,
    *targets: str,
    config: Config | None = None,
    request: ScanRequest | None = None,
    timeout: float = 120,
) -> ScanContext:
    return ScanContext(
        root=root,
        targets=targets,
        config=config or Config(),
        timeout=timeout,
        request=request or ScanRequest(),
    )
