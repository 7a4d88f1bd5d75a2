# Test cases for policies/semgrep/python/tls.yaml (secscan rule pack).
import socket
import ssl
import warnings

import httpx
import requests
import urllib3


def charge(url, payload):
    # ruleid: python-requests-verify-disabled
    resp = requests.post(url, json=payload, timeout=15, verify=False)
    return resp.json()


def client():
    # ruleid: python-requests-verify-disabled
    return httpx.Client(verify=False)


def session_get(url):
    s = requests.Session()
    # ruleid: python-requests-verify-disabled
    s.verify = False
    # ruleid: python-requests-verify-disabled
    return s.get(url, verify=False)


def verified(url):
    # ok: python-requests-verify-disabled
    return requests.get(url, timeout=5)


def private_ca(url):
    # ok: python-requests-verify-disabled
    return requests.get(url, timeout=5, verify="/etc/ssl/private-ca.pem")


def unverified_context(url):
    import urllib.request

    # ruleid: python-ssl-unverified-context
    ctx = ssl._create_unverified_context()
    return urllib.request.urlopen(url, context=ctx)


def global_unverified():
    # ruleid: python-ssl-unverified-context
    ssl._create_default_https_context = ssl._create_unverified_context


def default_context():
    # ok: python-ssl-unverified-context
    return ssl.create_default_context()


def cert_none(host):
    ctx = ssl.create_default_context()
    # ruleid: python-ssl-cert-none
    ctx.check_hostname = False
    # ruleid: python-ssl-cert-none
    ctx.verify_mode = ssl.CERT_NONE
    return ctx.wrap_socket(socket.create_connection((host, 443)), server_hostname=host)


def pool():
    # ruleid: python-ssl-cert-none
    return urllib3.PoolManager(cert_reqs="CERT_NONE")


def cert_required():
    ctx = ssl.create_default_context()
    # ok: python-ssl-cert-none
    ctx.verify_mode = ssl.CERT_REQUIRED
    # ok: python-ssl-cert-none
    ctx.check_hostname = True
    return ctx


def silence():
    # ruleid: python-urllib3-warnings-disabled
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    # ruleid: python-urllib3-warnings-disabled
    requests.packages.urllib3.disable_warnings()
    # ruleid: python-urllib3-warnings-disabled
    warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)


def silence_other():
    # ok: python-urllib3-warnings-disabled
    urllib3.disable_warnings(urllib3.exceptions.SubjectAltNameWarning)
    # ok: python-urllib3-warnings-disabled
    warnings.simplefilter("ignore", DeprecationWarning)


def old_protocol():
    # ruleid: python-ssl-insecure-protocol
    return ssl.SSLContext(ssl.PROTOCOL_TLSv1)


def old_minimum():
    ctx = ssl.create_default_context()
    # ruleid: python-ssl-insecure-protocol
    ctx.minimum_version = ssl.TLSVersion.TLSv1_1
    return ctx


def negotiated_protocol():
    # ok: python-ssl-insecure-protocol
    return ssl.SSLContext(ssl.PROTOCOL_SSLv23)


def modern_protocol():
    # ok: python-ssl-insecure-protocol
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # ok: python-ssl-insecure-protocol
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


class SSLConfig:
    def load_ssl_context_no_verify(self, context):
        # httpx: the implementation of the caller's explicit verify=False
        # ok: python-ssl-cert-none
        context.verify_mode = ssl.CERT_NONE
        return context

    def load_ssl_context(self, context):
        # ruleid: python-ssl-cert-none
        context.check_hostname = False
        return context


# --- an explicit opt-out the user sets (kopf 1.45, skypilot 0.14: benchmarks/precision.py) ---
class ConnectionInfo:
    def __init__(self, insecure=False, skip_verification=False):
        self.insecure = insecure
        self.skip_verification = skip_verification

    def context(self):
        context = ssl.create_default_context()
        if self.insecure:
            # ok: python-ssl-cert-none
            # ruleid: python-tls-verification-opt-out
            context.check_hostname = False
            # ok: python-ssl-cert-none
            # ruleid: python-tls-verification-opt-out
            context.verify_mode = ssl.CERT_NONE
        return context

    def upload(self, request):
        if self.skip_verification and hasattr(ssl, "_create_unverified_context"):
            # ok: python-ssl-unverified-context
            # ruleid: python-tls-verification-opt-out
            context = ssl._create_unverified_context()
            return context, request
        return None, request

    def not_opt_in(self):
        if not self.insecure:
            return None
        # the flag only returned early; this runs whatever it says
        context = ssl.create_default_context()
        # ok: python-tls-verification-opt-out
        # ruleid: python-ssl-cert-none
        context.verify_mode = ssl.CERT_NONE
        return context

    def other_branch(self):
        context = ssl.create_default_context()
        if self.insecure:
            pass
        else:
            # A known miss: semgrep's `if` pattern also covers the else branch (turning the
            # checks off exactly when the user did not opt out is contrived); it is still
            # reported, by the opt-out rule.
            # todoruleid: python-ssl-cert-none
            # todook: python-tls-verification-opt-out
            context.verify_mode = ssl.CERT_NONE
        return context

    def any_condition(self, debug):
        context = ssl.create_default_context()
        if debug:
            # ruleid: python-ssl-cert-none
            context.verify_mode = ssl.CERT_NONE
        return context


def pbm_connection():
    # ruleid: python-ssl-unverified-context
    return ssl._create_unverified_context()
