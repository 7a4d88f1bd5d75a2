# Test cases for policies/semgrep/python/template-injection.yaml (secscan rule pack).
import jinja2
from flask import render_template, render_template_string, request
from jinja2 import Environment, FileSystemLoader, Template, select_autoescape
from mako.template import Template as MakoTemplate

GREETING = "<h1>Hello {{ name }}</h1>"


def greet(name):
    # ruleid: python-jinja2-template-injection
    return Template("<h1>Hello " + name + "</h1>").render()


def from_string(user_template):
    env = Environment(loader=FileSystemLoader("templates"), autoescape=select_autoescape())
    # ruleid: python-jinja2-template-injection
    return env.from_string(user_template).render(items=[])


def flask_env(app, user_template):
    # ruleid: python-jinja2-template-injection
    return app.jinja_env.from_string(user_template).render()


def not_jinja(PackageURL, purl_text):
    # ok: python-jinja2-template-injection
    return PackageURL.from_string(purl_text)


def mako(text):
    # ruleid: python-jinja2-template-injection
    return MakoTemplate(text).render()


def greet_ok(name):
    # ok: python-jinja2-template-injection
    return Template("<h1>Hello {{ name }}</h1>").render(name=name)


def greet_constant_ok(name):
    # ok: python-jinja2-template-injection
    return jinja2.Template(GREETING).render(name=name)


def page_not_found(error):
    # ruleid: python-flask-render-template-string-injection
    body = render_template_string(
        # ruleid: python-template-injection-request-data
        "{% extends 'base.html' %}{% block content %}<h1>Sorry, " + request.path
        + " does not exist.</h1>{% endblock %}"
    )
    return body, 404


def hello():
    name = request.args.get("name", "")
    # ruleid: python-flask-render-template-string-injection, python-template-injection-request-data
    return render_template_string(f"<p>Hello {name}</p>")


def hello_ok():
    # ok: python-flask-render-template-string-injection
    return render_template_string("<p>Hello {{ name }}</p>", name=request.args.get("name"))


def hello_file_ok():
    # ok: python-flask-render-template-string-injection
    return render_template("hello.html", name=request.args.get("name"))


def make_env_explicit_off():
    # ruleid: python-jinja2-autoescape-disabled
    return Environment(loader=FileSystemLoader("templates"), autoescape=False)


def make_env_default():
    # ruleid: python-jinja2-autoescape-disabled
    return jinja2.Environment(loader=FileSystemLoader("templates"))


def turn_off(env):
    # ruleid: python-jinja2-autoescape-disabled
    env.autoescape = False


def make_env_ok():
    # ok: python-jinja2-autoescape-disabled
    return Environment(loader=FileSystemLoader("templates"), autoescape=select_autoescape())


def make_env_true_ok():
    # ok: python-jinja2-autoescape-disabled
    return jinja2.Environment(autoescape=True)


def make_env_from_options_ok(options):
    # ok: python-jinja2-autoescape-disabled
    return jinja2.Environment(**options)


# --- with a traced source -------------------------------------------------------------------
import flask as _flask


def greet_page():
    name = _flask.request.args.get("name", "")
    # ruleid: python-template-injection-request-data, python-flask-render-template-string-injection
    return _flask.render_template_string("<h1>Hello " + name + "</h1>")


def greet_safely():
    name = _flask.request.args.get("name", "")
    # ok: python-template-injection-request-data, python-flask-render-template-string-injection
    return _flask.render_template_string("<h1>Hello {{ name }}</h1>", name=name)


class TemplateLoader:
    def load(self, environment, source):
        # jinja2's own Environment.from_string: the engine compiles the source it was given.
        # ruleid: python-jinja2-template-injection
        return environment.jinja_env.from_string(source)  # ok: python-template-injection-request-data


# --- dead branches and overwritten values (constant propagation folds the condition) --------


def dead_ternary_python_template_injection_request_data():
    param = request.args.get("v", "")
    num = 106
    bar = "safe" if (7 * 18) + num > 200 else param
    # ruleid: python-flask-render-template-string-injection
    return render_template_string(bar)  # ok: python-template-injection-request-data


def dead_if_python_template_injection_request_data():
    param = request.args.get("v", "")
    num = 86
    if (7 * 42) - num > 200:
        bar = "This_should_always_happen"
    else:
        bar = param
    # ruleid: python-flask-render-template-string-injection
    return render_template_string(bar)  # ok: python-template-injection-request-data


def dict_key_python_template_injection_request_data():
    param = request.args.get("v", "")
    values = {"keyA": "a_Value", "keyB": param}
    bar = values["keyA"]
    # ruleid: python-flask-render-template-string-injection
    return render_template_string(bar)  # ok: python-template-injection-request-data


def live_branch_python_template_injection_request_data():
    param = request.args.get("v", "")
    num = 106
    bar = "safe" if (7 * 18) + num < 200 else param
    # ruleid: python-template-injection-request-data, python-flask-render-template-string-injection
    return render_template_string(bar)
