# Test cases for policies/semgrep/python/path-traversal.yaml (secscan rule pack).
import os
import shutil

from flask import Blueprint, current_app, request, send_file, send_from_directory
from werkzeug.security import safe_join
from werkzeug.utils import secure_filename

bp = Blueprint("files", __name__)
BASE = "/srv/app/files"


@bp.route("/invoices/<path:filename>")
def download_invoice(filename):
    # ruleid: python-path-traversal-join
    path = os.path.join(current_app.config["INVOICE_FOLDER"], filename)
    # ok: python-flask-send-file-path-traversal
    return send_file(path, as_attachment=True)


@bp.route("/read")
def read_query():
    name = request.args.get("name")
    # ruleid: python-path-traversal-join
    with open(os.path.join(BASE, name)) as fh:
        return fh.read()


@bp.route("/upload", methods=("POST",))
def save_upload():
    upload = request.files["doc"]
    # ruleid: python-path-traversal-join
    target = os.path.join(BASE, "uploads", upload.filename)
    upload.save(target)
    return "ok"


@bp.route("/join-safe")
def join_safe():
    name = secure_filename(request.args.get("name", ""))
    # ok: python-path-traversal-join
    with open(os.path.join(BASE, name)) as fh:
        return fh.read()


@bp.route("/join-basename/<name>")
def join_basename(name):
    # ok: python-path-traversal-join
    return open(os.path.join(BASE, os.path.basename(name))).read()


def join_constant():
    # ok: python-path-traversal-join
    with open(os.path.join(BASE, "config.ini")) as fh:
        return fh.read()


@bp.route("/notes/<note>")
def read_param(note):
    path = BASE + "/" + note + ".txt"
    # ruleid: python-path-traversal-open
    return open(path, encoding="utf-8").read()


@bp.route("/raw")
def read_raw():
    # ruleid: python-path-traversal-open
    return open(request.args["path"]).read()


@bp.post("/purge")
def purge():
    # ruleid: python-path-traversal-open
    shutil.rmtree(BASE + "/" + request.form["folder"])
    return "ok"


@bp.route("/safe-join/<path:name>")
def read_safe_join(name):
    # ok: python-path-traversal-open
    return open(safe_join(BASE, name)).read()


@bp.route("/secure/<name>")
def read_secure(name):
    # ok: python-path-traversal-open
    return open(BASE + "/" + secure_filename(name)).read()


@bp.route("/export")
def export():
    # ruleid: python-flask-send-file-path-traversal
    return send_file(BASE + "/" + request.args["file"])


@bp.route("/attachment/<path:name>")
def attachment(name):
    # ruleid: python-flask-send-file-path-traversal
    return send_file(f"{BASE}/{name}")


@bp.route("/docs/<path:filename>")
def docs(filename):
    # ok: python-flask-send-file-path-traversal
    return send_from_directory(BASE, filename)


@bp.route("/report")
def report():
    # ok: python-flask-send-file-path-traversal
    return send_file(os.path.join(BASE, "report.pdf"))


@bp.route("/avatar/<user>")
def avatar(user):
    # ok: python-flask-send-file-path-traversal
    return send_file(BASE + "/" + secure_filename(user) + ".png")


# The standard library's servers are request sources.
from http.server import BaseHTTPRequestHandler  # noqa: E402


class FileHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        # ruleid: python-path-traversal-join
        with open(os.path.join("/srv/files", self.path.lstrip("/"))) as f:
            self.wfile.write(f.read().encode())

    def safe(self):
        # ok: python-path-traversal-join, python-path-traversal-open
        with open(os.path.join("/srv/files", os.path.basename(self.path))) as f:
            self.wfile.write(f.read().encode())


# --- dead branches and overwritten values (constant propagation folds the condition) --------


def dead_ternary_python_path_traversal_open():
    param = request.args.get("v", "")
    num = 106
    bar = "safe" if (7 * 18) + num > 200 else param
    # ok: python-path-traversal-open
    return open(bar)


def dead_if_python_path_traversal_open():
    param = request.args.get("v", "")
    num = 86
    if (7 * 42) - num > 200:
        bar = "This_should_always_happen"
    else:
        bar = param
    # ok: python-path-traversal-open
    return open(bar)


def dict_key_python_path_traversal_open():
    param = request.args.get("v", "")
    values = {"keyA": "a_Value", "keyB": param}
    bar = values["keyA"]
    # ok: python-path-traversal-open
    return open(bar)


def live_branch_python_path_traversal_open():
    param = request.args.get("v", "")
    num = 106
    bar = "safe" if (7 * 18) + num < 200 else param
    # ruleid: python-path-traversal-open
    return open(bar)
