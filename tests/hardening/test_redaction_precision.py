"""Redaction with precision (issue 23 item 4): mask what has evidence of being a credential
(a token format, or a credential-shaped value bound to a secret-like name), never a word of
code or prose; and the same tree is masked byte for byte alike cold and warm.

Each case is a shape met on real projects (the masked spans of `benchmarks/masked_spans.py`
on apprise 1.9.0 and zenml 0.70.0, labelled in BENCHMARKS.md). Credentials are random and
built at test time from pieces, so no credential-shaped literal is ever committed.
"""

from __future__ import annotations

import json
import random
import secrets
import shutil
import string
from pathlib import Path

import pytest
from credentials import CONTEXTS, formats, pieces

from secscan.model import results
from secscan.model.findings import Finding, FindingKind, Location, Severity
from secscan.model.redact import MASK_PREFIX, Redactor, find, find_python, looks_random
from secscan.scan.pipeline import scan
from secscan.settings.config import Config

ALNUM = string.ascii_letters + string.digits


def _r(n: int) -> str:
    """n distinct random characters: a key as looks_random knows one. Drawn with repeats, one
    24-character draw in 20 stays under its 4.0 bits of entropy, and a test that means "a
    random key" failed on such a draw (POST /bot…:{key} unmasked, once in a full run)."""
    return "".join(secrets.SystemRandom().sample(ALNUM, n))


def _learnt(tmp_path: Path, name: str, content: str) -> Redactor:
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(content)
    r = Redactor(tmp_path)
    r.learn_file(name)
    return r


def test_an_upper_case_word_in_a_learnt_value_is_not_masked_in_code(tmp_path: Path) -> None:
    """Was: a value holding `TELEGRAM` taught the piece `telegram`, matched in any case, so
    `assert self.kind == "telegram"` showed `"[redacted password, 8 chars]"`."""
    r = _learnt(tmp_path, ".env", f"BOT_TOKEN=TELEGRAM_{_r(3)}9x{_r(12)}\n")
    code = 'assert self.kind == "telegram"'
    assert r.text(code) == code
    assert r.text("features: [telegram, slack]") == "features: [telegram, slack]"


def test_a_url_is_no_random_key_and_its_host_is_not_masked_elsewhere(tmp_path: Path) -> None:
    """Was: the literal `HTTP://HoStNaMe:40/test.php` passed as a high-entropy string; its
    piece `hostname` was then masked in 216 texts."""
    assert not looks_random("HTTP://HoStNaMe:40/test.php")
    assert not looks_random("%40userA%2C%2Bdevice1%2C%7E%7E%2C%2C")
    r = _learnt(tmp_path, "t.py", 'url = "HTTP://HoStNaMe:40/test.php"\n')
    assert r.text("connect to hostname:8080") == "connect to hostname:8080"


def test_a_word_taken_from_a_user_password_url_is_not_a_credential() -> None:
    """`user:password@host`, `:{passwd}@`: a word or a placeholder where a password goes."""
    for text in ("json://user:password@localhost", "mailto://u:{passwd}@example.com"):
        assert find(text) == [], text
    pw = _r(14)
    text = f"https://deploy:{pw}@git.internal/x.git"
    assert any(text[s.start : s.end] == pw for s in find(text))


def test_a_rule_message_naming_a_keyword_is_not_masked() -> None:
    """Was: the pack's message `(password=/passwd= keyword, …)` masked `/passwd=` in 169
    findings: a name and punctuation are not a value."""
    msg = "passed to a login call (password=/passwd= keyword, .login(user, '...'))"
    assert Redactor().text(msg) == msg


def test_helm_and_code_references_are_not_values() -> None:
    for text in (
        "password: .Values.postgresql.auth.password",
        "secretKey: {{ .Values.secretKey | b64enc }}",
        "token = settings.GITHUB_TOKEN",
        "api_key: parseString",
    ):
        assert Redactor().text(text) == text, text


def test_python_code_around_literals_is_not_a_value() -> None:
    """The keyword rules read only strings and comments of Python: code is read with
    tokenize. Was: `token_b='abcd', token_c=None` taught `abcd', token_b=None, ...`."""
    src = "check(token_b='abcd', token_c=None, verify=False)\nassert self.kind == 'telegram'\n"
    assert find_python(src) == []
    pw = _r(8) + "9"
    src = f'CONFIG = """\n[db]\npassword = {pw}\n"""\n# token: {pw}x\n'
    values = {src[s.start : s.end] for s in find_python(src)}
    assert pw in values and f"{pw}x" in values


