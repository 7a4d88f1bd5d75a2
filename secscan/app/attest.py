"""Signed evidence: an in-toto Statement (v1) over a scan's results, decision and reports,
signed offline in a DSSE envelope, and its verification (`secscan attest`, `secscan verify`,
`gate --from --require-attestation`).

The statement's subjects are the files by SHA-256 (the results file, each report written
beside it) and the decision (the canonical JSON of the results file's `decision`); its
predicate names the verdict, the profile, the policy digest, the commit and every scanner's
tool (version, path, SHA-256). Signing and the envelope are securesystemslib's (CryptoSigner
with an ed25519, ECDSA or RSA key from a PEM file; the DSSE envelope in-toto uses).
Verification checks the signature with the public key, every subject's digest against the
files, that the predicate's verdict is the results file's, and the policy digest against
the one expected.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import UnverifiedSignatureError
from securesystemslib.signer import CryptoSigner, Key, SSlibKey

from secscan import __version__
from secscan.app.settings import content_digest, resolve
from secscan.errors import AttestationError, ConfigError, UsageError
from secscan.model.results import ATTESTATION_FILE, PREDICATE_TYPE, SavedResults, loads
from secscan.settings import toollock
from secscan.util import files as _files
from secscan.util.atomic import write_atomic
from secscan.util.tooldigest import is_sha256, sha256_file

__all__ = [
    "ATTESTATION_FILE",
    "PAYLOAD_TYPE",
    "PREDICATE_TYPE",
    "STATEMENT_TYPE",
    "Verified",
    "attest",
    "decision_digest",
    "is_sha256",
    "keygen",
    "policy_digest",
    "verify",
]

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
#: The subject standing for the results file's decision.
DECISION_SUBJECT = "decision"


# --- keys -----------------------------------------------------------------------------------


def keygen(private: Path, public: Path) -> str:
    """A new ed25519 key pair as PEM files (the private one readable by its owner only);
    returns the key id."""
    signer = CryptoSigner.generate_ed25519()
    fd = os.open(private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(signer.private_bytes)
    pem = load_pem_private_key(signer.private_bytes, password=None).public_key()
    write_atomic(public, pem.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    return str(signer.public_key.keyid)


def _signer(path: Path) -> CryptoSigner:
    password = os.environ.get("SECSCAN_ATTEST_KEY_PASSWORD")
    data = _files.read_bytes(path, limit=1 << 20)
    try:
        key = load_pem_private_key(data, password=password.encode() if password else None)
        return CryptoSigner(key)
    except (ValueError, TypeError) as e:
        if b"PUBLIC KEY-----" in data:
            raise ConfigError(
                "this is a public key: attest signs with the private key (verify takes the "
                "public one)",
                path=str(path),
            ) from e
        raise ConfigError(
            f"not a PEM private key secscan can sign with: {e}", path=str(path)
        ) from e


def public_key(path: Path) -> Key:
    data = _files.read_bytes(path, limit=1 << 20)
    try:
        return SSlibKey.from_crypto(load_pem_public_key(data))
    except (ValueError, TypeError) as e:
        if b"PRIVATE KEY-----" in data:
            raise ConfigError(
                "this is a private key: verify takes the signer's public key (`attest "
                "keygen` wrote it beside the private one, as .pub)",
                path=str(path),
            ) from e
        raise ConfigError(f"not a PEM public key: {e}", path=str(path)) from e


# --- the statement --------------------------------------------------------------------------


def decision_digest(saved_text: str) -> str:
    """SHA-256 of the results file's decision as canonical JSON (sorted keys, no spaces)."""
    data = json.loads(saved_text)
    decision = data.get("decision") if isinstance(data, dict) else None
    canon = json.dumps(decision, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canon.encode()).hexdigest()


def policy_digest(policy_dir: Path | None = None) -> str:
    """The trusted policy's digest: every policy source (the shipped library, then the
    user's directory) by the names and bytes of its files."""
    inputs = resolve(Path.cwd(), policy_dir=policy_dir, default_waivers=False)
    h = hashlib.sha256()
    for source in inputs.policy.sources:
        h.update(content_digest(Path(source)).encode() + b"\n")
    return h.hexdigest()


def _verdict(saved: SavedResults) -> str:
    if saved.decision is None:
        raise AttestationError("the results file holds no decision: nothing to attest")
    return "pass" if saved.decision.passed else "fail"


