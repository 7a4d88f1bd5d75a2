"""Twelve kinds of planted credentials: found by the real trivy, and written nowhere by secscan.

The tree is scanned by the code scanners too (bandit and semgrep flag hard-coded secrets and
quote code lines), then every report format, both compliance documents, a baseline, an
explanation, the result cache, the terminal and the log are searched for each value and for
every 8-character piece of it. Values are random and built at test time from pieces, so no
credential-shaped literal is ever committed.
"""

from __future__ import annotations

import base64
import contextlib
import io
import logging
import os
import secrets
import string
from pathlib import Path

import pytest

from secscan import results
from secscan.report import FORMATS
from secscan.report.compliance import FORMATS as COMPLIANCE_FORMATS

ALNUM = string.ascii_letters + string.digits
UPPER = string.ascii_uppercase + string.digits
#: Shortest piece of a value that must not appear anywhere.
PIECE = 8


def _random(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def planted() -> dict[str, tuple[str, str]]:
    """trivy rule id -> (public prefix, secret part). The prefixes are public knowledge."""
    return {
        "aws-access-key-id": ("AK" + "IA", _random(UPPER, 16)),
        "aws-secret-access-key": ("", _random(ALNUM, 40)),
        "github-pat": ("gh" + "p_", _random(ALNUM, 36)),
        "gitlab-pat": ("gl" + "pat-", _random(ALNUM, 20)),
        "slack-access-token": (
            "xo" + "xb-",
            f"{_random(string.digits, 12)}-{_random(string.digits, 13)}-{_random(ALNUM, 24)}",
        ),
        "slack-web-hook": (
            "https://hooks.slack.com/" + "services/",
            f"T{_random(UPPER, 10)}/B{_random(UPPER, 10)}/{_random(ALNUM, 24)}",
        ),
        "stripe-secret-token": ("sk_" + "live_", _random(ALNUM, 24)),
        "npm-access-token": ("np" + "m_", _random(ALNUM, 36)),
        "sendgrid-api-token": ("S" + "G.", f"{_random(ALNUM, 22)}.{_random(ALNUM, 43)}"),
        "hugging-face-access-token": ("h" + "f_", _random(string.ascii_letters, 34)),
        "twilio-api-key": ("S" + "K", _random("0123456789abcdef", 32)),
        "private-key": ("", base64.b64encode(os.urandom(600)).decode()),
    }


def build(root: Path, creds: dict[str, tuple[str, str]]) -> None:
    value = {rule: prefix + part for rule, (prefix, part) in creds.items()}
    (root / "app").mkdir(parents=True)
    (root / "deploy").mkdir()
    (root / "app" / "settings.py").write_text(
        '"""Settings, with credentials a developer should never have committed."""\n\n'
        f'AWS_ACCESS_KEY_ID = "{value["aws-access-key-id"]}"\n'
        f'aws_secret_access_key = "{value["aws-secret-access-key"]}"\n'
        f'GITHUB_TOKEN = "{value["github-pat"]}"\n'
        f'password = "{value["gitlab-pat"]}"\n'
        f'SLACK_TOKEN = "{value["slack-access-token"]}"\n'
        f'STRIPE_SECRET_KEY = "{value["stripe-secret-token"]}"\n'
        f'HF_TOKEN = "{value["hugging-face-access-token"]}"\n\n\n'
        "def connect(client):\n"
        f'    return client.login(token="{value["twilio-api-key"]}")\n'
    )
    (root / "app" / "ci.env").write_text(f'NPM_TOKEN="{value["npm-access-token"]}"\n')
    (root / "deploy" / "values.yaml").write_text(
        "notify:\n"
        f"  slack_webhook: {value['slack-web-hook']}\n"
        f"  sendgrid_key: {value['sendgrid-api-token']}\n"
    )
    key = value["private-key"]
    body = "\n".join(key[i : i + 64] for i in range(0, len(key), 64))
    dash = "-" * 5
    (root / "deploy" / "id_rsa").write_text(
        f"{dash}BEGIN RSA PRIVATE KEY{dash}\n{body}\n{dash}END RSA PRIVATE KEY{dash}\n"
    )


class _Records(logging.Handler):
    """Every log line secscan emits while the fixture runs, at any level."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}")


def pieces(prefix: str, part: str) -> set[str]:
    """The whole value and every 8-character window that holds at least one secret character."""
    text = prefix[-(PIECE - 1) :] + part if prefix else part
    found = {text[i : i + PIECE] for i in range(len(text) - PIECE + 1)}
    return found | {prefix + part} | {line for line in part.splitlines() if len(line) >= PIECE}


@pytest.fixture(scope="module")
def leaked_into(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], dict, list]:  # type: ignore[type-arg]
    """Everything secscan wrote or printed about the tree, by name; the credentials; the run."""
    from secscan.cli import main

    base = tmp_path_factory.mktemp("leak")
    root, out, cache = base / "repo", base / "out", base / "cache"
    creds = planted()
    build(root, creds)
    printed: dict[str, bytes] = {}
    log = _Records()
    logging.getLogger().addHandler(log)

    def run(name: str, *argv: str) -> int:
        stdout, stderr = io.StringIO(), io.StringIO()
        with (
            pytest.MonkeyPatch.context() as mp,
            contextlib.redirect_stdout(stdout),
            contextlib.redirect_stderr(stderr),
        ):
            mp.setenv("SECSCAN_CACHE_DIR", str(cache))
            code = main(list(argv))
        printed[f"terminal: {name}"] = (stdout.getvalue() + stderr.getvalue()).encode()
        return code

    formats = [arg for f in FORMATS for arg in ("--format", f)]
    scanners = [arg for s in ("bandit", "semgrep", "iac", "secrets") for arg in ("--scanner", s)]
    code = run("scan -v", "scan", str(root), "--output-dir", str(out), "-v", *formats, *scanners)
    saved_path = out / "secscan-results.json"
    saved = results.loads(saved_path.read_text(encoding="utf-8"))
    for framework in ("iso27001-2022", "gdpr"):
        for fmt in COMPLIANCE_FORMATS:
            run(
                f"compliance {framework} {fmt}",
                "compliance",
                "--from",
                str(saved_path),
                "--framework",
                framework,
                "--format",
                fmt,
                "--output-dir",
                str(out),
            )
    run("report", "report", "--from", str(saved_path), "--output-dir", str(out / "again"), *formats)
    run("gate", "gate", "--from", str(saved_path), "--output", str(out / "gated.json"))
    run(
        "baseline",
        "baseline",
        "create",
        "--from",
        str(saved_path),
        "--output",
        str(out / "baseline.json"),
    )
    for f in saved.result.findings:
        run(f"explain {f.rule_id}", "explain", f.fingerprint, "--results", str(saved_path))
    logging.getLogger().removeHandler(log)
    printed["log"] = "\n".join(log.lines).encode()
    files = {
        f"file: {p.relative_to(base)}": p.read_bytes()
        for d in (out, cache)
        for p in sorted(d.rglob("*"))
        if p.is_file()
    }
    return {**printed, **files}, creds, [code, saved]


@pytest.mark.integration
def test_every_planted_kind_is_found(leaked_into) -> None:  # type: ignore[no-untyped-def]
    _, creds, (code, saved) = leaked_into
    assert code == 1
    assert {r.scanner: r.status.value for r in saved.result.runs} == {
        "bandit": "ok",
        "semgrep": "ok",
        "iac": "ok",
        "secrets": "ok",
    }
    found = {f.rule_id for f in saved.result.findings if f.kind.value == "secret"}
    assert found == set(creds), "a kind went undetected: the leak check below would not bite"
    assert len(creds) >= 10
    # the code scanners looked at the same lines (and so had the chance to quote them)
    code_rules = {f.rule_id for f in saved.result.findings if f.kind.value == "code"}
    assert "B105" in code_rules or "python-hardcoded-secret" in code_rules


@pytest.mark.integration
def test_every_output_was_searched(leaked_into) -> None:  # type: ignore[no-untyped-def]
    outputs, _, (_, saved) = leaked_into
    names = "\n".join(outputs)
    for f in FORMATS.values():
        name = f.pattern.split("*", 1)[0]  # a per-scanner format: its files' common prefix
        assert f"out/{name}" in names and f"out/again/{name}" in names
    assert names.count("file: out/compliance-") == 2 * len(COMPLIANCE_FORMATS)
    assert "file: out/baseline.json" in names and "file: out/gated.json" in names
    assert any(n.startswith("file: cache/") for n in outputs), "the result cache was not written"
    assert sum(n.startswith("terminal: explain") for n in outputs) >= 1
    assert "log" in outputs  # log lines are searched too (there may be none)
    assert all(v for k, v in outputs.items() if k != "log")


@pytest.mark.integration
def test_no_value_nor_any_8_character_piece_of_it_is_written_or_printed(leaked_into) -> None:  # type: ignore[no-untyped-def]
    outputs, creds, _ = leaked_into
    leaks = []
    for rule, (prefix, part) in creds.items():
        for piece in pieces(prefix, part):
            needle = piece.encode()
            leaks += [(rule, piece, name) for name, data in outputs.items() if needle in data]
    where = sorted({f"{rule} -> {name}" for rule, _, name in leaks})
    assert not leaks, f"{len(leaks)} leaked piece(s):\n" + "\n".join(where)