def test_a_url_query_value_ends_at_the_next_parameter() -> None:
    """Was: `?pass=p&app_secret=abc123&app_id=54321&to=sub1,sub2` taught the whole tail."""
    pw = _r(10) + "7"
    text = f"reddit://h/?user=l2g&pass={pw}&app_id=54321&to=sub1,sub2"
    assert {text[s.start : s.end] for s in find(text)} == {pw}


def test_a_credential_rule_teaches_the_bound_literal_not_the_whole_call(tmp_path: Path) -> None:
    """A credential rule (bandit B106) flags a whole call: only the password literal is
    learnt, not the phone number, the URL and the flags around it (which were then masked
    wherever they appeared)."""
    pw = _r(9) + "3"
    src = (
        "notify = Notify(\n"
        f'    password="{pw}",\n'
        '    targets="16134442222",\n'
        '    host="localhost:8080/room",\n'
        '    flags="verify=False",\n'
        ")\n"
    )
    (tmp_path / "n.py").write_text(src)
    f = Finding(
        "bandit",
        "B106",
        "Possible hardcoded password",
        "Possible hardcoded password",
        Severity.LOW,
        FindingKind.CODE,
        Location("n.py", 1, 6, snippet=src),
        cwe=(259,),
    )
    r = Redactor(tmp_path)
    masked = r.finding(f).location.snippet or ""
    assert pw not in masked and MASK_PREFIX in masked
    for kept in ("16134442222", "localhost:8080/room", "verify=False"):
        assert kept in masked
        assert r.text(f"call {kept}") == f"call {kept}"


def test_a_random_letters_only_key_bound_to_a_name_is_masked() -> None:
    """Precision must not cost recall: a 40-character key without a digit is no identifier
    (was missed before: `_IDENTIFIER` took any run of letters for a name)."""
    rng = random.Random(7)
    key = "".join(rng.choice(string.ascii_letters) for _ in range(40))
    text = f'client.connect(token="{key}")'
    masked = Redactor().text(text)
    assert not [p for p in pieces(key) if p.lower() in masked.lower()]


OSV = Path(__file__).resolve().parents[1] / "data" / "osv"


def _normal(saved_text: str) -> str:
    """The results file without what differs between two runs by nature: times, durations
    and whether a run was served from the cache."""
    data = json.loads(saved_text)["result"]
    for k in ("started_at", "finished_at"):
        data.pop(k, None)
    for run in data["runs"]:
        run.pop("duration_s", None)
        run.pop("cached", None)
    return json.dumps(data, sort_keys=True, indent=1)


@pytest.mark.integration
def test_the_same_tree_is_masked_byte_for_byte_alike_cold_and_warm(tmp_path: Path) -> None:
    """Every credential format in several contexts, real-project shapes (a Helm template, a
    Dockerfile, test URLs with passwords) and names holding tokens, scanned twice with one
    cache: every text and name of the second (warm) results file equals the first's. Was:
    cache entries kept texts masked with whatever other scanners had taught so far, and the
    final pass met cached texts in another order."""
    root, cache = tmp_path / "repo", tmp_path / "cache"
    root.mkdir()
    creds = formats(random.Random(20261207))
    contexts = ("python-call", "yaml", "dotenv", "dockerfile", "flagged-line", "markdown")
    for c in creds:
        for name in contexts:
            filename, render = CONTEXTS[name]
            rel = root / c.kind / name / filename
            rel.parent.mkdir(parents=True, exist_ok=True)
            rel.write_text(render(c), encoding="utf-8")
    (root / "chart" / "templates").mkdir(parents=True)
    (root / "chart" / "templates" / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Values.name }}\n"
        "data:\n  password: {{ .Values.password | b64enc }}\n"
    )
    (root / "tests").mkdir()
    (root / "tests" / "test_urls.py").write_text(
        "import subprocess\n\n\n"
        "def test_url():\n"
        f'    url = "json://user:{_r(8)}7@localhost:8080/room/?to=sub1,sub2"\n'
        '    assert url.kind == "telegram"\n'
        "    subprocess.call(url, shell=True)\n"
    )
    (root / "app").mkdir()
    (root / "app" / ("gl" + "pat-" + _r(20) + ".py")).write_text(
        "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
    )
    shutil.copytree(OSV, tmp_path / "osv")
    config = Config()
    scanners = ["bandit", "semgrep", "iac", "secrets"]
    cold = scan(root, config, scanner_names=scanners, cache_dir=cache)
    warm = scan(root, config, scanner_names=scanners, cache_dir=cache)
    assert any(r.cached for r in warm.runs)  # the second run was served from the cache
    a, b = _normal(results.dumps(cold)), _normal(results.dumps(warm))
    assert a == b
    assert MASK_PREFIX in a


