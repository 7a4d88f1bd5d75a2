"""Sales reports: CSV export, PDF rendering and saved report definitions."""

import csv
import subprocess
import tempfile

import yaml
from flask import Blueprint, current_app, request, send_file

from . import db
from .auth import admin_required

bp = Blueprint("reports", __name__)


@bp.route("/sales.csv")
@admin_required
def sales_csv():
    rows = db.orders_between(request.args["from"], request.args["to"])
    # FLAW mktemp: predictable temporary file name (race between name and open)
    path = tempfile.mktemp(suffix=".csv")
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["order", "created", "customer", "total_cents"])
        writer.writerows(tuple(row) for row in rows)
    return send_file(path, mimetype="text/csv", as_attachment=True)


@bp.route("/sales.pdf")
@admin_required
def sales_pdf():
    """Render the HTML sales page to PDF with wkhtmltopdf."""
    title = request.args.get("title", "Sales report")
    url = request.url_root + "reports/sales.html"
    out = current_app.config["INVOICE_FOLDER"] + "/sales.pdf"
    # FLAW cmdi: report title from the query string is interpolated into a shell command
    subprocess.check_call(f'wkhtmltopdf --title "{title}" {url} {out}', shell=True)
    return send_file(out, mimetype="application/pdf")


@bp.route("/definitions", methods=("POST",))
@admin_required
def import_definition():
    """Analysts paste saved report definitions (YAML) exported from the BI tool."""
    # FLAW yaml-load: request body parsed with the unsafe full YAML loader
    definition = yaml.load(request.get_data(), Loader=yaml.Loader)
    rows = db.orders_between(definition["from"], definition["to"])
    return {"name": definition.get("name", "report"), "orders": len(rows)}


def export_to_warehouse(csv_path):
    """Nightly job: push the CSV into the analytics warehouse with psql."""
    cfg = current_app.config
    dsn = f"host={cfg['WAREHOUSE_HOST']} user={cfg['WAREHOUSE_USER']} dbname=analytics"
    subprocess.run(
        ["psql", dsn, "-c", f"\\copy orders_staging FROM '{csv_path}' CSV HEADER"],
        env={"PGPASSWORD": cfg["WAREHOUSE_PASSWORD"]},
        check=True,
    )
