"""The redaction stage, one regression test per way a credential used to leak (issue 13),
and a property: wherever a credential sits among other literals, no 8-character piece of it
survives."""

from __future__ import annotations

import random
import re
import secrets
import string
from dataclasses import replace
from pathlib import Path

import pytest
from credentials import Credential, formats, pieces
from hypothesis import example, given, settings
from hypothesis import strategies as st

from secscan.model import fingerprint, redact
from secscan.model.findings import (
    Finding,
    FindingKind,
    Location,
    NotAnalyzed,
    RunStatus,
    ScannerRun,
    Severity,
)
from secscan.model.redact import MASK_PREFIX, Redactor, hint, python_spans
from secscan.scan.pipeline import scan
from secscan.settings.config import Config

ALNUM = string.ascii_letters + string.digits
OSV = Path(__file__).resolve().parents[1] / "data" / "osv"


def _token() -> str:
    return "gh" + "p_" + "".join(secrets.choice(ALNUM) for _ in range(36))


def _leaks(secret: str, text: str) -> list[str]:
    low = text.lower()
    return [p for p in pieces(secret) if p.lower() in low]


def _code_finding(path: str, line: int, rule: str = "B602") -> Finding:
    return Finding(
        "bandit",
        rule,
        "subprocess call with shell=True",
        "subprocess call with shell=True identified, security issue.",
        Severity.HIGH,
        FindingKind.CODE,
        Location(path, line, line),
        cwe=(78,),
    )


def test_snippets_of_other_findings_are_masked(tmp_path: Path) -> None:
    """Bullet 1: `_with_snippet` copies source lines into a finding that is not a secret."""
    token = _token()
    (tmp_path / "deploy.py").write_text(
        f'import subprocess\nsubprocess.call("deploy --key {token}", shell=True)\n'
    )
    (f,) = fingerprint.assign([_code_finding("deploy.py", 2)], tmp_path)
    assert f.location.snippet is not None and "subprocess.call" in f.location.snippet
    assert not _leaks(token, f.location.snippet)
    assert "ghp_..." in f.location.snippet and f.fingerprint


def test_the_literal_after_a_short_one_is_masked_not_the_text_between() -> None:
    """Bullet 2: quote pairing masked `"db", password=` and left the password."""
    line = 'conn = psycopg2.connect(host="db", password="Hunter2-Prod!")'
    out = Redactor().text(line)
    assert "Hunter2" not in out and 'host="db"' in out
    assert out == 'conn = psycopg2.connect(host="db", password="[redacted password, 13 chars]")'
    # a password holding the other quote (and both) is masked whole
    source = "password = \"Xy7'abQ\\\"cdE!9fgh\"\nuser = 'app'\n"
    spans = python_spans(source)
    assert [source[s.start : s.end] for s in spans] == ["Xy7'abQ\\\"cdE!9fgh"]


def test_a_quoted_value_ends_where_python_ends_the_literal() -> None:
    """Found by the property with a random seed: the value of `token=` was taken to the
    line's last `"`, so it swallowed `f'{user}'` and was judged a template, not a secret."""
    secret = "hXOtI'MjBTWE\"fRFW9!oIWz"
    line = 'client.connect(token="hXOtI\'MjBTWE\\"fRFW9!oIWz", f\'{user}\', "db")'
    out = Redactor().text(line)
    assert not _leaks(secret, out), out
    assert out == 'client.connect(token="[redacted password, 24 chars]", f\'{user}\', "db")'
    # the same value before a comment quoting other literals (yaml style)
    out = Redactor().text('token: "hXOtI\'MjBTWE\\"fRFW9!oIWz"  # f\'{user}\' "db"')
    assert out == 'token: "[redacted password, 24 chars]"  # f\'{user}\' "db"'