def statement(
    results: Path, reports: Sequence[Path], policy: str, text: str, saved: SavedResults
) -> dict[str, Any]:
    """The in-toto Statement v1 for a results file and the reports written beside it."""
    result = saved.result
    assert saved.decision is not None  # noqa: S101 - _verdict checked it
    subjects = [
        {"name": p.name, "digest": {"sha256": sha256_file(p)}}
        for p in sorted({results, *reports}, key=lambda p: p.name)
    ]
    subjects.append({"name": DECISION_SUBJECT, "digest": {"sha256": decision_digest(text)}})
    tools = [
        {
            "scanner": r.scanner,
            "status": r.status.value,
            "version": r.tool_version,
            **(
                {
                    "path": r.tool.path,
                    "sha256": r.tool.sha256,
                    "distribution": r.tool.distribution,
                    "recordSha256": r.tool.record_sha256,
                }
                if r.tool is not None
                else {}
            ),
        }
        for r in sorted(result.runs, key=lambda r: r.scanner)
    ]
    return {
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "verdict": _verdict(saved),
            "profile": saved.decision.profile,
            "policyDigest": {"sha256": policy},
            "commit": result.git_commit,
            "resultsFile": results.name,
            "scannedBy": {"secscan": result.secscan_version, "attestedBy": __version__},
            "evaluatedAt": saved.decision.evaluated_at.isoformat(),
            # The tools lock the scan was held to (None: none was in force).
            "toolsLock": dict(result.metadata).get(toollock.RESULTS_KEY),
            "tools": tools,
        },
    }


def attest(
    results: Path,
    key: Path,
    *,
    reports: Sequence[Path] | None = None,
    output: Path | None = None,
    policy_dir: Path | None = None,
) -> tuple[Path, dict[str, Any]]:
    """Sign the statement over `results` and `reports` (default: every regular file beside
    the results); writes the DSSE envelope to `output` (default: beside the results) and
    returns it with the statement."""
    text = _files.read_text(results, limit=_files.MAX_DATA_BYTES)
    saved = loads(text, str(results))
    _verdict(saved)
    target = output or results.parent / ATTESTATION_FILE
    if reports is None:
        reports = _beside(results, target)
    policy = policy_digest(_judged_with(saved, policy_dir))
    doc = statement(results, reports, policy, text, saved)
    payload = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    envelope = Envelope(payload=payload, payload_type=PAYLOAD_TYPE, signatures={})
    envelope.sign(_signer(key))
    write_atomic(target, json.dumps(envelope.to_dict(), indent=2, sort_keys=True) + "\n")
    return target, doc


def _judged_with(saved: SavedResults, policy_dir: Path | None) -> Path | None:
    """The policy directory whose digest is attested: the one the decision records it was
    judged with (`--policy` may name it again, never another), else none (the shipped
    library alone). An attestation never claims a policy the verdict was not reached under."""
    assert saved.decision is not None  # noqa: S101 - _verdict checked it
    recorded = saved.decision.policy_dir
    if policy_dir is None:
        return Path(recorded) if recorded is not None else None
    if recorded is None or Path(recorded).resolve() != policy_dir.resolve():
        judged = f"--policy {recorded}" if recorded else "the shipped library alone"
        raise UsageError(
            f"the results were judged with {judged}, not --policy {policy_dir}: the "
            "attested policy digest must be the one the verdict was reached under"
        )
    return policy_dir


def _beside(results: Path, attestation: Path) -> list[Path]:
    """The reports written with the results: every regular file in its folder (no links),
    save the attestation itself."""
    out = []
    for entry in sorted(os.scandir(results.parent), key=lambda e: e.name):
        p = Path(entry.path)
        if entry.is_file(follow_symlinks=False) and p.resolve() != attestation.resolve():
            out.append(p)
    return out


# --- verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Verified:
    """A valid attestation: its statement, and the files it covers as checked."""

    statement: Mapping[str, Any]
    keyid: str
    files: tuple[str, ...]
    #: The attested results, parsed from the very bytes whose digest was checked.
    saved: SavedResults


