# Test cases for policies/semgrep/python/xss.yaml (secscan rule pack).
import base64
import hashlib
import html
import json
import subprocess
from http.server import BaseHTTPRequestHandler

import django.http
import fastapi
import fastapi.responses
import flask
import markupsafe
from aiohttp import web
from django.utils.safestring import mark_safe
from flask import Flask, make_response, render_template, request
from starlette.responses import HTMLResponse

app = Flask(__name__)


@app.route("/hello")
def hello():
    name = request.args.get("name", "")
    # ruleid: python-xss-request-data
    return "<p>Hello " + name + "</p>"


@app.route("/greet")
def greet():
    name = request.form["name"]
    # ruleid: python-xss-request-data
    resp = make_response(f"<h1>{name}</h1>")
    return resp


@app.route("/markup")
def markup():
    # ruleid: python-xss-request-data
    banner = markupsafe.Markup(request.args["banner"])
    return render_template("page.html", banner=banner)


def django_view(request):
    q = request.GET.get("q")
    # ruleid: python-xss-request-data
    return django.http.HttpResponse("<b>%s</b>" % q)


def django_safe_string(request):
    # ruleid: python-xss-request-data
    body = mark_safe(request.POST["body"])
    return render_template("x.html", body=body)


async def starlette_page(request):
    who = request.query_params["who"]
    # ruleid: python-xss-request-data
    return HTMLResponse(f"<p>{who}</p>")


async def aiohttp_page(request):
    who = request.match_info["who"]
    # ruleid: python-xss-request-data
    return web.Response(text="<p>" + who + "</p>", content_type="text/html")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        # ruleid: python-xss-request-data
        self.wfile.write(("<p>" + self.path + "</p>").encode())


@app.route("/list")
def listing():
    items = []
    items.append(request.args["item"])
    # ruleid: python-xss-request-data
    return "<li>" + "".join(items) + "</li>"


@app.route("/escaped")
def escaped():
    name = request.args.get("name", "")
    # ok: python-xss-request-data
    return "<p>Hello " + html.escape(name) + "</p>"


@app.route("/escaped2")
def escaped2():
    # ok: python-xss-request-data
    return make_response("<p>%s</p>" % markupsafe.escape(request.args["n"]))


@app.route("/template")
def template():
    # ok: python-xss-request-data
    return render_template("hello.html", name=request.args["name"])


@app.route("/json")
def as_json():
    # ok: python-xss-request-data
    return {"name": request.args["name"]}


@app.route("/jsonify")
def as_jsonify():
    # ok: python-xss-request-data
    return flask.jsonify(name=request.args["name"])


@app.route("/text")
def as_text():
    # ok: python-xss-request-data
    return flask.Response(request.args["name"], mimetype="text/plain")


@app.route("/dead")
def dead_branch():
    param = request.args.get("name", "")
    num = 106
    bar = "This should never happen" if (7 * 18) + num > 200 else param
    # ok: python-xss-request-data
    return "<p>" + bar + "</p>"


@app.route("/dead-if")
def dead_if():
    param = request.args.get("name", "")
    num = 86
    if (7 * 42) - num > 200:
        bar = "This_should_always_happen"
    else:
        bar = param
    # ok: python-xss-request-data
    return "<p>" + bar + "</p>"


@app.route("/overwritten")
def overwritten():
    bar = request.args.get("name", "")
    bar = "constant"
    # ok: python-xss-request-data
    return "<p>" + bar + "</p>"


@app.route("/dict-key")
def dict_key():
    param = request.args.get("name", "")
    m = {"keyA": "a_Value", "keyB": param}
    bar = m["keyA"]
    # ok: python-xss-request-data
    return "<p>" + bar + "</p>"


@app.route("/dict-key-vuln")
def dict_key_vuln():
    param = request.args.get("name", "")
    m = {"keyA": "a_Value", "keyB": param}
    bar = m["keyB"]
    # ruleid: python-xss-request-data
    return "<p>" + bar + "</p>"


@app.route("/list-first")
def list_first():
    parts = []
    parts.append("safe")
    parts.append(request.args.get("name", ""))
    bar = parts[0]
    # ok: python-xss-request-data
    return "<p>" + bar + "</p>"


@app.route("/list-joined")
def list_joined():
    parts = []
    parts.append("safe")
    parts.append(request.args.get("name", ""))
    bar = " ".join(parts)
    # ruleid: python-xss-request-data
    return "<p>" + bar + "</p>"


@app.route("/process-output")
def process_output():
    # ok: python-xss-request-data
    return subprocess.run(["echo", request.args["x"]], capture_output=True, check=False).stdout


api = fastapi.FastAPI()


