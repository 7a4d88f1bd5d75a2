"""Vulnerable Shop: a small Flask storefront (deliberately insecure demo app).

DO NOT DEPLOY. Every flaw in this package is planted on purpose and marked
with a ``# FLAW <id>:`` comment; ``flaws.yaml`` lists them all.
"""

import os

from flask import Flask

from . import admin, auth, db, integrations, reports, uploads, views
from .config import get_config


def create_app(config_name=None):
    """Application factory used by ``wsgi.py``, gunicorn and the test-suite."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(get_config(config_name or os.environ.get("SHOP_ENV", "development")))
    app.config.from_pyfile("local.cfg", silent=True)

    os.makedirs(app.instance_path, exist_ok=True)
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)

    db.init_app(app)

    app.register_blueprint(views.bp)
    app.register_blueprint(auth.bp, url_prefix="/account")
    app.register_blueprint(uploads.bp, url_prefix="/files")
    app.register_blueprint(reports.bp, url_prefix="/reports")
    app.register_blueprint(integrations.bp, url_prefix="/integrations")
    app.register_blueprint(admin.bp, url_prefix="/admin")

    views.register_error_handlers(app)
    return app