def verify(
    attestation: Path,
    key: Path,
    *,
    folder: Path | None = None,
    expected_policy: str | None = None,
    results: Path | None = None,
) -> Verified:
    """Check the signature with `key`, every covered file's digest (files are looked for
    in `folder`, default: beside the attestation), the verdict against the results file's
    decision, and the policy digest against `expected_policy` (None: the trusted policy's,
    the shipped library's). `results`: a results file that must be a subject. Raises
    AttestationError naming the first thing that does not hold."""
    envelope = _envelope(attestation)
    public = public_key(key)
    try:
        envelope.verify([public], 1)
    except UnverifiedSignatureError as e:
        raise AttestationError(f"{attestation}: signature not valid for key {key}: {e}") from e
    doc = _statement(envelope)
    folder = folder or attestation.parent
    subjects = {s["name"]: s["digest"]["sha256"] for s in doc["subject"]}
    predicate = doc["predicate"]
    results_name = predicate.get("resultsFile")
    if results is not None:
        if results.name != results_name:
            raise AttestationError(
                f"{attestation} does not cover {results} (it covers {results_name})"
            )
        folder = results.parent
    if results_name not in subjects:
        raise AttestationError(f"the results file {results_name!r} is not among the subjects")
    checked = []
    text = ""
    for name, digest in sorted(subjects.items()):
        if name == DECISION_SUBJECT:
            continue
        path = _covered(folder, name)
        if name == results_name:
            # Read once: the bytes checked are the bytes judged (no swap in between).
            data = _files.read_bytes(path, limit=_files.MAX_DATA_BYTES)
            found, text = hashlib.sha256(data).hexdigest(), data.decode("utf-8", "replace")
        else:
            found = sha256_file(path)
        if found != digest:
            raise AttestationError(
                f"{path} was changed after it was attested: sha256 {found}, attested {digest}"
            )
        checked.append(str(path))
    saved = loads(text, str(results_name))
    if subjects.get(DECISION_SUBJECT) != decision_digest(text):
        raise AttestationError("the decision differs from the attested one")
    if predicate.get("verdict") != _verdict(saved):
        raise AttestationError(
            f"the attested verdict {predicate.get('verdict')!r} is not the results file's "
            f"{_verdict(saved)!r}"
        )
    expected = expected_policy or policy_digest()
    attested = (predicate.get("policyDigest") or {}).get("sha256")
    if attested != expected:
        raise AttestationError(
            f"the verdict was reached under policy digest {attested}, not the expected "
            f"{expected} (name the policy you trust with --policy DIR or --policy-digest; "
            "without either it is the shipped library's)"
        )
    return Verified(doc, str(public.keyid), tuple(checked), saved)


def _envelope(path: Path) -> Envelope:
    try:
        data = json.loads(_files.read_text(path, limit=_files.MAX_DATA_BYTES))
        return Envelope.from_dict(data)
    except (ValueError, KeyError, TypeError) as e:
        raise AttestationError(
            f"{path} is not an attestation: not a DSSE envelope ({type(e).__name__}: {e}); "
            f"`secscan attest` writes {ATTESTATION_FILE} beside the results"
        ) from e


def _statement(envelope: Envelope) -> dict[str, Any]:
    if envelope.payload_type != PAYLOAD_TYPE:
        raise AttestationError(f"payload type {envelope.payload_type!r} is not {PAYLOAD_TYPE}")
    try:
        doc = json.loads(envelope.payload)
    except ValueError as e:
        raise AttestationError(f"the payload is not JSON: {e}") from e
    if (
        not isinstance(doc, dict)
        or doc.get("_type") != STATEMENT_TYPE
        or doc.get("predicateType") != PREDICATE_TYPE
        or not isinstance(doc.get("subject"), list)
        or not isinstance(doc.get("predicate"), dict)
    ):
        raise AttestationError("the payload is not a secscan in-toto Statement v1")
    try:
        for s in doc["subject"]:
            if not isinstance(s["name"], str) or not isinstance(s["digest"]["sha256"], str):
                raise TypeError(s)
    except (KeyError, TypeError) as e:
        raise AttestationError(f"a subject is malformed: {e}") from e
    return doc


def _covered(folder: Path, name: str) -> Path:
    """A subject's file in `folder`: a plain name (no folder, no link), a regular file."""
    if not name or name != os.path.basename(name) or name in (".", ".."):
        raise AttestationError(f"subject name {name!r} is not a plain file name")
    path = folder / name
    if path.is_symlink() or not path.is_file():
        raise AttestationError(f"{path} is attested but missing (or not a regular file)")
    return path