def _token(req):
    return base64.b64encode(json.dumps(dict(req.cookies)).encode()).decode()


@api.get("/token")
async def token_page(request: fastapi.Request):
    # ok: python-xss-request-data
    return fastapi.responses.HTMLResponse("<p>" + _token(request) + "</p>")


@api.get("/token-b64")
async def token_b64(request: fastapi.Request):
    raw = request.cookies.get("session", "")
    # ok: python-xss-request-data
    return fastapi.responses.HTMLResponse("<p>" + base64.b64encode(raw.encode()).decode() + "</p>")


@api.get("/who")
async def who_page(request: fastapi.Request):
    who = request.query_params.get("who", "")
    # ruleid: python-xss-request-data
    return fastapi.responses.HTMLResponse("<p>" + who + "</p>")


@api.get("/agent")
async def agent_page(req: fastapi.Request):
    # ruleid: python-xss-request-data
    return fastapi.responses.HTMLResponse("<p>" + req.headers.get("user-agent", "") + "</p>")


@api.get("/here")
async def here_page(request: fastapi.Request):
    # ruleid: python-xss-request-data
    return fastapi.responses.HTMLResponse(f"<a href='{request.url}'>here</a>")


@api.get("/logs")
async def logs_page(request: fastapi.Request):
    stream_url = request.url.include_query_params(format="plain")
    # ok: python-xss-request-data
    return fastapi.responses.HTMLResponse(f"<script>fetch('{stream_url}')</script>")


@api.get("/logs/{name}")
async def logs_named(request: fastapi.Request, name: str):
    stream_url = request.url.include_query_params(format="plain")
    # ruleid: python-xss-request-data
    return fastapi.responses.HTMLResponse(f"<script>fetch('{stream_url}')</script>")


@api.get("/echo")
async def echo_page(q: str):
    # ruleid: python-xss-request-data
    return fastapi.responses.HTMLResponse("<p>" + q + "</p>")


@app.route("/digest")
def digest():
    name = request.args.get("name", "")
    # ok: python-xss-request-data
    return "<p>" + hashlib.sha256(name.encode()).hexdigest() + "</p>"


class Fake:
    def __init__(self, text):
        self.text = text

    def hexdigest(self):
        return self.text


@app.route("/fake-digest")
def fake_digest():
    name = request.args.get("name", "")
    # ruleid: python-xss-request-data
    return "<p>" + Fake(name).hexdigest() + "</p>"


@api.post("/upload")
async def upload(upload_id: str, request: fastapi.Request):
    missing = await _store(upload_id, request)
    # ok: python-xss-request-data
    return missing


@api.get("/page", response_class=fastapi.responses.HTMLResponse)
async def page(q: str):
    # ruleid: python-xss-request-data
    return "<p>" + q + "</p>"


router = fastapi.APIRouter()


@router.get("/items")
async def items(q: str):
    listing = [q]
    # ok: python-xss-request-data
    return listing


html_api = fastapi.FastAPI(default_response_class=fastapi.responses.HTMLResponse)


@html_api.get("/hello")
async def html_hello(q: str):
    # ruleid: python-xss-request-data
    return "<p>" + q + "</p>"


@html_api.get("/data", response_class=fastapi.responses.JSONResponse)
async def html_api_json(q: str):
    # ok: python-xss-request-data
    return q


@api.get("/dead")
async def dead_branch(q: str, request: fastapi.Request):
    shown = q
    shown = "static"
    # ok: python-xss-request-data
    return fastapi.responses.HTMLResponse("<p>" + shown + "</p>")


@app.route("/list-popped")
def list_popped():
    lst = []
    lst.append("safe")
    lst.append(request.args.get("name", ""))
    lst.append("moresafe")
    lst.pop(0)
    bar = lst[1]
    # ok: python-xss-request-data
    return "<p>" + bar + "</p>"


@app.route("/list-popped-head")
def list_popped_head():
    lst = ["safe", request.args.get("name", ""), "moresafe"]
    lst.pop(0)
    bar = lst[0]
    # ruleid: python-xss-request-data
    return "<p>" + bar + "</p>"


@app.route("/list-popped-inserted")
def list_popped_inserted():
    lst = ["safe", request.args.get("name", ""), "moresafe"]
    lst.pop(0)
    lst.insert(0, "x")
    bar = lst[1]
    # ruleid: python-xss-request-data
    return "<p>" + bar + "</p>"


@app.route("/list-popped-deleted")
def list_popped_deleted():
    lst = ["safe", request.args.get("name", ""), "moresafe"]
    lst.pop(0)
    del lst[1]
    lst.append(request.args.get("other", ""))
    bar = lst[1]
    # ruleid: python-xss-request-data
    return "<p>" + bar + "</p>"