def test_error_texts_quoting_a_line_are_masked(tmp_path: Path) -> None:
    """Bullet 3: manifest errors, trivy `err=` fields and tool stderr quote the scanned line."""
    token = _token()
    (tmp_path / "requirements.txt").write_text(f"requests==2.31.0\n{token}\n")
    redactor = Redactor(tmp_path)
    run = ScannerRun(
        "pip-audit",
        FindingKind.DEPENDENCY,
        RunStatus.ERROR,
        error=f"requirements.txt:2: invalid requirement '{token}'",
        not_analyzed=(
            NotAnalyzed("requirements.txt", f"invalid requirement '{token}'"),
            # trivy's Dockerfile parser upper-cases the word it cannot read
            NotAnalyzed("requirements.txt", f"unknown instruction: {token.upper()}"),
        ),
    )
    out = redactor.run(run)
    texts = [out.error or "", *(n.reason for n in out.not_analyzed)]
    assert all(not _leaks(token, t) for t in texts), texts
    assert all(MASK_PREFIX in t for t in texts)


@pytest.mark.integration
def test_real_tool_errors_quoting_credentials_are_masked(tmp_path: Path) -> None:
    """Bullet 3 with the real tools: pip-audit's manifest error, trivy's Dockerfile error."""
    token, url_token = _token(), _token()
    (tmp_path / "requirements.txt").write_text(
        f"orders @ https://pkgs.internal/o-1.0-py3-none-any.whl?token={url_token}\ntoken: {token}\n"
    )
    (tmp_path / "Dockerfile").write_text(f"FROM python:3.12\n{token}\n")
    result = scan(tmp_path, Config(), scanner_names=["pip-audit", "iac"], use_cache=False)
    texts = [r.error or "" for r in result.runs]
    texts += [n.reason for r in result.runs for n in r.not_analyzed]
    texts += [f.location.snippet or "" for f in result.findings]
    assert any("invalid requirement" in t for t in texts), texts
    assert any("unknown instruction" in t for t in texts), texts
    for t in texts:
        assert not _leaks(token, t) and not _leaks(url_token, t), t


def test_masks_keep_a_hint_and_never_eight_characters() -> None:
    """Bullet 4 (masks that still help): kind, length, at most 4 chars of a public prefix."""
    token = _token()
    assert hint(token, "password") == "[redacted github-token ghp_..., 40 chars]"
    stripe = "sk_" + "live_" + "".join(secrets.choice(ALNUM) for _ in range(24))
    assert hint(stripe, "stripe-key").startswith("[redacted stripe-key sk_l...")
    assert hint("Hunter2-Prod!", "password") == "[redacted password, 13 chars]"


#: Other literals a credential may sit among on a line of Python or config.
_OTHER = st.sampled_from(
    ['"db"', "'app'", "5432", '"eu-west-1"', "True", '"x"', "f'{user}'", '"a b"', "None"]
)
_NAMES = st.sampled_from(["token", "password", "api_key", "secret", "auth", "value", "x"])


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    kind=st.integers(0, 20),
    before=st.lists(_OTHER, max_size=4),
    after=st.lists(_OTHER, max_size=3),
    name=_NAMES,
    style=st.sampled_from(["call", "assign", "yaml", "env", "dict"]),
)
# Found by a random run: an AWS-style secret whose base64 happened to hold two alphabetic runs
# (`VXMTP`, `Tcma`) was taken for prose and left unmasked under a neutral name.
@example(seed=193800875, kind=1, before=[], after=[], name="value", style="call")
def test_property_no_piece_of_a_credential_survives_redaction(
    seed: int, kind: int, before: list[str], after: list[str], name: str, style: str
) -> None:
    cred: Credential = formats(random.Random(seed))[kind]
    value = cred.text.replace("\n", "\\n").replace("\\", "\\\\").replace('"', '\\"')
    literal = f'"{value}"'
    args = [*before, f"{name}={literal}", *after]
    line = {
        "call": f"client.connect({', '.join(args)})",
        "assign": f"{name} = {literal}; other = ({', '.join(before + after)})",
        "yaml": f"{name}: {literal}  # {' '.join(before)}",
        "env": f"{name.upper()}={cred.text.replace(chr(10), '')} {' '.join(after)}",
        "dict": f"{{{', '.join(before)}, '{name}': {literal}, {', '.join(after)}}}",
    }[style]
    out = Redactor().text(line)
    secret = cred.secret.replace("\n", "")
    # a password that is only a password (no format) needs a name saying so
    if cred.kind in ("quoted-password",) and name in ("value", "x"):
        return
    assert not _leaks(secret, out), (line, out)


