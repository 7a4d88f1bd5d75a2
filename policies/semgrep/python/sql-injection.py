# Test cases for policies/semgrep/python/sql-injection.yaml (secscan rule pack).
import sqlite3

import pandas as pd
import sqlalchemy
from sqlalchemy import text


def by_percent(cursor, name):
    # ruleid: python-sql-injection-format
    cursor.execute("SELECT * FROM users WHERE name = '%s'" % name)


def by_format(conn, user_id):
    # ruleid: python-sql-injection-format
    conn.execute("DELETE FROM users WHERE id = {}".format(user_id))


def by_format_variable(cursor, table):
    query = "SELECT * FROM {} LIMIT 10".format(table)
    # ruleid: python-sql-injection-format
    cursor.execute(query)


def by_percent_pandas(conn, day):
    sql = "SELECT * FROM orders WHERE day = '%s'" % day
    # ruleid: python-sql-injection-format
    return pd.read_sql(sql, conn)


def by_percent_constant(cursor):
    # ok: python-sql-injection-format
    cursor.execute("SELECT * FROM %s" % "users")


def parameterised_percent(cursor, name):
    # ok: python-sql-injection-format
    cursor.execute("SELECT * FROM users WHERE name = %s", (name,))


def logging_format_is_fine(log, name):
    message = "user %s logged in" % name
    # ok: python-sql-injection-format
    log.info(message)


def search(cursor, term, sort):
    # ruleid: python-sql-injection-fstring
    cursor.execute(f"SELECT id FROM products WHERE name LIKE '%{term}%' ORDER BY {sort}")


def fstring_variable(conn, email):
    q = f"SELECT * FROM users WHERE email = '{email}'"
    q += " LIMIT 1"
    # ruleid: python-sql-injection-fstring
    return conn.execute(q).fetchone()


def fstring_many(cursor, table, rows):
    # ruleid: python-sql-injection-fstring
    cursor.executemany(f"INSERT INTO {table} VALUES (?, ?)", rows)


def fstring_params_only(cursor, email):
    # ok: python-sql-injection-fstring
    cursor.execute("SELECT * FROM users WHERE email = ?", (email,))


def fstring_not_sql(log, email):
    # ok: python-sql-injection-fstring
    log.execute_hook(f"user {email}")


def fstring_in_params_is_not_the_query(cursor, name):
    # ok: python-sql-injection-fstring
    cursor.execute("SELECT * FROM users WHERE name LIKE ?", (f"%{name}%",))


def concat(cursor, name):
    # ruleid: python-sql-injection-concat
    cursor.execute("SELECT * FROM users WHERE name = '" + name + "'")


def concat_variable(cursor, order_id):
    sql = "UPDATE orders SET paid = 1 WHERE id = " + str(order_id)
    # ruleid: python-sql-injection-concat
    cursor.execute(sql)


def concat_django(Model, where):
    # ruleid: python-sql-injection-concat
    return Model.objects.raw("SELECT * FROM app_model WHERE " + where)


def concat_constants(cursor):
    # ok: python-sql-injection-concat
    cursor.execute("SELECT id, name " + "FROM users")


def concat_parameterised(cursor, name):
    # ok: python-sql-injection-concat
    cursor.execute("SELECT * FROM users " + "WHERE name = ?", (name,))


def sa_fstring(session, name):
    # ruleid: python-sqlalchemy-text-injection
    return session.execute(text(f"SELECT * FROM users WHERE name = '{name}'"))


def sa_format(engine, col):
    # ruleid: python-sqlalchemy-text-injection
    stmt = sqlalchemy.text("SELECT {} FROM users".format(col))
    with engine.connect() as conn:
        # ok: python-sql-injection-format
        return conn.execute(stmt)


def sa_concat(conn, name):
    # ruleid: python-sqlalchemy-text-injection
    return conn.execute(sqlalchemy.text("SELECT * FROM users WHERE name = '" + name + "'"))


def sa_bound(session, name):
    # ok: python-sqlalchemy-text-injection
    return session.execute(text("SELECT * FROM users WHERE name = :name"), {"name": name})


def sa_bindparams(session, name):
    # ok: python-sqlalchemy-text-injection
    stmt = text("SELECT * FROM users WHERE name = :name").bindparams(name=name)
    return session.execute(stmt)


def sqlite_ok():
    conn = sqlite3.connect(":memory:")
    # ok: python-sql-injection-concat
    conn.execute("CREATE TABLE t (id INTEGER)")


# --- with a traced source -------------------------------------------------------------------
import flask
from flask import request as flask_request


def search_products(conn):
    term = flask.request.args["q"]
    # ruleid: python-sql-injection-request-data, python-sql-injection-fstring
    conn.execute(f"SELECT * FROM products WHERE name LIKE '%{term}%'")


def django_lookup(request, cursor):
    # ruleid: python-sql-injection-request-data, python-sql-injection-format
    cursor.execute("SELECT * FROM users WHERE id = %s" % request.GET["id"])


