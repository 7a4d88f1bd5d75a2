# Test cases for policies/semgrep/python/code-injection.yaml (secscan rule pack).
import ast
import builtins
import json


def price(formula, product):
    # ruleid: python-eval-injection
    return eval(formula, {"price": product["price_cents"]})


def calc(request):
    # ruleid: python-eval-injection, python-eval-request-data
    return builtins.eval(request.args.get("expr"))


def parse_literal(text):
    # ok: python-eval-injection
    return ast.literal_eval(text)


def constant_eval():
    # ok: python-eval-injection
    return eval("1 + 2")


def model_eval(model):
    # ok: python-eval-injection
    model.eval()
    return json.loads("{}")


def run_snippet(source):
    # ruleid: python-exec-injection
    exec(source)


def run_compiled(source):
    # ruleid: python-exec-injection
    code = compile(source, "<plugin>", "exec")
    return code


def constant_exec():
    # ok: python-exec-injection
    exec("import this")


def expression_compile(expr):
    # ok: python-exec-injection
    return compile(expr, "<expr>", "eval")


def not_builtin(executor, job):
    # ok: python-exec-injection
    executor.exec(job)


# --- with a traced source -------------------------------------------------------------------
import os
import sys

import flask
from flask import request


def flask_calc():
    # ruleid: python-eval-request-data, python-eval-injection
    return eval(request.args.get("expr"))


def flask_run():
    code = flask.request.form["code"]
    # ruleid: python-eval-request-data, python-exec-injection
    exec(code)


async def aiohttp_calc(request):
    body = await request.json()
    # ruleid: python-eval-request-data, python-eval-injection
    return eval(body["expr"])


def django_view(request):
    # ruleid: python-eval-request-data, python-eval-injection
    return eval(request.GET["q"])


def literal_from_request():
    # ruleid: python-eval-injection
    return eval(repr(int(request.args["n"])))  # ok: python-eval-request-data


def template_compiler(source):
    # A template engine compiling its own generated code: no request data reaches it.
    # ruleid: python-exec-injection
    return compile(source, "<template>", "exec")  # ok: python-eval-request-data, python-eval-local-input


def cli_calc():
    # ruleid: python-eval-local-input, python-eval-injection
    return eval(sys.argv[1])


def env_calc():
    # ruleid: python-eval-local-input, python-eval-injection
    return eval(os.environ.get("FORMULA", "0"))


def interactive_startup():
    # flask shell runs the user's own PYTHONSTARTUP file: the feature, not an injection.
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup) as f:
            # ruleid: python-exec-injection
            eval(compile(f.read(), startup, "exec"), {})  # ok: python-eval-local-input, python-eval-request-data


def config_from_file(filename):
    with open(filename, "rb") as config_file:
        # Flask's Config.from_pyfile: the application's own settings file.
        # ruleid: python-exec-injection
        exec(compile(config_file.read(), filename, "exec"), {})  # ok: python-eval-request-data, python-eval-local-input


# The standard library's servers are request sources.
import socketserver  # noqa: E402


class CalcHandler(socketserver.StreamRequestHandler):
    def handle(self):
        expr = self.rfile.readline().decode()
        # ruleid: python-eval-injection, python-eval-request-data
        self.wfile.write(str(eval(expr)).encode())


# --- dead branches and overwritten values (constant propagation folds the condition) --------


def dead_ternary_python_eval_request_data():
    param = request.args.get("v", "")
    num = 106
    bar = "safe" if (7 * 18) + num > 200 else param
    # ruleid: python-eval-injection
    return eval(bar)  # ok: python-eval-request-data


def dead_if_python_eval_request_data():
    param = request.args.get("v", "")
    num = 86
    if (7 * 42) - num > 200:
        bar = "This_should_always_happen"
    else:
        bar = param
    # ruleid: python-eval-injection
    return eval(bar)  # ok: python-eval-request-data


def dict_key_python_eval_request_data():
    param = request.args.get("v", "")
    values = {"keyA": "a_Value", "keyB": param}
    bar = values["keyA"]
    # ruleid: python-eval-injection
    return eval(bar)  # ok: python-eval-request-data


def live_branch_python_eval_request_data():
    param = request.args.get("v", "")
    num = 106
    bar = "safe" if (7 * 18) + num < 200 else param
    # ruleid: python-eval-request-data, python-eval-injection
    return eval(bar)