def test_fingerprints_do_not_depend_on_what_other_files_taught(tmp_path: Path) -> None:
    """Scanners finish in any order: a value learnt from another file masks the stored
    snippet in the final pass, but never changes a fingerprint."""
    password = "Val1d" + "".join(secrets.choice(ALNUM) for _ in range(12))
    (tmp_path / "b.env").write_text(f"DB_PASSWORD={password}\n")
    (tmp_path / "a.py").write_text(
        f'import subprocess\nsubprocess.call("{password}", shell=True)\n'
    )
    taught = Redactor(tmp_path)
    taught.learn_file("b.env")
    (first,) = fingerprint.assign([_code_finding("a.py", 2)], tmp_path, taught)
    (second,) = fingerprint.assign([_code_finding("a.py", 2)], tmp_path, Redactor(tmp_path))
    assert first.fingerprint == second.fingerprint
    assert first.location.snippet == second.location.snippet
    # the pipeline's final pass over the result uses everything learnt
    final = taught.finding(first)
    assert not _leaks(password, final.location.snippet or "")
    assert final.fingerprint == first.fingerprint


@pytest.mark.integration
def test_a_token_in_a_wheel_url_query_reaches_no_dependency_output(tmp_path: Path) -> None:
    """Bullet 3: the wheel URL's query string reached reports through the snippet path."""
    from secscan.settings.config import AdvisoryOptions

    token = _token()
    root = tmp_path / "repo"
    root.mkdir()
    (root / "requirements.txt").write_text(
        "requests==2.19.0\n"
        f"orders @ https://pkgs.internal/orders-1.0-py3-none-any.whl?token={token}\n"
    )
    config = Config(advisories=AdvisoryOptions(db=str(OSV)))
    result = scan(root, config, scanner_names=["pip-audit"], use_cache=False)
    (run,) = result.runs
    assert run.status is RunStatus.OK, run.error
    assert any(f.package and f.package.name == "requests" for f in run.findings)
    from secscan.model import results

    text = results.dumps(result) if hasattr(results, "dumps") else repr(result)
    assert not _leaks(token, text) and not _leaks(token, repr(result))


def test_text_dressed_as_a_mask_does_not_hide_a_credential() -> None:
    token = _token()
    out = Redactor().text(f"note = '[redacted {token}, 40 chars]'")
    assert not _leaks(token, out)
    assert Redactor().text(hint(token, "password")) == hint(token, "password")


def test_words_and_prose_are_never_learnt_as_credentials(tmp_path: Path) -> None:
    """Measured on secscan's own self-scan: prose literals and key-block tails taught words
    (`Possible`, `directory`) that were then masked in every bandit message."""
    (tmp_path / "a.py").write_text(
        'MESSAGE = "Possible hardcoded password: Sh0p-W4rehouse 2019 for the Directory"\n'
        'KEY = "-----BEGIN RSA PRIVATE KEY-----"\nTMP_DIRECTORY = "/tmp/x"\n'
    )
    redactor = Redactor(tmp_path)
    redactor.learn_file("a.py")
    text = "Probable insecure usage of temp file/directory. Possible hardcoded password: 'x'"
    assert redactor.text(text) == text


def test_a_text_masked_before_a_credential_was_learnt_is_masked_again_after() -> None:
    """The redactor remembers masked texts (a scan's final pass repeats them by the thousand),
    but only for the knowledge they were masked with: a piece learnt later is masked too."""
    key = "Zq7" + "Kx9pLm2Vb4Nc8Rt"
    text = f"connect with {key} to the service"
    redactor = Redactor()
    assert redactor.text(text) == text  # nothing known yet: shown as is (and remembered)
    assert redactor.text(text) == text
    redactor.learn(key, "password")
    masked = redactor.text(text)
    assert key not in masked and MASK_PREFIX in masked
    assert redactor.text(text) == masked


