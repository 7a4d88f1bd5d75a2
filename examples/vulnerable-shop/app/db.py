"""SQLite access: one connection per request, plus the catalogue and order queries."""

import sqlite3

import click
from flask import current_app, g


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"], detect_types=sqlite3.PARSE_DECLTYPES)
        g.db.row_factory = sqlite3.Row
    return g.db


def close_db(exc=None):
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def init_db():
    conn = get_db()
    with current_app.open_resource("schema.sql") as fh:
        conn.executescript(fh.read().decode("utf-8"))


@click.command("init-db")
def init_db_command():
    """Create the tables (drops existing data)."""
    init_db()
    click.echo("Initialised the database.")


def init_app(app):
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)


# --- catalogue ---------------------------------------------------------------

def list_featured(limit=8):
    cur = get_db().execute(
        "SELECT id, name, price_cents, image FROM products WHERE featured = 1 LIMIT ?", (limit,)
    )
    return cur.fetchall()


def get_product(product_id):
    cur = get_db().execute("SELECT * FROM products WHERE id = ?", (product_id,))
    return cur.fetchone()


def search_products(term, sort="name"):
    cursor = get_db().cursor()
    # FLAW sqli: search term and sort column formatted straight into the SQL string
    cursor.execute(f"SELECT id, name, price_cents FROM products WHERE name LIKE '%{term}%' ORDER BY {sort}")
    return cursor.fetchall()


def update_price(product_id, price_cents):
    conn = get_db()
    conn.execute("UPDATE products SET price_cents = ? WHERE id = ?", (price_cents, product_id))
    conn.commit()


# --- users and orders ----------------------------------------------------------

def find_user(email):
    cur = get_db().execute("SELECT * FROM users WHERE email = ?", (email,))
    return cur.fetchone()


def create_user(email, password_hash):
    conn = get_db()
    conn.execute("INSERT INTO users (email, password_hash) VALUES (?, ?)", (email, password_hash))
    conn.commit()


def orders_between(start, end):
    cur = get_db().execute(
        "SELECT o.id, o.created, u.email, o.total_cents FROM orders o "
        "JOIN users u ON u.id = o.user_id WHERE o.created BETWEEN ? AND ? ORDER BY o.created",
        (start, end),
    )
    return cur.fetchall()
