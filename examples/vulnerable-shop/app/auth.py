"""Customer accounts: registration, login and the login_required decorator."""

import functools
import hashlib

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from . import db

bp = Blueprint("auth", __name__)


def hash_password(password):
    # FLAW md5-password: unsalted MD5 used to hash customer passwords
    return hashlib.md5(password.encode("utf-8")).hexdigest()


def check_password(password, password_hash):
    return hash_password(password) == password_hash


def login_required(view):
    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.get("user") is None:
            return redirect(url_for("auth.login", next=request.path))
        return view(**kwargs)

    return wrapped


def admin_required(view):
    @functools.wraps(view)
    def wrapped(**kwargs):
        if g.get("user") is None or not g.user["is_admin"]:
            return redirect(url_for("auth.login", next=request.path))
        return view(**kwargs)

    return wrapped


@bp.before_app_request
def load_logged_in_user():
    email = session.get("email")
    g.user = db.find_user(email) if email else None


@bp.route("/register", methods=("GET", "POST"))
def register():
    if request.method == "POST":
        email = request.form["email"].strip().lower()
        password = request.form["password"]
        if len(password) < 8:
            flash("Password must be at least 8 characters.")
        elif db.find_user(email) is not None:
            flash("That e-mail address is already registered.")
        else:
            db.create_user(email, hash_password(password))
            session["email"] = email
            return redirect(url_for("shop.index"))
    return render_template("login.html", register=True)


@bp.route("/login", methods=("GET", "POST"))
def login():
    if request.method == "POST":
        user = db.find_user(request.form["email"].strip().lower())
        if user is None or not check_password(request.form["password"], user["password_hash"]):
            flash("Wrong e-mail address or password.")
        else:
            session.clear()
            session["email"] = user["email"]
            return redirect(request.args.get("next") or url_for("shop.index"))
    return render_template("login.html", register=False)


@bp.route("/logout")
def logout():
    session.clear()
    return redirect(url_for("shop.index"))