def _candidates_line_by_line(text: str) -> tuple[str, list[tuple[int, int]]]:
    """What `_candidates` computed before its whole-text shortcut (it must agree)."""
    kept: list[str] = []
    offsets: list[tuple[int, int]] = []
    at = 0
    for start, line in redact._lines(text):
        if "://" in line or any(
            any(ch.isdigit() or ch.isupper() for ch in m.group(0))
            for m in redact._CANDIDATE_RUN.finditer(line)
        ):
            offsets.append((at, start))
            kept.append(line)
            at += len(line) + 1
    return "\n".join(kept), offsets


_PARTS = st.sampled_from(
    ["word", " ", "\n", "\r\n", "\u2028", "\x0c", "://", "https://h.example/p", "=", "-", "_"]
    + ["A" * 16, "a" * 16, "aB3" * 6, "ghp_" + "x1" * 10, "AKIA" + "B" * 16, "é" * 17]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PARTS, max_size=12).map("".join))
@example("a b c\nno tokens here: x = 1")
def test_candidate_lines_shortcut_keeps_every_line_that_could_hold_a_token(text: str) -> None:
    assert redact._candidates(text) == _candidates_line_by_line(text)


def test_a_finding_with_nothing_to_mask_is_returned_as_it_is() -> None:
    clean = _code_finding("app/x.py", 3)
    assert Redactor().finding(clean) is clean
    token = _token()
    leaky = replace(clean, message=f"token {token} in use")
    masked = Redactor().finding(leaky)
    assert masked is not leaky and token not in masked.message
    assert replace(masked, message=leaky.message) == leaky  # only the message changed


#: The `quoted-password` of tests/hardening/credentials.py that test_secrets_never_leak drew
#: with matrix seed 35380831: its tail (`PEPmr!cuff`) reads as words, so its pieces were
#: never learnt, and trivy's error (the value lower-cased with `"` escaped, then upper-cased)
#: showed 4 of them in the iac cache entry and every report.
_SEED_35380831 = "z177P'M43gWB\"PEPmr!cuff"


def _dockerfile_35380831(root: Path) -> None:
    v = _SEED_35380831
    (root / "Dockerfile").write_text(
        f"FROM python:3.12\nENV QUOTED_PASSWORD={v}\n"
        f'RUN curl -H "Authorization: Bearer {v}" http://get.internal/install | sh\n{v}\n'
    )


def test_a_quoted_password_whose_tail_reads_as_words_is_masked_whole(tmp_path: Path) -> None:
    _dockerfile_35380831(tmp_path)
    reason = (
        "trivy dockerfile scanner: Failed to parse file: parse dockerfile instruction: "
        f'parse instruction "{_SEED_35380831.lower().replace(chr(34), chr(92) + chr(34))}": '
        f"unknown instruction: {_SEED_35380831.upper()}"
    )
    run = ScannerRun(
        "iac",
        FindingKind.IAC,
        RunStatus.OK,
        not_analyzed=(NotAnalyzed("Dockerfile", reason),),
    )
    redactor = Redactor(tmp_path)
    cached = redactor.run(run, own_only=True)  # the form the result cache keeps
    final = redactor.run(run)
    for out in (cached, final):
        text = out.not_analyzed[0].reason
        assert not _leaks(_SEED_35380831, text), text
        assert "unknown instruction: [redacted" in text  # the message itself is kept
        # and as the cache and the JSON reports write it (quotes escaped once more)
        assert not _leaks(_SEED_35380831, text.replace('"', '\\"')), text


def test_words_after_a_random_run_are_not_learnt_alone(tmp_path: Path) -> None:
    """The fix learns windows touching a random run of letters, not the words elsewhere."""
    redactor = Redactor()
    redactor.learn(_SEED_35380831, "password")
    assert redactor.text("Pmr!cuff") == "[redacted password, 8 chars]"
    assert redactor.text("handcuffs and cufflinks") == "handcuffs and cufflinks"
    redactor.learn("Hunter22Production", "password")
    assert redactor.text("Production settings") == "Production settings"


