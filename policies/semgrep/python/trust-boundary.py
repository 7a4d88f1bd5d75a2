# Test cases for policies/semgrep/python/trust-boundary.yaml (secscan rule pack).
import flask
from flask import request, session


def flask_store():
    # ruleid: python-trust-boundary-session
    flask.session["userid"] = request.args["userid"]


def flask_store_name():
    role = request.form.get("role")
    # ruleid: python-trust-boundary-session
    session["role"] = role


def flask_key():
    # ruleid: python-trust-boundary-session
    session[request.args["key"]] = "on"


def django_store(request):
    # ruleid: python-trust-boundary-session
    request.session["cart"] = request.POST["cart"]


def constant_store():
    # ok: python-trust-boundary-session
    session["seen"] = True


def validated_number():
    # ok: python-trust-boundary-session
    session["page"] = int(request.args["page"])


def dead_branch():
    param = request.args["userid"]
    num = 106
    bar = "guest" if (7 * 18) + num > 200 else param
    # ok: python-trust-boundary-session
    flask.session["userid"] = bar


def overwritten():
    bar = request.args["userid"]
    bar = "guest"
    # ok: python-trust-boundary-session
    session["userid"] = bar
