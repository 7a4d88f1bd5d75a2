"""Files: product image uploads, invoice downloads and the supplier XML feed import."""

import os

from flask import Blueprint, current_app, flash, redirect, request, send_file, url_for
from lxml import etree
from PIL import Image
from werkzeug.utils import secure_filename

from . import db
from .auth import admin_required, login_required

bp = Blueprint("files", __name__)

THUMBNAIL_SIZE = (320, 320)
ALLOWED_IMAGES = {".png", ".jpg", ".jpeg", ".gif"}


@bp.route("/images", methods=("POST",))
@admin_required
def upload_image():
    upload = request.files["image"]
    name = secure_filename(upload.filename)
    if os.path.splitext(name)[1].lower() not in ALLOWED_IMAGES:
        flash("Unsupported image type.")
        return redirect(request.referrer or url_for("shop.index"))
    target = os.path.join(current_app.config["UPLOAD_FOLDER"], name)
    upload.save(target)
    with Image.open(target) as img:
        img.thumbnail(THUMBNAIL_SIZE)
        img.save(target)
    return redirect(url_for("shop.index"))


@bp.route("/invoices/<path:filename>")
@login_required
def download_invoice(filename):
    # FLAW path-traversal: user-supplied file name joined onto the invoice folder unchecked
    path = os.path.join(current_app.config["INVOICE_FOLDER"], filename)
    return send_file(path, as_attachment=True)


@bp.route("/feeds/supplier", methods=("POST",))
@admin_required
def import_supplier_feed():
    """Suppliers upload their catalogue as XML; we upsert prices from it."""
    # FLAW xxe: parser resolves external entities in the uploaded XML
    parser = etree.XMLParser(resolve_entities=True, no_network=False)
    tree = etree.fromstring(request.files["feed"].read(), parser)
    updated = 0
    for item in tree.iter("item"):
        product = db.get_product(int(item.findtext("id")))
        if product is not None:
            db.update_price(product["id"], int(item.findtext("price_cents")))
            updated += 1
    flash(f"Updated {updated} prices from the supplier feed.")
    return redirect(url_for("admin.dashboard"))
