# Test cases for policies/semgrep/python/weak-hash.yaml (secscan rule pack).
import hashlib

from cryptography.hazmat.primitives import hashes


def etag(body):
    # ruleid: python-weak-hash-md5
    return hashlib.md5(body).hexdigest()


def etag_new(body):
    # ruleid: python-weak-hash-md5
    return hashlib.new("MD5", body).hexdigest()


def digest_md5():
    # ruleid: python-weak-hash-md5
    return hashes.Hash(hashes.MD5())


def etag_not_security(body):
    # ok: python-weak-hash-md5
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


def strong(body):
    # ok: python-weak-hash-md5
    return hashlib.sha256(body).hexdigest()


def sign(body):
    # ruleid: python-weak-hash-sha1
    return hashlib.sha1(body).hexdigest()


def sign_new(body):
    # ruleid: python-weak-hash-sha1
    return hashlib.new("sha1", body).hexdigest()


def cache_key(body):
    # ok: python-weak-hash-sha1
    return hashlib.sha1(body, usedforsecurity=False).hexdigest()


def blake(body):
    # ok: python-weak-hash-sha1
    return hashlib.blake2b(body).hexdigest()


def hash_password(password):
    # ruleid: python-weak-hash-md5, python-weak-password-hash
    return hashlib.md5(password.encode("utf-8")).hexdigest()


def hash_user_password(user):
    # ruleid: python-weak-password-hash
    return hashlib.sha256(user.password.encode()).hexdigest()


def hash_incremental(salt, new_password):
    h = hashlib.sha512()
    h.update(salt)
    # ruleid: python-weak-password-hash
    h.update(new_password.encode())
    return h.hexdigest()


def hash_password_ok(password, salt):
    # ok: python-weak-password-hash
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)


def hash_password_scrypt(password, salt):
    # ok: python-weak-password-hash
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)


def hash_reset_token(password_reset_token):
    # ok: python-weak-password-hash
    return hashlib.sha256(password_reset_token.encode()).hexdigest()


class BasePasswordHasher:
    algorithm = None


class UnsaltedSHA1PasswordHasher(BasePasswordHasher):
    """Django's legacy hasher: verifies old hashes so they can be upgraded on login."""

    algorithm = "unsalted_sha1"

    def encode(self, password, salt):
        # ruleid: python-weak-hash-sha1
        hash = hashlib.sha1(password.encode()).hexdigest()  # ok: python-weak-password-hash
        return "sha1$$%s" % hash
