# Test cases for policies/semgrep/python/xpath-injection.yaml (secscan rule pack).
import xml.etree.ElementTree as ET

import lxml.etree
from flask import request


def lxml_query():
    name = request.args["name"]
    root = lxml.etree.parse("users.xml")
    # ruleid: python-xpath-injection-request-data
    return root.xpath("//user[@name='" + name + "']/email/text()")


def lxml_compiled():
    # ruleid: python-xpath-injection-request-data
    find = lxml.etree.XPath(f"//user[@id='{request.form['id']}']")
    return find


def etree_find(request):
    tree = ET.parse("users.xml")
    root = tree.getroot()
    who = request.GET["who"]
    # ruleid: python-xpath-injection-request-data
    return root.findall(".//user[@name='%s']" % who)


def lxml_variable():
    root = lxml.etree.parse("users.xml")
    # ok: python-xpath-injection-request-data
    return root.xpath("//user[@name=$name]/email/text()", name=request.args["name"])


def etree_constant():
    root = ET.fromstring("<a><b/></a>")
    # ok: python-xpath-injection-request-data
    return root.findall(".//b")


def dead_branch():
    param = request.args["name"]
    root = lxml.etree.parse("users.xml")
    num = 106
    bar = "alice" if (7 * 18) + num > 200 else param
    # ok: python-xpath-injection-request-data
    return root.xpath("//user[@name='" + bar + "']")


def string_find():
    text = request.args["text"]
    # ok: python-xpath-injection-request-data
    return text.find(request.args["needle"])


def lxml_evaluator():
    doc = lxml.etree.parse("users.xml")
    evaluator = lxml.etree.XPathEvaluator(doc)
    # ruleid: python-xpath-injection-request-data
    return evaluator.evaluate("//user[@name='" + request.args["name"] + "']")


def helper_named_evaluate(helpers):
    # ok: python-xpath-injection-request-data
    return helpers.evaluate(request.args["expr"])
