"""Signed evidence (issue 30): `attest` -> `verify` round trip, and every tampering caught.

A real bandit scan writes the results, the HTML report and the OSCAL; `secscan attest` signs
them with a key `secscan attest keygen` made; `secscan verify` accepts them as written and
refuses each change: a covered file, the verdict, the policy digest, the key.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from securesystemslib.dsse import Envelope
from securesystemslib.signer import CryptoSigner

from secscan.app import attest as evidence
from secscan.cli import main

pytestmark = pytest.mark.integration

APP = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One real scan's output folder (results, HTML, OSCAL), copied by each test."""
    root = tmp_path_factory.mktemp("project")
    (root / "app.py").write_text(APP)
    out = tmp_path_factory.mktemp("scanned") / "out"
    code = main(
        ["scan", str(root), "--scanner", "bandit", "--output-dir", str(out), "--no-cache"]
        + ["--format", "json", "--format", "html", "--format", "oscal", "-q"]
    )
    assert code in (0, 1)
    return out


@pytest.fixture
def out(scanned: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    shutil.copytree(scanned, folder)
    return folder


@pytest.fixture
def key(tmp_path: Path, run_cli: Callable[..., Any]) -> Path:
    private = tmp_path / "keys" / "signer.pem"
    private.parent.mkdir()
    made = run_cli("attest", "keygen", str(private))
    assert made.code == 0, made.err
    assert private.stat().st_mode & 0o077 == 0  # the private key is its owner's alone
    return private


@pytest.fixture
def attested(out: Path, key: Path, run_cli: Callable[..., Any]) -> Path:
    signed = run_cli("attest", str(out / "secscan-results.json"), "--key", str(key))
    assert signed.code == 0, signed.err
    return out / evidence.ATTESTATION_FILE


def verify(run_cli: Callable[..., Any], envelope: Path, key: Path, *extra: str) -> Any:
    return run_cli("verify", str(envelope), "--key", str(key) + ".pub", *extra)


def statement(envelope: Path) -> dict[str, Any]:
    data = json.loads(envelope.read_text())
    doc: dict[str, Any] = json.loads(base64.b64decode(data["payload"]))
    return doc


def test_attest_then_verify_round_trip(
    attested: Path, out: Path, key: Path, run_cli: Callable[..., Any]
) -> None:
    ok = verify(run_cli, attested, key)
    assert ok.code == 0, ok.err
    assert "attestation OK" in ok.out and "3 file(s) unchanged" in ok.out
    doc = statement(attested)
    assert doc["_type"] == "https://in-toto.io/Statement/v1"
    names = {s["name"] for s in doc["subject"]}
    assert names == {
        "secscan-results.json",
        "secscan-report.html",
        "secscan-oscal.json",
        "decision",
    }
    results = json.loads((out / "secscan-results.json").read_text())
    predicate = doc["predicate"]
    assert predicate["verdict"] == ("pass" if results["decision"]["outcome"] == "pass" else "fail")
    assert predicate["profile"] == "ci"
    assert predicate["policyDigest"]["sha256"] == evidence.policy_digest()
    (tool,) = predicate["tools"]
    assert tool["scanner"] == "bandit" and len(tool["sha256"]) == 64
    assert tool["sha256"] == results["result"]["runs"][0]["tool"]["sha256"]


@pytest.mark.parametrize(
    "name", ["secscan-results.json", "secscan-report.html", "secscan-oscal.json"]
)
def test_a_changed_covered_file_fails(
    attested: Path, out: Path, key: Path, run_cli: Callable[..., Any], name: str
) -> None:
    with (out / name).open("a") as fh:
        fh.write(" ")
    bad = verify(run_cli, attested, key)
    assert bad.code == 1
    assert f"{name} was changed after it was attested" in bad.err


def test_a_removed_covered_file_fails(
    attested: Path, out: Path, key: Path, run_cli: Callable[..., Any]
) -> None:
    (out / "secscan-report.html").unlink()
    bad = verify(run_cli, attested, key)
    assert bad.code == 1 and "attested but missing" in bad.err


def test_a_changed_verdict_fails(
    attested: Path, out: Path, key: Path, run_cli: Callable[..., Any]
) -> None:
    results = out / "secscan-results.json"
    data = json.loads(results.read_text())
    data["decision"]["outcome"] = "fail" if data["decision"]["outcome"] == "pass" else "pass"
    results.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    bad = verify(run_cli, attested, key)
    assert bad.code == 1 and "secscan-results.json was changed" in bad.err


def test_a_forged_verdict_signed_with_the_right_key_is_caught(
    attested: Path, out: Path, key: Path, run_cli: Callable[..., Any]
) -> None:
    doc = statement(attested)
    doc["predicate"]["verdict"] = "pass" if doc["predicate"]["verdict"] == "fail" else "fail"
    _resign(out, key, doc)
    bad = verify(run_cli, attested, key)
    assert bad.code == 1 and "attested verdict" in bad.err


def _resign(folder: Path, key: Path, doc: dict[str, Any]) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    signer = CryptoSigner(load_pem_private_key(key.read_bytes(), password=None))
    envelope = Envelope(
        payload=json.dumps(doc).encode(), payload_type=evidence.PAYLOAD_TYPE, signatures={}
    )
    envelope.sign(signer)
    (folder / evidence.ATTESTATION_FILE).write_text(json.dumps(envelope.to_dict()))


def test_another_policy_digest_fails(
    attested: Path, key: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    other = verify(run_cli, attested, key, "--policy-digest", "0" * 64)
    assert other.code == 1 and "not the expected" in other.err
    # A policy directory of one's own has another digest than the shipped library alone.
    policy = tmp_path / "policy" / "gates"
    policy.mkdir(parents=True)
    (policy / "strict.yaml").write_text(
        "version: 1\ndescription: strict\ngate:\n  severity:\n    default: low\n"
    )
    mine = verify(run_cli, attested, key, "--policy", str(policy.parent))
    assert mine.code == 1 and "policy digest" in mine.err


def test_the_wrong_key_fails(attested: Path, tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    other = tmp_path / "other.pem"
    assert run_cli("attest", "keygen", str(other)).code == 0
    bad = verify(run_cli, attested, other)
    assert bad.code == 1 and "signature not valid" in bad.err


def test_a_tampered_payload_fails_the_signature(
    attested: Path, key: Path, run_cli: Callable[..., Any]
) -> None:
    data = json.loads(attested.read_text())
    doc = statement(attested)
    doc["predicate"]["profile"] = "audit"
    data["payload"] = base64.b64encode(json.dumps(doc).encode()).decode()
    attested.write_text(json.dumps(data))
    bad = verify(run_cli, attested, key)
    assert bad.code == 1 and "signature not valid" in bad.err


def test_gate_from_requires_a_valid_attestation(
    attested: Path, out: Path, key: Path, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    results = str(out / "secscan-results.json")
    pub = str(key) + ".pub"
    judged = run_cli(
        "gate", "--from", results, "--require-attestation", str(attested), "--key", pub
    )
    plain = run_cli("gate", "--from", results)
    assert judged.code == plain.code and judged.code in (0, 1), judged.err
    assert judged.out.startswith("attestation OK: ") and "3 file(s) unchanged" in judged.out
    other = tmp_path / "other.pem"
    run_cli("attest", "keygen", str(other))
    refused = run_cli(
        "gate", "--from", results, "--require-attestation", str(attested), "--key", f"{other}.pub"
    )
    assert refused.code == 1 and "signature not valid" in refused.err
    assert "gate PASSED" not in refused.out and "gate FAILED" not in refused.out
    with (out / "secscan-results.json").open("a") as fh:
        fh.write("\n")
    changed = run_cli(
        "gate", "--from", results, "--require-attestation", str(attested), "--key", pub
    )
    assert changed.code == 1 and "changed after it was attested" in changed.err
    half = run_cli("gate", "--from", results, "--require-attestation", str(attested))
    assert half.code == 2


def test_the_attested_policy_is_the_one_the_results_were_judged_with(
    tmp_path: Path, key: Path, run_cli: Callable[..., Any]
) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (root / "app.py").write_text(APP)
    policy = tmp_path / "policy"
    (policy / "gates").mkdir(parents=True)
    (policy / "gates" / "strict.yaml").write_text(
        "version: 1\ndescription: strict\ngate:\n  severity:\n    default: low\n"
    )
    out = tmp_path / "out"
    scanned = run_cli(
        "scan",
        str(root),
        "--scanner",
        "bandit",
        "--policy",
        str(policy),
        "--profile",
        "strict",
        "--output-dir",
        str(out),
        "--format",
        "json",
        "--no-cache",
        "-q",
    )
    assert scanned.code in (0, 1), scanned.err
    results = str(out / "secscan-results.json")
    # Without --policy, attest digests the policy the decision records, not the library's.
    assert run_cli("attest", results, "--key", str(key)).code == 0
    envelope = out / evidence.ATTESTATION_FILE
    attested = statement(envelope)["predicate"]["policyDigest"]["sha256"]
    assert attested == evidence.policy_digest(policy) != evidence.policy_digest()
    # Naming another policy than the one judged with is refused: the claim would be false.
    other = tmp_path / "other"
    (other / "gates").mkdir(parents=True)
    wrong = run_cli("attest", results, "--key", str(key), "--policy", str(other))
    assert wrong.code == 2 and f"judged with --policy {policy}" in wrong.err
    # The verifier names the policy it trusts; the shipped library alone is not it.
    library = verify(run_cli, envelope, key)
    assert library.code == 1 and "name the policy you trust with --policy" in library.err
    assert verify(run_cli, envelope, key, "--policy", str(policy)).code == 0


def test_verify_says_what_it_was_given_instead(
    attested: Path, out: Path, key: Path, run_cli: Callable[..., Any]
) -> None:
    results = verify(run_cli, out / "secscan-results.json", key)
    assert results.code == 1
    assert "attestation NOT valid" in results.err and "is not an attestation" in results.err
    short = verify(run_cli, attested, key, "--policy-digest", "abc")
    assert short.code == 2 and "not a SHA-256" in short.err
    # The two halves of the key pair swapped: each command names the one it takes.
    private = run_cli("verify", str(attested), "--key", str(key))
    assert private.code == 2 and "this is a private key: verify takes" in private.err
    results = str(out / "secscan-results.json")
    public = run_cli("attest", results, "--key", f"{key}.pub")
    assert public.code == 2 and "this is a public key: attest signs with" in public.err


def test_the_compliance_html_references_the_attestation_that_covers_it(
    out: Path, key: Path, run_cli: Callable[..., Any]
) -> None:
    results = out / "secscan-results.json"
    html = out / "secscan-compliance-iso27001-2022.html"
    written = run_cli(
        "compliance", "--from", str(results), "--framework", "iso27001-2022", "-o", str(html)
    )
    assert written.code == 0, written.err
    text = html.read_text()
    evidence_section = text[text.index('<section id="signed-evidence">') :]
    digest = hashlib.sha256(results.read_bytes()).hexdigest()
    assert f"<code>{digest}</code>" in evidence_section
    assert f"<code>{evidence.ATTESTATION_FILE}</code>" in evidence_section
    assert run_cli("attest", str(results), "--key", str(key)).code == 0
    envelope = out / evidence.ATTESTATION_FILE
    assert html.name in {s["name"] for s in statement(envelope)["subject"]}
    assert verify(run_cli, envelope, key).code == 0
    html.write_text(text.replace("Signed evidence", "Signed evidence (edited)"))
    edited = verify(run_cli, envelope, key)
    assert edited.code == 1 and f"{html} was changed after it was attested" in edited.err
