"""Entry point: ``gunicorn wsgi:app`` in the container, ``python wsgi.py`` locally."""

from flask import Flask

from app import create_app

app: Flask = create_app()

if __name__ == "__main__":
    # FLAW debug-mode: Werkzeug debugger enabled and bound to every interface
    app.run(debug=True, host="0.0.0.0", port=5000)