def bound_parameter(cursor):
    # ok: python-sql-injection-request-data, python-sql-injection-format, python-sql-injection-fstring
    cursor.execute("SELECT * FROM users WHERE name = %s", (flask_request.args["name"],))


def orm_internal(cursor, table, column):
    # An ORM quoting its own identifiers: no request data; audit only.
    # ruleid: python-sql-injection-format
    cursor.execute("SELECT %s FROM %s" % (column, table))  # ok: python-sql-injection-request-data


def numeric_id(cursor):
    user_id = int(flask.request.args["id"])
    # ruleid: python-sql-injection-fstring
    cursor.execute(f"SELECT * FROM users WHERE id = {user_id}")  # ok: python-sql-injection-request-data


# The standard library's servers are request sources.
from http.server import BaseHTTPRequestHandler  # noqa: E402


class LookupHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        name = self.path.split("?", 1)[-1]
        conn = sqlite3.connect("app.db")
        # ruleid: python-sql-injection-concat, python-sql-injection-request-data
        conn.execute("SELECT * FROM users WHERE name = '" + name + "'")

    def parameterised(self):
        conn = sqlite3.connect("app.db")
        # ok: python-sql-injection-request-data
        conn.execute("SELECT * FROM users WHERE name = ?", (self.path,))


def wsgi_app(environ, start_response):
    conn = sqlite3.connect("app.db")
    # ruleid: python-sql-injection-format, python-sql-injection-request-data
    conn.execute("DELETE FROM t WHERE id = %s" % environ["QUERY_STRING"])
    start_response("200 OK", [])
    return [b""]


# --- dead branches and overwritten values (constant propagation folds the condition) --------


def dead_ternary_python_sql_injection_request_data():
    param = flask_request.args.get("v", "")
    num = 106
    bar = "safe" if (7 * 18) + num > 200 else param
    # ruleid: python-sql-injection-concat
    return sqlite3.connect("db").execute("SELECT * FROM users WHERE name = '" + bar + "'")  # ok: python-sql-injection-request-data


def dead_if_python_sql_injection_request_data():
    param = flask_request.args.get("v", "")
    num = 86
    if (7 * 42) - num > 200:
        bar = "This_should_always_happen"
    else:
        bar = param
    # ruleid: python-sql-injection-concat
    return sqlite3.connect("db").execute("SELECT * FROM users WHERE name = '" + bar + "'")  # ok: python-sql-injection-request-data


def dict_key_python_sql_injection_request_data():
    param = flask_request.args.get("v", "")
    values = {"keyA": "a_Value", "keyB": param}
    bar = values["keyA"]
    # ruleid: python-sql-injection-concat
    return sqlite3.connect("db").execute("SELECT * FROM users WHERE name = '" + bar + "'")  # ok: python-sql-injection-request-data


def live_branch_python_sql_injection_request_data():
    param = flask_request.args.get("v", "")
    num = 106
    bar = "safe" if (7 * 18) + num < 200 else param
    # ruleid: python-sql-injection-request-data, python-sql-injection-concat
    return sqlite3.connect("db").execute("SELECT * FROM users WHERE name = '" + bar + "'")


def popped_list_second(cursor):
    lst = []
    lst.append("safe")
    lst.append(flask.request.args["name"])
    lst.append("moresafe")
    lst.pop(0)
    bar = lst[1]
    # ruleid: python-sql-injection-concat
    cursor.execute("SELECT * FROM users WHERE name = '" + bar + "'")  # ok: python-sql-injection-request-data


def popped_list_first(cursor):
    lst = []
    lst.append("safe")
    lst.append(flask.request.args["name"])
    lst.append("moresafe")
    lst.pop(0)
    bar = lst[0]
    # ruleid: python-sql-injection-request-data, python-sql-injection-concat
    cursor.execute("SELECT * FROM users WHERE name = '" + bar + "'")


def popped_list_then_reversed(cursor):
    lst = ["safe", flask.request.args["name"], "moresafe"]
    lst.pop(0)
    lst.reverse()
    bar = lst[1]
    # ruleid: python-sql-injection-request-data, python-sql-injection-concat
    cursor.execute("SELECT * FROM users WHERE name = '" + bar + "'")


def popped_list_rebound(cursor):
    lst = ["safe", flask.request.args["name"], "moresafe"]
    lst.pop(0)
    lst = [flask.request.args["a"], flask.request.args["b"]]
    bar = lst[1]
    # ruleid: python-sql-injection-request-data, python-sql-injection-concat
    cursor.execute("SELECT * FROM users WHERE name = '" + bar + "'")


def popped_list_slice_insert(cursor):
    lst = ["safe", flask.request.args["name"], "moresafe"]
    lst.pop(0)
    lst[:0] = ["x"]
    bar = lst[1]
    # ruleid: python-sql-injection-request-data, python-sql-injection-concat
    cursor.execute("SELECT * FROM users WHERE name = '" + bar + "'")
