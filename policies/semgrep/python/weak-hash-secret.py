# Test cases for policies/semgrep/python/weak-hash-secret.yaml (secscan rule pack).
import hashlib
import hmac


def store_password_hash(value):
    # ruleid: python-weak-hash-for-secret
    digest = hashlib.md5()
    digest.update(value.encode())
    with open("passwordFile.txt", "a") as f:
        f.write(digest.hexdigest())


def make_token(user):
    label = "api token"
    # ruleid: python-weak-hash-for-secret
    return hashlib.sha1(user.encode()).hexdigest(), label


def etag(body):
    # ok: python-weak-hash-for-secret
    return hashlib.sha1(body).hexdigest()


def strong_password(value):
    # ok: python-weak-hash-for-secret
    digest = hashlib.sha256()
    digest.update(value.encode())
    with open("passwordFile.txt", "a") as f:
        f.write(digest.hexdigest())


def signature_hmac(key, message):
    # ok: python-weak-hash-for-secret
    return hmac.new(key, message, hashlib.sha1).hexdigest()


def cache_key_for_token(data):
    # ok: python-weak-hash-for-secret
    return hashlib.md5(data, usedforsecurity=False).hexdigest()
