# Test cases for policies/semgrep/python/jwt-verification.yaml (secscan rule pack).
import jwt


def claims_unverified(token):
    # ruleid: python-jwt-signature-not-verified
    return jwt.decode(token, options={"verify_signature": False})


def claims_legacy(token, key):
    # ruleid: python-jwt-signature-not-verified
    return jwt.decode(token, key, verify=False)


def claims_none(token, key):
    # ruleid: python-jwt-signature-not-verified
    return jwt.decode(token, key, algorithms=["HS256", "none"])


def token_none(claims):
    # ruleid: python-jwt-signature-not-verified
    return jwt.encode(claims, "", algorithm="none")


def claims_ok(token, key):
    # ok: python-jwt-signature-not-verified
    return jwt.decode(token, key, algorithms=["RS256"], audience="shop")


def claims_no_exp_ok(token, key):
    # ok: python-jwt-signature-not-verified
    return jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": False})
