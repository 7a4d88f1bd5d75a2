# Test cases for policies/semgrep/python/weak-random-token.yaml (secscan rule pack).
import random
import secrets

import flask
from flask import make_response


def remember_me():
    num = random.random()
    # ruleid: python-insecure-random-token
    remember_me_key = str(num)
    resp = make_response("ok")
    # ruleid: python-insecure-random-token
    resp.set_cookie("rememberMe", remember_me_key, secure=True, httponly=True)
    # ruleid: python-insecure-random-token
    flask.session["rememberMe"] = remember_me_key
    return resp


def reset_link():
    # ruleid: python-insecure-random-token
    token = "%08x" % random.getrandbits(32)
    return token


def strong():
    value = secrets.token_urlsafe(16)
    resp = make_response("ok")
    # ok: python-insecure-random-token
    resp.set_cookie("rememberMe", value, secure=True, httponly=True)
    return resp


def system_random():
    # ok: python-insecure-random-token
    token = str(random.SystemRandom().random())
    return token


def sampling():
    # ok: python-insecure-random-token
    delay = random.uniform(0.1, 0.5)
    return delay


def dead_branch():
    num = 106
    weak = str(random.random())
    key = secrets.token_hex(8) if (7 * 18) + num > 200 else weak
    resp = make_response("ok")
    # ok: python-insecure-random-token
    resp.set_cookie("rememberMe", key, secure=True, httponly=True)
    return resp
