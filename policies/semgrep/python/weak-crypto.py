# Test cases for policies/semgrep/python/weak-crypto.yaml (secscan rule pack).
import os

from Crypto.Cipher import AES, ARC4, DES
from Crypto.PublicKey import RSA
from cryptography.hazmat.primitives.asymmetric import dsa, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def des_encrypt(key, data):
    # ruleid: python-weak-cipher-algorithm, python-cipher-ecb-mode
    cipher = DES.new(key, DES.MODE_ECB)
    return cipher.encrypt(data)


def rc4(key, data):
    # ruleid: python-weak-cipher-algorithm
    return ARC4.new(key).encrypt(data)


def triple_des(key, iv):
    # ruleid: python-weak-cipher-algorithm
    return Cipher(algorithms.TripleDES(key), modes.CBC(iv))


def aes_gcm(key, data):
    nonce = os.urandom(12)
    # ok: python-weak-cipher-algorithm
    return nonce + AESGCM(key).encrypt(nonce, data, None)


def aes_cbc(key, iv):
    # ok: python-weak-cipher-algorithm
    return Cipher(algorithms.AES(key), modes.CBC(iv))


def aes_ecb(key):
    # ruleid: python-cipher-ecb-mode
    return Cipher(algorithms.AES(key), modes.ECB())


def aes_ecb_pycryptodome(key):
    # ruleid: python-cipher-ecb-mode
    return AES.new(key, AES.MODE_ECB)


def aes_gcm_pycryptodome(key):
    # ok: python-cipher-ecb-mode
    return AES.new(key, AES.MODE_GCM)


def aes_ctr(key, nonce):
    # ok: python-cipher-ecb-mode
    return Cipher(algorithms.AES(key), modes.CTR(nonce))


def small_rsa():
    # ruleid: python-rsa-key-too-small
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


def small_dsa():
    # ruleid: python-rsa-key-too-small
    return dsa.generate_private_key(key_size=1024)


def small_rsa_pycryptodome():
    # ruleid: python-rsa-key-too-small
    return RSA.generate(1024)


def rsa_ok():
    # ok: python-rsa-key-too-small
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


def rsa_ok_pycryptodome():
    # ok: python-rsa-key-too-small
    return RSA.generate(2048)
