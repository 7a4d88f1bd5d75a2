"""Storefront pages: home, search, product detail and the cookie-backed cart."""

import base64
import pickle
import random

from flask import (
    Blueprint,
    abort,
    make_response,
    redirect,
    render_template,
    render_template_string,
    request,
    url_for,
)

from . import db

bp = Blueprint("shop", __name__)

CART_COOKIE = "cart"


@bp.route("/")
def index():
    featured = list(db.list_featured())
    # Rotate which four featured items are shown so the home page does not go stale.
    products = random.sample(featured, k=min(4, len(featured)))
    return render_template("index.html", products=products)


@bp.route("/search")
def search():
    term = request.args.get("q", "")
    sort = request.args.get("sort", "name")
    results = db.search_products(term, sort) if term else []
    return render_template("search.html", term=term, results=results)


@bp.route("/product/<int:product_id>")
def product(product_id):
    item = db.get_product(product_id)
    if item is None:
        abort(404)
    return render_template("product.html", product=item)


# --- cart ----------------------------------------------------------------------

def load_cart():
    raw = request.cookies.get(CART_COOKIE)
    if not raw:
        return {}
    # FLAW pickle-cookie: cart cookie is unpickled without any signature check
    return pickle.loads(base64.b64decode(raw))


def save_cart(response, cart):
    response.set_cookie(CART_COOKIE, base64.b64encode(pickle.dumps(cart)).decode("ascii"))
    return response


@bp.route("/cart")
def cart():
    items = load_cart()
    products = [(db.get_product(pid), qty) for pid, qty in items.items()]
    total = sum(p["price_cents"] * qty for p, qty in products if p is not None)
    return render_template("cart.html", products=products, total=total)


@bp.route("/cart/add/<int:product_id>", methods=("POST",))
def add_to_cart(product_id):
    items = load_cart()
    items[product_id] = items.get(product_id, 0) + int(request.form.get("quantity", 1))
    return save_cart(make_response(redirect(url_for("shop.cart"))), items)


# --- error pages -----------------------------------------------------------------

def page_not_found(error):
    # FLAW ssti: the requested path is pasted into a template source and rendered
    body = render_template_string(
        "{% extends 'base.html' %}{% block content %}<h1>Sorry, " + request.path
        + " does not exist.</h1>{% endblock %}"
    )
    return body, 404


def register_error_handlers(app):
    app.register_error_handler(404, page_not_found)
