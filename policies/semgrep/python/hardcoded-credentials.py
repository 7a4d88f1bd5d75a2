# Test cases for policies/semgrep/python/hardcoded-credentials.yaml (secscan rule pack).
# Every credential below is a made-up test value.
import enum
import os
import smtplib

import psycopg2
import redis
from sqlalchemy import create_engine


class Config:
    # ruleid: python-hardcoded-secret
    WAREHOUSE_PASSWORD = "Sh0p-W4rehouse!2019"
    # ruleid: python-hardcoded-secret
    SECRET_KEY = os.environ.get("SHOP_SECRET_KEY", "change-me")
    # ok: python-hardcoded-secret
    WAREHOUSE_PASSWORD_ENV = os.environ["WAREHOUSE_PASSWORD"]
    # ok: python-hardcoded-secret
    DB_PASSWORD = os.environ.get("DB_PASSWORD")
    # ok: python-hardcoded-secret
    PASSWORD_MIN_LENGTH = 12
    # ok: python-hardcoded-secret
    TOKEN_HEADER = "X-Auth-Token"


# ruleid: python-hardcoded-secret
GITHUB_TOKEN = "ghp_000000000000000000000000000000000000"
# ruleid: python-hardcoded-secret
STRIPE_API_KEY = "sk_test_0000000000000000"
# ruleid: python-hardcoded-secret
api_key: str = "0123456789abcdef"
# ok: python-hardcoded-secret
api_key_empty = ""
# ok: python-hardcoded-secret
password_hash_column = "password_hash"
# ok: python-hardcoded-secret
SMTP_PASSWORD = None

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        # ruleid: python-hardcoded-secret
        "PASSWORD": "hunter2",
        # ok: python-hardcoded-secret
        "USER": "shop",
    }
}


def configure(app):
    # ruleid: python-hardcoded-secret
    app.config["SECRET_KEY"] = "dev-secret-key-123"
    # ok: python-hardcoded-secret
    app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    # ok: python-hardcoded-secret
    app.config["DB_PASSWORD"] = "{password}"


# ruleid: python-hardcoded-secret
def connect_ftp(host, user="admin", password="ftp-pass-2020"):
    return host, user, password


def template(password):
    # ok: python-hardcoded-secret
    password_placeholder = "<your-password>"
    return password_placeholder


def db():
    # ruleid: python-hardcoded-password-argument
    return psycopg2.connect(host="db", user="shop", password="Sh0p-W4rehouse!2019")


def cache():
    # ruleid: python-hardcoded-password-argument
    return redis.Redis(host="cache", password="r3dis-pass")


def engine():
    # ruleid: python-hardcoded-password-argument
    return create_engine("postgresql://shop:s3cret@db.internal/shop")


def dsn():
    # ruleid: python-hardcoded-password-argument
    return psycopg2.connect("host=db user=shop password=s3cret dbname=shop")


def mail(user):
    server = smtplib.SMTP("smtp.example.com")
    # ruleid: python-hardcoded-password-argument
    server.login(user, "mail-pass-1")
    return server


def db_ok():
    # ok: python-hardcoded-password-argument
    return psycopg2.connect(host="db", user="shop", password=os.environ["DB_PASSWORD"])


def engine_ok():
    # ok: python-hardcoded-password-argument
    return create_engine(os.environ["DATABASE_URL"])


def engine_no_password_ok():
    # ok: python-hardcoded-password-argument
    return create_engine("postgresql://shop@db.internal/shop")


def mail_ok(user, password):
    server = smtplib.SMTP("smtp.example.com")
    # ok: python-hardcoded-password-argument
    server.login(user, password)
    return server


def dsn_ok(password):
    # ok: python-hardcoded-password-argument
    return psycopg2.connect("host=db user=shop password={} dbname=shop".format(password))


class Kind(enum.StrEnum):
    # ok: python-hardcoded-secret
    SECRET = "secret"
    # ok: python-hardcoded-secret
    PASS = "pass"


class Verdict:
    PASS = "pass"


# ok: python-hardcoded-secret
COLOURS = {Verdict.PASS: "green"}
# ruleid: python-hardcoded-secret
db_pass = "s3cret-pass"
# ok: python-hardcoded-secret
bypass = "maintenance"


# rich's emoji table and Django's session keys: names, not secrets
EMOJI = {
    # ok: python-hardcoded-secret
    "secret": "㊙",
}
# ok: python-hardcoded-secret
INTERNAL_RESET_SESSION_TOKEN = "_password_reset_token"
# ruleid: python-hardcoded-secret
DB_PASSWORD = "hunter2-prod"


def translate(tokens):
    # Django's template `if` parser: a lexer token, not a credential
    # ok: python-hardcoded-secret
    token = "not in"
    # ruleid: python-hardcoded-secret
    api_token = "tok-8f2a91c3d4"
    # Django's password-reset view: a URL path segment under a token's name
    # ok: python-hardcoded-secret
    reset_url_token = "set-password"
    # ruleid: python-hardcoded-secret
    refresh_token = "rotate-me-Xk29fq"
    # ruleid: python-hardcoded-secret
    admin_password = "correct-horse-battery"
    return token, api_token, reset_url_token, refresh_token, admin_password


# --- shapes found on real projects (benchmarks/precision.py, skypilot 0.14.1) ----------------
# the name of the environment variable that holds the key
# ok: python-hardcoded-secret
ENV_API_KEY = "MITHRIL_API_KEY"
# an OAuth grant type, not a token
# ok: python-hardcoded-secret
_REFRESH_TOKEN = "refresh_token"


def pod_vars():
    # a boolean rendered into a manifest
    # ok: python-hardcoded-secret
    return {"k8s_automount_sa_token": "true"}


def ray_config(config):
    # where the key file lives, not the key
    # ok: python-hardcoded-secret
    config["auth"]["ssh_private_key"] = "~/ray_bootstrap_key.pem"
    # ok: python-hardcoded-secret
    config["auth"]["private_key"] = "/etc/ssh/ssh_host_ed25519_key"
    return config


# a fixed cluster join token: every cluster built from this code shares it
# ruleid: python-hardcoded-secret
K3S_TOKEN = "mytoken"
# a generated-looking token keeps matching whatever its case
# ruleid: python-hardcoded-secret
SERVICE_TOKEN = "Q7mX2PkR9vTn4WzL"
# upper case with a digit and no underscore is not a variable name
# ruleid: python-hardcoded-secret
ADMIN_PASSWORD = "HUNTER2HUNTER2"
