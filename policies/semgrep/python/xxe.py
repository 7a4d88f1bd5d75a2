# Test cases for policies/semgrep/python/xxe.yaml (secscan rule pack).
import xml.dom.minidom
import xml.etree.ElementTree as ET
import xml.sax
from xml.sax.handler import feature_external_ges

import defusedxml.ElementTree as DET
from flask import request
from lxml import etree


def import_supplier_feed():
    # ruleid: python-lxml-xxe-resolve-entities
    parser = etree.XMLParser(resolve_entities=True, no_network=False)
    return etree.fromstring(request.files["feed"].read(), parser)


def network_parser():
    # ruleid: python-lxml-xxe-resolve-entities
    return etree.XMLParser(no_network=False)


def safe_parser(data):
    # ok: python-lxml-xxe-resolve-entities
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    # ok: python-lxml-xmlparser-default
    return etree.fromstring(data, parser)


def default_parser():
    # ruleid: python-lxml-xmlparser-default
    return etree.XMLParser(remove_blank_text=True)


def default_fromstring(data):
    # ruleid: python-lxml-xmlparser-default
    return etree.fromstring(data)


def constant_xml():
    # ok: python-lxml-xmlparser-default
    return etree.fromstring("<root/>")


def upload_etree():
    # ruleid: python-xml-untrusted-stdlib-parser
    return ET.fromstring(request.get_data())


def upload_minidom():
    body = request.files["doc"].read()
    # ruleid: python-xml-untrusted-stdlib-parser
    return xml.dom.minidom.parseString(body)


def upload_defused():
    # ok: python-xml-untrusted-stdlib-parser
    return DET.fromstring(request.get_data())


def local_file(path):
    # ok: python-xml-untrusted-stdlib-parser
    return ET.parse(path)


def sax_external(handler, stream):
    parser = xml.sax.make_parser()
    # ruleid: python-xml-sax-external-entities
    parser.setFeature(feature_external_ges, True)
    parser.setContentHandler(handler)
    parser.parse(stream)


def sax_default(handler, stream):
    parser = xml.sax.make_parser()
    # ok: python-xml-sax-external-entities
    parser.setFeature(feature_external_ges, False)
    parser.setContentHandler(handler)
    parser.parse(stream)


# --- dead branches and overwritten values (constant propagation folds the condition) --------


def dead_ternary_python_xml_untrusted_stdlib_parser():
    param = request.data
    num = 106
    bar = "safe" if (7 * 18) + num > 200 else param
    # ok: python-xml-untrusted-stdlib-parser
    return ET.fromstring(bar)


def dead_if_python_xml_untrusted_stdlib_parser():
    param = request.data
    num = 86
    if (7 * 42) - num > 200:
        bar = "This_should_always_happen"
    else:
        bar = param
    # ok: python-xml-untrusted-stdlib-parser
    return ET.fromstring(bar)


def dict_key_python_xml_untrusted_stdlib_parser():
    param = request.data
    values = {"keyA": "a_Value", "keyB": param}
    bar = values["keyA"]
    # ok: python-xml-untrusted-stdlib-parser
    return ET.fromstring(bar)


def live_branch_python_xml_untrusted_stdlib_parser():
    param = request.data
    num = 106
    bar = "safe" if (7 * 18) + num < 200 else param
    # ruleid: python-xml-untrusted-stdlib-parser
    return ET.fromstring(bar)
