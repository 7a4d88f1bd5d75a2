# Test cases for policies/semgrep/python/insecure-cookie.yaml (secscan rule pack).
from flask import make_response, request


def insecure():
    resp = make_response("ok")
    # ruleid: python-cookie-flags-disabled
    resp.set_cookie("SomeCookie", request.args["v"], secure=False, httponly=True, path="/")
    return resp


def script_readable(response):
    # ruleid: python-cookie-flags-disabled
    response.set_cookie("pref", "dark", secure=True, httponly=False)


def constant_flag(response):
    flag = False
    # ruleid: python-cookie-flags-disabled
    response.set_cookie("sid", "x", secure=flag, httponly=True)


def secure(response):
    # ok: python-cookie-flags-disabled, python-cookie-flags-missing
    response.set_cookie("SomeCookie", "v", secure=True, httponly=True, samesite="Lax")


def secure_from_setting(response, settings):
    # ok: python-cookie-flags-disabled, python-cookie-flags-missing
    response.set_cookie("sid", "v", secure=settings.SECURE, httponly=settings.HTTPONLY)


def constant_true(response):
    on = True
    # ok: python-cookie-flags-disabled
    response.set_cookie("sid", "x", secure=on, httponly=on)


def defaults(response):
    # ruleid: python-cookie-flags-missing
    response.set_cookie("session", "abc")


def half(response):
    # ruleid: python-cookie-flags-missing
    response.set_cookie("session", "abc", httponly=True)


def delete(response):
    # ok: python-cookie-flags-missing
    response.set_cookie("session", "", max_age=0)


def forwarded(response, **kwargs):
    # ok: python-cookie-flags-missing
    response.set_cookie("session", "abc", **kwargs)


def client_cookie_jar(jar, cookie):
    # ok: python-cookie-flags-missing, python-cookie-flags-disabled
    jar.set_cookie(cookie)