def _message_finding(path: str, message: str) -> Finding:
    return Finding(
        "pip-audit",
        "PYSEC-0",
        "title",
        message,
        Severity.HIGH,
        FindingKind.DEPENDENCY,
        Location(path),
    )


@pytest.mark.parametrize("first", ["bare", "bound"])
def test_the_final_pass_does_not_depend_on_the_order_texts_are_met(first: str) -> None:
    """A value a tool prints bound to a secret-like name in one text and bare in another:
    masked in both, whichever the final pass meets first (a warm run meets cached runs
    first). Was: met bare first, it was kept in full."""
    from datetime import UTC, datetime

    from secscan.model.findings import RunStatus, ScannerRun, ScanResult

    pw = "Hunter2-Prod!" + _r(3)
    bare = _message_finding("requirements.txt", f"login as deploy with {pw} refused")
    bound = _message_finding("requirements.txt", f"index config: password={pw}")
    runs = [
        ScannerRun("a", FindingKind.DEPENDENCY, RunStatus.OK, findings=(bare,)),
        ScannerRun("b", FindingKind.DEPENDENCY, RunStatus.OK, findings=(bound,)),
    ]
    if first == "bound":
        runs.reverse()
    result = ScanResult(
        root="/r",
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        secscan_version="t",
        runs=tuple(runs),
    )
    out = results.dumps(Redactor().result(result))
    assert not [p for p in pieces(pw) if p.lower() in out.lower()]


def test_names_that_choose_a_credential_kind_and_version_pins_are_not_secrets() -> None:
    """zenml 0.70.0: `authType: OAUTH2_PASSWORD_BEARER` (Helm values), `auth_method=
    "oauth2-token"`, `"ed25519-key"`, and a tool's `passlib: ~1.7.4` were masked."""
    for text in (
        "    authType: OAUTH2_PASSWORD_BEARER",
        'connector = Connector(auth_method="oauth2-token")',
        "token_url: https://auth.example.com/oauth2/token2",
        "tokenizer: gpt2-medium",
        "secretName: db-secret-v2",
        "passlib: ~1.7.4",
        "google-cloud-secret-manager: >=2.12.5",
    ):
        assert Redactor().text(text) == text, text
    pw = _r(12) + "5"
    for text in (f"DB_PASS={pw}", f"clientSecret: {pw}", f"password_hash = '{pw}'"):
        assert pw not in Redactor().text(text), text


def test_an_enum_member_whose_value_repeats_its_name_is_not_a_secret() -> None:
    """zenml 0.70.0 `OAUTH2_TOKEN = "oauth2-token"`, `ED25519_KEY_OPTIONAL_PASSPHRASE =
    "ed25519-key"`, `OAUTH2_PASSWORD_BEARER = "OAUTH2_PASSWORD_BEARER"`."""
    pw = _r(9) + "4"
    src = (
        "class AuthMethods(StrEnum):\n"
        '    OAUTH2_TOKEN = "oauth2-token"\n'
        '    ED25519_KEY_OPTIONAL_PASSPHRASE = "ed25519-key"\n'
        '    OAUTH2_PASSWORD_BEARER = "OAUTH2_PASSWORD_BEARER"\n'
        f'    password = "{pw}"\n'
    )
    assert [src[s.start : s.end] for s in find_python(src)] == [pw]