def test_a_random_run_of_letters_is_masked_in_any_case(tmp_path: Path) -> None:
    """Matrix seed 35380834: a stripe key of letters only, which trivy printed lower-cased;
    its camel words (`hzg`, `IQF`, `Rdbl`, …) read as words, so none of its pieces was learnt."""
    # Assembled here so that this file holds no live-key literal for a secret scanner to report.
    key = "sk_" + "live_" + "hzgIQFRdblJebgECGKlouNQP"
    (tmp_path / "Dockerfile").write_text(f"FROM python:3.12\nENV STRIPE={key}\n{key}\n")
    reason = f'parse instruction "{key.lower()}": unknown instruction: {key.lower()}'
    text = Redactor(tmp_path).text(reason, "Dockerfile")
    assert not _leaks(key, text), text
    assert Redactor(tmp_path).text("XMLHttpRequest parseStringValue", "Dockerfile") == (
        "XMLHttpRequest parseStringValue"
    )


def test_an_issued_token_of_capitals_is_learnt_whole(tmp_path: Path) -> None:
    """Matrix seeds 2933747961 and 955328754: an AWS access key id with one digit, which
    trivy printed lower-cased; its capitals read as one identifier word, so only the window
    holding the digit was learnt and `akiajypcnjpr` was shown."""
    key = "AKIA" + "JYPCNJPRUODXYEA0"  # assembled: no key literal in the file
    (tmp_path / "Dockerfile").write_text(f"FROM python:3.12\nENV AWS_ACCESS_KEY_ID={key}\n{key}\n")
    reason = f'parse instruction "{key.lower()}": unknown instruction: {key.lower()}'
    text = Redactor(tmp_path).text(reason, "Dockerfile")
    assert not _leaks(key, text), text
    assert "unknown instruction: [redacted" in text
    # an identifier of capitals that is no issued token is still no piece of a key
    assert Redactor(tmp_path).text("DEFAULTTIMEOUTVALUE", "Dockerfile") == "DEFAULTTIMEOUTVALUE"


def test_a_word_inside_a_random_run_is_masked_there_and_not_learnt() -> None:
    """A password of a random run around a word (`xqPassword`, `zkInstance7Q`): the windows
    around the word mask it where the value appears; the word alone is not learnt, or every
    title saying "password" and every path with `instance_utils` would be masked (seen on
    skypilot's privacy findings)."""
    redactor = Redactor()
    redactor.learn("xq" + "Password", "password")
    redactor.learn("zk" + "Instance7Q", "password")
    title = "Account password (user.authorization.credentials) to a log"
    assert redactor.text(title) == title
    assert redactor.text("sky/provision/gcp/instance_utils.py") == (
        "sky/provision/gcp/instance_utils.py"
    )
    for shown in ("xqpassword", "ZKINSTANCE7Q", "zkInstance7Q"):
        text = redactor.text(f"value {shown} here")
        assert not _leaks(shown, re.sub(r"\[redacted [^\]]*\]", "", text)), text


@pytest.mark.integration
def test_real_trivy_error_quoting_seed_35380831_reaches_no_cache_entry(tmp_path: Path) -> None:
    root, cache = tmp_path / "repo", tmp_path / "cache"
    root.mkdir()
    _dockerfile_35380831(root)
    # a file trivy reads, so the unreadable one is a file's fate and the run is cached
    (root / "ok").mkdir()
    (root / "ok" / "Dockerfile").write_text("FROM python:3.12\nUSER app\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SECSCAN_CACHE_DIR", str(cache))
        result = scan(root, Config(), scanner_names=["iac"])
    reasons = [n.reason for r in result.runs for n in r.not_analyzed]
    assert any("unknown instruction" in t for t in reasons), reasons
    entries = [p.read_text() for p in cache.rglob("*.json")]
    assert entries, "the result cache was not written"
    for t in [*reasons, *entries]:
        assert not _leaks(_SEED_35380831, t), t
