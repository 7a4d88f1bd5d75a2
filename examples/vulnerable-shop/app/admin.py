"""Back-office pages for shop staff: dashboard and bulk price changes."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from . import db
from .auth import admin_required

bp = Blueprint("admin", __name__)


@bp.route("/")
@admin_required
def dashboard():
    return render_template("admin.html", products=db.list_featured(limit=50))


@bp.route("/prices", methods=("POST",))
@admin_required
def bulk_price_update():
    """Apply a pricing formula such as ``price * 0.9`` to the selected products."""
    formula = request.form["formula"]
    changed = 0
    for product_id in request.form.getlist("product"):
        product = db.get_product(int(product_id))
        # FLAW eval: pricing formula from the form is evaluated as Python code
        new_price = eval(formula, {"price": product["price_cents"]})
        db.update_price(product["id"], int(new_price))
        changed += 1
    flash(f"Updated {changed} prices.")
    return redirect(url_for("admin.dashboard"))
