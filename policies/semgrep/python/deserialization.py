# Test cases for policies/semgrep/python/deserialization.yaml (secscan rule pack).
import base64
import json
import marshal
import pickle

import dill
import jsonpickle
import pandas as pd
import yaml
from flask import request
from ruamel.yaml import YAML


def load_cache(path):
    with open(path, "rb") as fh:
        # ruleid: python-pickle-deserialization
        return pickle.load(fh)


def load_blob(blob):
    # ruleid: python-pickle-deserialization
    return dill.loads(blob)


def load_frame(path):
    # ruleid: python-pickle-deserialization
    return pd.read_pickle(path)


def save_cache(obj):
    # ok: python-pickle-deserialization
    return pickle.dumps(obj)


def load_json(blob):
    # ok: python-pickle-deserialization
    return json.loads(blob)


def load_code(blob):
    # ruleid: python-marshal-deserialization
    return marshal.loads(blob)


def dump_code(code):
    # ok: python-marshal-deserialization
    return marshal.dumps(code)


def import_definition(body):
    # ruleid: python-yaml-unsafe-load
    return yaml.load(body, Loader=yaml.Loader)


def no_loader(text):
    # ruleid: python-yaml-unsafe-load
    return yaml.load(text)


def full_loader(text):
    # ruleid: python-yaml-unsafe-load
    return yaml.load(text, yaml.FullLoader)


def unsafe(text):
    # ruleid: python-yaml-unsafe-load
    return yaml.unsafe_load(text)


def ruamel_unsafe(text):
    # ruleid: python-yaml-unsafe-load
    return YAML(typ="unsafe").load(text)


def ruamel_default(text):
    yaml = YAML(typ="safe")
    # ok: python-yaml-unsafe-load
    return yaml.load(text)


def safe(text):
    # ok: python-yaml-unsafe-load
    return yaml.safe_load(text)


def safe_loader(text):
    # ok: python-yaml-unsafe-load
    return yaml.load(text, Loader=yaml.SafeLoader)


def safe_loader_all(text):
    # ok: python-yaml-unsafe-load
    return list(yaml.load_all(text, Loader=yaml.CSafeLoader))


def decode_state(blob):
    # ruleid: python-jsonpickle-decode
    return jsonpickle.decode(blob)


def encode_state(obj):
    # ok: python-jsonpickle-decode
    return jsonpickle.encode(obj)


def load_cart():
    raw = request.cookies.get("cart")
    if not raw:
        return {}
    # ruleid: python-pickle-deserialization, python-deserialization-request-data
    return pickle.loads(base64.b64decode(raw))


def import_report():
    # ruleid: python-yaml-unsafe-load, python-deserialization-request-data
    return yaml.load(request.get_data(), Loader=yaml.Loader)


def import_state():
    # ruleid: python-jsonpickle-decode, python-deserialization-request-data
    return jsonpickle.decode(request.form["state"])


def import_safe_yaml():
    # ok: python-deserialization-request-data
    return yaml.load(request.get_data(), Loader=yaml.SafeLoader)


def import_json():
    # ok: python-deserialization-request-data
    return json.loads(request.get_data())


def load_local(path):
    with open(path, "rb") as fh:
        # a local file, not request data: only the audit rule reports it
        # ruleid: python-marshal-deserialization
        return marshal.load(fh)


# --- dead branches and overwritten values (constant propagation folds the condition) --------


def dead_ternary_python_deserialization_request_data():
    param = request.args.get("v", "")
    num = 106
    bar = "safe" if (7 * 18) + num > 200 else param
    # ruleid: python-pickle-deserialization
    return pickle.loads(bar)  # ok: python-deserialization-request-data


def dead_if_python_deserialization_request_data():
    param = request.args.get("v", "")
    num = 86
    if (7 * 42) - num > 200:
        bar = "This_should_always_happen"
    else:
        bar = param
    # ruleid: python-pickle-deserialization
    return pickle.loads(bar)  # ok: python-deserialization-request-data


def dict_key_python_deserialization_request_data():
    param = request.args.get("v", "")
    values = {"keyA": "a_Value", "keyB": param}
    bar = values["keyA"]
    # ruleid: python-pickle-deserialization
    return pickle.loads(bar)  # ok: python-deserialization-request-data


def live_branch_python_deserialization_request_data():
    param = request.args.get("v", "")
    num = 106
    bar = "safe" if (7 * 18) + num < 200 else param
    # ruleid: python-deserialization-request-data, python-pickle-deserialization
    return pickle.loads(bar)
