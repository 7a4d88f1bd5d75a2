# Test cases for policies/semgrep/python/open-redirect.yaml (secscan rule pack).
from django.http import HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from flask import Blueprint, redirect, request, url_for

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=("POST",))
def login():
    # ruleid: python-open-redirect
    return redirect(request.args.get("next") or url_for("shop.index"))


@bp.route("/go")
def go():
    target = request.values["to"]
    # ruleid: python-open-redirect
    return redirect(target)


def django_view(request):
    # ruleid: python-open-redirect
    return HttpResponseRedirect(request.GET["next"])


@bp.route("/logout")
def logout():
    # ok: python-open-redirect
    return redirect(url_for("shop.index"))


@bp.route("/page")
def page():
    # ok: python-open-redirect
    return redirect(url_for("shop.page", number=request.args.get("n", 1)))


def django_checked(request):
    nxt = request.GET.get("next", "/")
    if url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        # ok: python-open-redirect
        return HttpResponseRedirect(nxt)
    return HttpResponseRedirect("/")


# --- dead branches and overwritten values (constant propagation folds the condition) --------


def dead_ternary_python_open_redirect():
    param = request.args.get("v", "")
    num = 106
    bar = "safe" if (7 * 18) + num > 200 else param
    # ok: python-open-redirect
    return redirect(bar)


def dead_if_python_open_redirect():
    param = request.args.get("v", "")
    num = 86
    if (7 * 42) - num > 200:
        bar = "This_should_always_happen"
    else:
        bar = param
    # ok: python-open-redirect
    return redirect(bar)


def dict_key_python_open_redirect():
    param = request.args.get("v", "")
    values = {"keyA": "a_Value", "keyB": param}
    bar = values["keyA"]
    # ok: python-open-redirect
    return redirect(bar)


def live_branch_python_open_redirect():
    param = request.args.get("v", "")
    num = 106
    bar = "safe" if (7 * 18) + num < 200 else param
    # ruleid: python-open-redirect
    return redirect(bar)


def django_set_language(request):
    next_url = request.POST.get("next", request.GET.get("next"))
    if not url_has_allowed_host_and_scheme(url=next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    # ok: python-open-redirect
    return HttpResponseRedirect(next_url)
