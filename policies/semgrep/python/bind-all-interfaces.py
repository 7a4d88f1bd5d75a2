# Test cases for policies/semgrep/python/bind-all-interfaces.yaml (secscan rule pack).
import http.server
import socket

import uvicorn
from flask import Flask

app = Flask(__name__)


def flask_public():
    # ruleid: python-bind-all-interfaces
    app.run(host="0.0.0.0", port=5000)


def uvicorn_public():
    # ruleid: python-bind-all-interfaces
    uvicorn.run("app:api", host="0.0.0.0", port=8000)


def socket_public():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # ruleid: python-bind-all-interfaces
    s.bind(("0.0.0.0", 9000))
    return s


def http_server_public():
    # ruleid: python-bind-all-interfaces
    return http.server.HTTPServer(("", 8080), http.server.SimpleHTTPRequestHandler)


def flask_local():
    # ok: python-bind-all-interfaces
    app.run(host="127.0.0.1", port=5000)


def socket_local():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # ok: python-bind-all-interfaces
    s.bind(("127.0.0.1", 9000))
    return s


def configured(cfg):
    # ok: python-bind-all-interfaces
    app.run(host=cfg.listen_host, port=cfg.port)


def lookup(table):
    # ok: python-bind-all-interfaces
    return table.get(("", 0))
