"""Synthetic credentials of many formats and the contexts they are committed in.

Every value is random and built at test time from pieces (a public prefix and random
characters of the format's alphabet), so no credential-shaped literal is ever committed and
no push protection trips over the test suite. `secret` is the part that must never be
written anywhere; `text` is what is pasted into a file (a URL around a password, say).
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
UPPER = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"
#: Shortest piece of a value that must not appear anywhere.
PIECE = 8


@dataclass(frozen=True, slots=True)
class Credential:
    kind: str
    text: str  # what is committed
    secret: str  # the part of it that must never be shown
    multiline: bool = False


def _r(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _private_key(rng: random.Random, label: str) -> tuple[str, str]:
    body = base64.b64encode(rng.randbytes(360)).decode()
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    dash = "-" * 5
    return (
        f"{dash}BEGIN {label}PRIVATE KEY{dash}\n{lines}\n{dash}END {label}PRIVATE KEY{dash}",
        body,
    )


def _jwt(rng: random.Random) -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).decode().rstrip("=")

    header = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = part(json.dumps({"sub": _r(rng, ALNUM, 12), "n": _r(rng, ALNUM, 16)}).encode())
    return f"{header}.{payload}.{part(rng.randbytes(32))}"


def _quoted_password(rng: random.Random) -> str:
    # quotes of both kinds inside, so pairing quotes cannot find its ends
    return f"{_r(rng, ALNUM, 5)}'{_r(rng, ALNUM, 6)}\"{_r(rng, ALNUM, 5)}!{_r(rng, ALNUM, 4)}"


def formats(rng: random.Random) -> list[Credential]:
    """One credential of each format, random but shaped as the issuer shapes them."""
    out: list[Credential] = []

    def add(kind: str, text: str, secret: str | None = None) -> None:
        out.append(Credential(kind, text, secret if secret is not None else text, "\n" in text))

    add("aws-access-key-id", "AK" + "IA" + _r(rng, UPPER, 16))
    add("aws-secret-access-key", _r(rng, B64, 40))
    add("github-classic", "gh" + "p_" + _r(rng, ALNUM, 36))
    add("github-fine-grained", "github_" + "pat_" + _r(rng, ALNUM, 22) + "_" + _r(rng, ALNUM, 59))
    add("github-app", "gh" + "s_" + _r(rng, ALNUM, 36))
    add("gitlab-pat", "gl" + "pat-" + _r(rng, URLSAFE, 20))
    add(
        "slack-bot",
        "xo"
        + "xb-"
        + f"{_r(rng, string.digits, 12)}-{_r(rng, string.digits, 13)}-{_r(rng, ALNUM, 24)}",
    )
    add(
        "slack-user",
        "xo"
        + "xp-"
        + f"{_r(rng, string.digits, 12)}-{_r(rng, string.digits, 12)}-"
        + f"{_r(rng, string.digits, 13)}-{_r(rng, HEX, 32)}",
    )
    hook = f"T{_r(rng, UPPER, 10)}/B{_r(rng, UPPER, 10)}/{_r(rng, ALNUM, 24)}"
    add("slack-webhook", "https://hooks.slack.com/" + "services/" + hook, hook)
    add("stripe", "sk_" + "live_" + _r(rng, ALNUM, 24))
    add("google-api-key", "AI" + "za" + _r(rng, URLSAFE, 35))
    azure = base64.b64encode(rng.randbytes(64)).decode()
    add(
        "azure-storage-key",
        f"DefaultEndpointsProtocol=https;AccountName=store{_r(rng, string.digits, 4)};"
        f"AccountKey={azure};EndpointSuffix=core.windows.net",
        azure,
    )
    for kind, label in (
        ("rsa-private-key", "RSA "),
        ("ec-private-key", "EC "),
        ("openssh-private-key", "OPENSSH "),
    ):
        text, body = _private_key(rng, label)
        add(kind, text, body)
    add("jwt", _jwt(rng))
    add("npm", "np" + "m_" + _r(rng, ALNUM, 36))
    add("pypi", "py" + "pi-" + "AgEIcHlwaS5vcmc" + _r(rng, URLSAFE, 70))
    pw = _r(rng, ALNUM, 10) + "-" + _r(rng, ALNUM, 6)
    add("connection-string-password", f"postgresql://app:{pw}@db.internal:5432/orders", pw)
    pw2 = _r(rng, ALNUM, 14)
    add("url-password", f"https://deploy:{pw2}@git.internal/team/repo.git", pw2)
    add("quoted-password", _quoted_password(rng))
    return out


def _py_str(value: str) -> str:
    """A Python double-quoted literal for value (escapes quotes, newlines)."""
    return json.dumps(value)


def _one_line(c: Credential) -> str:
    return c.text.replace("\n", "\\n")


def _yaml_str(value: str) -> str:
    return json.dumps(value)  # JSON strings are YAML double-quoted scalars


def _name(c: Credential) -> str:
    return c.kind.upper().replace("-", "_")


#: context name -> (file name, how a credential is written in it)
Context = tuple[str, Callable[[Credential], str]]


def _python_call(c: Credential) -> str:
    return (
        "import requests\n\n\n"
        "def connect(client):\n"
        f'    return client.connect("db", 5432, "app", token={_py_str(c.text)}, timeout=3)\n'
    )


def _fstring(c: Credential) -> str:
    v = _one_line(c).replace("{", "{{").replace("}", "}}")
    v = v.replace("\\", "\\\\").replace('"', '\\"')
    return f'user = "app"\nheaders = {{"X-Auth": f"{{user}}:{v}"}}\n'


def _multiline(c: Credential) -> str:
    body = c.text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return f'SETTINGS = """\n[auth]\nname = app\nsecret = {body}\n"""\n'


def _yaml(c: Credential) -> str:
    if c.multiline:
        block = "\n".join("    " + line for line in c.text.splitlines())
        return f"service:\n  name: orders\n  signing_key: |\n{block}\n"
    return f"service:\n  name: orders\n  api_token: {_yaml_str(c.text)}\n"


def _json(c: Credential) -> str:
    return json.dumps({"name": "orders", "region": "eu", "api_token": c.text}, indent=2) + "\n"


def _env(c: Credential) -> str:
    return f"APP_NAME=orders\n{_name(c)}={_one_line(c)}\n"


def _terraform(c: Credential) -> str:
    v = _one_line(c).replace("\\n", "\\\\n").replace('"', '\\"')
    return (
        'resource "aws_db_instance" "orders" {\n'
        '  engine              = "postgres"\n'
        '  username            = "app"\n'
        f'  password            = "{v}"\n'
        "  publicly_accessible = true\n"
        "}\n"
    )


def _dockerfile(c: Credential) -> str:
    return (
        "FROM python:3.12\n"
        f"ENV {_name(c)}={_one_line(c)}\n"
        f'RUN curl -H "Authorization: Bearer {_one_line(c)}" http://get.internal/install | sh\n'
        f"{_one_line(c)}\n"
    )


def _kubernetes(c: Credential) -> str:
    return (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: orders\nspec:\n  containers:\n"
        "    - name: app\n      image: orders:latest\n      env:\n"
        f"        - name: {_name(c)}\n          value: {_yaml_str(_one_line(c))}\n"
    )


def _requirements(c: Credential) -> str:
    v = _one_line(c)
    return (
        "requests==2.19.0\n"
        f"orders @ https://pkgs.internal/orders-1.0-py3-none-any.whl?token={v}\n"
        f"{v}\n"
    )


def _markdown(c: Credential) -> str:
    if c.multiline:
        return f"# Setup\n\nThe deploy key:\n\n```\n{c.text}\n```\n"
    return (
        f"# Setup\n\nLog in with the token `{c.text}` and keep it safe.\n\n"
        f"export TOKEN={_one_line(c)}\n"
    )


def _flagged(c: Credential) -> str:
    # bandit B602 (shell=True) and B501 (verify=False) flag these lines for other reasons
    v = _py_str(_one_line(c))
    return (
        "import subprocess\n\nimport requests\n\n\n"
        "def deploy(url):\n"
        f'    subprocess.call("deploy --key " + {v}, shell=True)\n'
        f'    return requests.get(url, verify=False, headers={{"X-Token": {v}}})\n'
    )


CONTEXTS: dict[str, Context] = {
    "python-call": ("call.py", _python_call),
    "f-string": ("fstring.py", _fstring),
    "multi-line-string": ("multiline.py", _multiline),
    "yaml": ("values.yaml", _yaml),
    "json": ("settings.json", _json),
    "dotenv": (".env", _env),
    "terraform": ("main.tf", _terraform),
    "dockerfile": ("Dockerfile", _dockerfile),
    "kubernetes": ("pod.yaml", _kubernetes),
    "requirements": ("requirements.txt", _requirements),
    "markdown": ("README.md", _markdown),
    "flagged-line": ("deploy.py", _flagged),
}


def pieces(secret: str) -> set[str]:
    """Every 8-character window of a secret (lines of a multi-line one taken separately)."""
    out: set[str] = set()
    for line in secret.splitlines() or [secret]:
        out |= {line[i : i + PIECE] for i in range(len(line) - PIECE + 1)}
    return out
