# Test cases for policies/semgrep/python/code-injection.yaml (secscan rule pack).
import ast
import builtins
import json


def price(formula, product):
    # ruleid: python-eval-injection
    return eval(formula, {"price": product["price_cents"]})


def calc(request):
    # ruleid: python-eval-injection
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
