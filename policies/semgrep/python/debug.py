# Test cases for policies/semgrep/python/debug.yaml (secscan rule pack).
import os

from flask import Flask
from werkzeug.serving import run_simple

# ruleid: python-django-debug-enabled
DEBUG = True

app = Flask(__name__)


class DevelopmentConfig:
    # ok: python-django-debug-enabled
    DEBUG = True


def settings_for_tests():
    # ok: python-django-debug-enabled
    DEBUG = True
    return DEBUG


# ok: python-django-debug-enabled
TEMPLATE_DEBUG = os.environ.get("TEMPLATE_DEBUG") == "1"


def configure():
    # ruleid: python-flask-debug-enabled
    app.config["DEBUG"] = True
    # ruleid: python-flask-debug-enabled
    app.debug = True
    # ok: python-flask-debug-enabled
    app.config["TESTING"] = True


def serve():
    # ruleid: python-flask-debug-enabled
    run_simple("127.0.0.1", 5000, app, use_debugger=True)


if __name__ == "__main__":
    # ruleid: python-flask-debug-enabled
    app.run(debug=True, host="127.0.0.1", port=5000)
    # ok: python-flask-debug-enabled
    app.run(debug=os.environ.get("FLASK_DEBUG") == "1")
    # ok: python-flask-debug-enabled
    app.run(host="127.0.0.1", port=5000)
