# Test cases for policies/semgrep/python/ldap-injection.yaml (secscan rule pack).
import re

import ldap
import ldap3
from flask import request
from ldap3.utils.conv import escape_filter_chars


def ldap3_search():
    uid = request.args["uid"]
    conn = ldap3.Connection(ldap3.Server("ldap://localhost"), auto_bind=True)
    # ruleid: python-ldap-injection-request-data
    conn.search("dc=example,dc=org", f"(&(objectClass=person)(uid={uid}))")
    return conn.entries


def ldap3_with(request):
    who = request.POST["who"]
    with ldap3.Connection("ldap://localhost") as c:
        # ruleid: python-ldap-injection-request-data
        c.search(search_base="dc=example,dc=org", search_filter="(cn=" + who + ")")


def python_ldap():
    con = ldap.initialize("ldap://localhost")
    # ruleid: python-ldap-injection-request-data
    return con.search_s("dc=example,dc=org", ldap.SCOPE_SUBTREE, "(uid=%s)" % request.form["u"])


def escaped():
    uid = escape_filter_chars(request.args["uid"])
    conn = ldap3.Connection("ldap://localhost")
    # ok: python-ldap-injection-request-data
    conn.search("dc=example,dc=org", f"(uid={uid})")


def dead_branch():
    param = request.args["uid"]
    conn = ldap3.Connection("ldap://localhost")
    num = 86
    if (7 * 42) - num > 200:
        bar = "alice"
    else:
        bar = param
    # ok: python-ldap-injection-request-data
    conn.search("dc=example,dc=org", "(uid=" + bar + ")")


def regex_search():
    # ok: python-ldap-injection-request-data
    return re.search(request.args["pattern"], "text")
