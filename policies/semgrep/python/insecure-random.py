# Test cases for policies/semgrep/python/insecure-random.yaml (secscan rule pack).
import random
import secrets
import string


def new_reset_token():
    # ruleid: python-insecure-random-secret
    reset_token = "".join(random.choice(string.ascii_letters) for _ in range(32))
    return reset_token


def new_otp(session):
    # ruleid: python-insecure-random-secret
    session["otp"] = str(random.randint(100000, 999999))


def new_password():
    # ruleid: python-insecure-random-secret
    password = "".join(random.choices(string.ascii_letters + string.digits, k=16))
    return password


def new_token_ok():
    # ok: python-insecure-random-secret
    token = secrets.token_urlsafe(32)
    return token


def featured(products):
    # ok: python-insecure-random-secret
    picks = random.sample(products, k=min(4, len(products)))
    return picks


def jitter():
    # ok: python-insecure-random-secret
    delay = random.uniform(0.5, 1.5)
    return delay


def shard(items):
    # ok: python-insecure-random-secret
    sort_key = random.random()
    return sorted(items, key=lambda _: sort_key)