def test_a_credential_rule_on_an_enum_member_teaches_nothing(tmp_path: Path) -> None:
    """bandit B105 flags `OAUTH2_TOKEN = "oauth2-token"` (a name holding `TOKEN`): the
    literal repeats its name, so it is not learnt and `oauth2-token` stays readable in the
    other 6 texts that named it on zenml 0.70.0. (The title, where bandit itself calls it a
    password, masks it: `hunter2-prod` has the same shape.)"""
    src = 'class AuthMethods:\n    OAUTH2_TOKEN = "oauth2-token"\n'
    (tmp_path / "m.py").write_text(src)
    f = Finding(
        "bandit",
        "B105",
        "Possible hardcoded password: 'oauth2-token'",
        "Possible hardcoded password: 'oauth2-token'",
        Severity.LOW,
        FindingKind.CODE,
        Location("m.py", 2, 2, snippet='    OAUTH2_TOKEN = "oauth2-token"'),
        cwe=(259,),
    )
    r = Redactor(tmp_path)
    assert r.finding(f).location == f.location
    assert r.text('auth_method: "oauth2-token"') == 'auth_method: "oauth2-token"'


def test_numbers_and_path_names_around_a_token_are_not_masked(tmp_path: Path) -> None:
    """apprise 1.9.0: a bot token `123456789:…` taught `12345678`, and `123456789` was
    masked as a chat id elsewhere; a token in a URL path took `/sendMessage` with it."""
    secret = _r(20) + "7Qz4"
    r = _learnt(tmp_path, "t.py", f'url = "tgram://123456789:{secret}/"\n')
    assert r.text("chat_id = 123456789") == "chat_id = 123456789"
    assert secret not in r.text(f"POST /bot123456789:{secret}/x")
    token = "AABCxy" + _r(24) + "12345678U"
    masked = Redactor().text(f"https://api.example.org/bot{token}/sendMessage")
    assert token not in masked and masked.endswith("]/sendMessage")


def test_a_word_shaped_password_is_masked_where_bound_and_spread_only_from_files(
    tmp_path: Path,
) -> None:
    """`hunter2-prod` in bandit's title is masked there, but a tool's text does not teach
    it (zenml: an enum value); bound to `DB_PASSWORD` in a file, it is learnt and masked
    bare elsewhere."""
    r = Redactor()
    assert "hunter2-prod" not in r.text("Possible hardcoded password: 'hunter2-prod'")
    assert r.text("deploy to hunter2-prod cluster") == "deploy to hunter2-prod cluster"
    r = _learnt(tmp_path, ".env", "DB_PASSWORD=hunter2-prod\n")
    assert "hunter2-prod" not in r.text("login with hunter2-prod refused")


def test_django_shapes_templates_prose_bytes_and_header_names_are_not_secrets() -> None:
    """Django 4.2.16: a SQL template bound to a password name, `REASON_CSRF_TOKEN_MISSING =
    "CSRF token missing."`, `b'password'`, `"HTTP_X_CSRFTOKEN"`, a model name with short
    words (`CustomUserWithoutIsActiveField`) were masked."""
    for text in (
        "sql_alter_password = 'ALTER USER %(user)s IDENTIFIED BY \"%(password)s\"'",
        'REASON_CSRF_TOKEN_MISSING = "CSRF token missing."',
        "password = b'password'",
        'CSRF_TOKEN_HEADER = "HTTP_X_CSRFTOKEN"',
        "auth_user_model: CustomUserWithoutIsActiveField",
    ):
        assert Redactor().text(text) == text, text
    assert "sésame" not in Redactor().text("password = 'sésame'")


def test_a_quoted_upper_case_word_in_a_learnt_value_is_not_learnt(tmp_path: Path) -> None:
    """Django 4.2.16: a learnt value holding `"DEFAULT` masked `"default` in
    `render_to_string("default03", …)`."""
    r = _learnt(tmp_path, ".env", f'SECRET_KEY={_r(12)}7x"DEFAULT_{_r(10)}4q\n')
    line = 'render_to_string("default03", {"a": 1})'
    assert r.text(line) == line


def test_keys_that_are_no_secrets_and_constant_names_are_not_masked() -> None:
    """apprise 1.9.0 `payload['Idempotency-Key'] == 'abcd-part01'`; zenml's bandit title
    `Possible hardcoded password: 'OAUTH2_PASSWORD_BEARER'` (an enum value)."""
    for text in (
        "    assert payload['Idempotency-Key'] == 'abcd-part01'",
        "primary_key: user-id2",
        "Possible hardcoded password: 'OAUTH2_PASSWORD_BEARER'",
    ):
        assert Redactor().text(text) == text, text
    key = _r(14) + "8"
    assert key not in Redactor().text(f"signing_key: {key}")
