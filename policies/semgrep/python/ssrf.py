# Test cases for policies/semgrep/python/ssrf.yaml (secscan rule pack).
import urllib.request

import httpx
import requests
from flask import Blueprint, jsonify, request

bp = Blueprint("integrations", __name__)


@bp.route("/webhooks/test", methods=("POST",))
def test_webhook():
    target = request.form["url"]
    # ruleid: python-ssrf-request-data
    resp = requests.get(target, timeout=5)
    return jsonify(status=resp.status_code)


@bp.route("/preview")
def preview():
    host = request.args.get("host")
    # ruleid: python-ssrf-request-data
    return urllib.request.urlopen("http://" + host + "/status").read()


@bp.route("/proxy/<path:target>")
def proxy(target):
    # ruleid: python-ssrf-request-data
    return httpx.get(url=f"https://{target}").text


@bp.post("/fetch")
def fetch_json():
    body = request.get_json()
    # ruleid: python-ssrf-request-data
    return requests.request("GET", body["url"], timeout=3).text


@bp.route("/search")
def search():
    # ok: python-ssrf-request-data
    resp = requests.get("https://api.example.com/search", params={"q": request.args["q"]}, timeout=5)
    return resp.text


@bp.route("/post")
def post_data():
    # ok: python-ssrf-request-data
    resp = requests.post("https://api.example.com/items", json=request.get_json(), timeout=5)
    return resp.text


def fetch_config(url):
    # ok: python-ssrf-request-data
    return requests.get(url, timeout=5).json()


# The standard library's servers are request sources.
from http.server import BaseHTTPRequestHandler  # noqa: E402


class ProxyHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        target = self.headers.get("X-Target")
        # ruleid: python-ssrf-request-data
        self.wfile.write(requests.get(target).content)


def wsgi_proxy(environ, start_response):
    url = environ.get("QUERY_STRING", "")
    start_response("200 OK", [])
    # ruleid: python-ssrf-request-data
    return [requests.get(url).content]


# --- dead branches and overwritten values (constant propagation folds the condition) --------


def dead_ternary_python_ssrf_request_data():
    param = request.args.get("v", "")
    num = 106
    bar = "safe" if (7 * 18) + num > 200 else param
    # ok: python-ssrf-request-data
    return requests.get(bar)


def dead_if_python_ssrf_request_data():
    param = request.args.get("v", "")
    num = 86
    if (7 * 42) - num > 200:
        bar = "This_should_always_happen"
    else:
        bar = param
    # ok: python-ssrf-request-data
    return requests.get(bar)


def dict_key_python_ssrf_request_data():
    param = request.args.get("v", "")
    values = {"keyA": "a_Value", "keyB": param}
    bar = values["keyA"]
    # ok: python-ssrf-request-data
    return requests.get(bar)


def live_branch_python_ssrf_request_data():
    param = request.args.get("v", "")
    num = 106
    bar = "safe" if (7 * 18) + num < 200 else param
    # ruleid: python-ssrf-request-data
    return requests.get(bar)
