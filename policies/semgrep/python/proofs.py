# Test cases for policies/semgrep/python/proofs.yaml (secscan rule pack).
import hashlib
import hmac
import os
import shlex
import subprocess
import sys

LISTING = "/bin/ls -l"


def constant_literal():
    # ruleid: python-shell-command-constant
    subprocess.run("/bin/ls -l", shell=True)


def constant_formatted():
    # ruleid: python-shell-command-constant
    subprocess.Popen("/bin/ls %s" % ("something",), shell=True)


def constant_format_method():
    # ruleid: python-shell-command-constant
    subprocess.Popen("/bin/ls {}".format("something"), shell=True)


def constant_module_level():
    # ruleid: python-shell-command-constant
    subprocess.call(LISTING, shell=True)


def constant_variable():
    cmd = "uptime"
    # ruleid: python-shell-command-constant
    os.system(cmd)


def run(cmd):
    # ok: python-shell-command-constant
    return subprocess.call(cmd, shell=True)


def unknown_call():
    command = "/bin/ls" + unknown_function()  # noqa: F821
    # ok: python-shell-command-constant
    subprocess.Popen(command, shell=True)


def reassigned(flag):
    cmd = "uptime"
    if flag:
        cmd = input()
    # ok: python-shell-command-constant
    os.system(cmd)


def shell_false(cmd):
    # ok: python-shell-command-constant
    subprocess.run(["/bin/ls", cmd])


# python-shell-command-quoted: every value in the shell command is shlex-quoted.

def quoted_direct():
    # ruleid: python-shell-command-quoted
    subprocess.run(f'{shlex.quote(sys.executable)} -m pip install patch', shell=True, check=False)


def via_variable(expand_src_dir_path):
    submodules_cmd = (f'git -c safe.directory="*" '
                      f'-C {shlex.quote(expand_src_dir_path)} '
                      'submodule foreach -q "printf \\$displaypath\\\\\\0"')
    # ruleid: python-shell-command-quoted
    out = subprocess.run(submodules_cmd, shell=True, stdout=subprocess.PIPE)
    return out


def system_quoted(path):
    # ruleid: python-shell-command-quoted
    os.system(f"rm -f {shlex.quote(path)}")


def quoted_unquoted(path):
    # ok: python-shell-command-quoted
    os.system(f"rm -f {path}")


def one_quoted_one_not(a, b):
    # ok: python-shell-command-quoted
    subprocess.run(f"cp {shlex.quote(a)} {b}", shell=True)


def runs_it_again(cmd, log):
    wrapped = f"nohup bash -c {shlex.quote(cmd)} >/dev/null 2>&1 &"
    # ok: python-shell-command-quoted
    subprocess.run(wrapped, shell=True)


def quoted_reassigned(a, b):
    cmd = f"ls {shlex.quote(a)}"
    cmd = cmd + " " + b
    # ok: python-shell-command-quoted
    subprocess.run(cmd, shell=True)


def appended(a, b):
    cmd = f"ls {shlex.quote(a)}"
    cmd += b
    # ok: python-shell-command-quoted
    subprocess.run(cmd, shell=True)


def concatenated(a, b):
    # ok: python-shell-command-quoted
    subprocess.run(f"ls {shlex.quote(a)}" + b, shell=True)


def remote(host, cmd):
    # ok: python-shell-command-quoted
    subprocess.run(f"ssh {shlex.quote(host)} {shlex.quote(cmd)}", shell=True)


def conversion(a):
    # ok: python-shell-command-quoted
    subprocess.run(f"ls {shlex.quote(a)!r}", shell=True)


def quoted_call_in_call(a):
    # ok: python-shell-command-quoted
    subprocess.run(f"ls {shlex.quote(str(a) + ';id')}", shell=True)


# python-weak-hash-hmac-digest: MD5/SHA-1 used only as the digest of an HMAC.


def _lazy_sha1(string: bytes = b"") -> t.Any:  # noqa: F821
    """Don't access hashlib.sha1 until runtime (Flask 3.0.3's flask/sessions.py shape)."""
    # ruleid: python-weak-hash-hmac-digest
    return hashlib.sha1(string)


class SecureCookieSessionInterface:
    salt = "cookie-session"
    digest_method = staticmethod(_lazy_sha1)
    key_derivation = "hmac"

    def get_signing_serializer(self, app):
        kwargs = dict(key_derivation=self.key_derivation, digest_method=self.digest_method)
        return URLSafeTimedSerializer(app.secret_key, salt=self.salt, signer_kwargs=kwargs)  # noqa: F821


def _md5_digest(data=b""):
    # ruleid: python-weak-hash-hmac-digest
    return hashlib.md5(data)


def sign(key, message):
    return hmac.new(key, message, digestmod=_md5_digest).hexdigest()


def _sha1_for_signer(data=b""):
    # ruleid: python-weak-hash-hmac-digest
    return hashlib.sha1(data)


def signer(key):
    return Signer(key, key_derivation="hmac", digest_method=_sha1_for_signer)  # noqa: F821


def _concat_sha1(data=b""):
    # itsdangerous's "concat" key derivation hashes salt + secret with the digest itself
    # ok: python-weak-hash-hmac-digest
    return hashlib.sha1(data)


class ConcatSigner:
    digest_method = staticmethod(_concat_sha1)
    key_derivation = "concat"


def _also_called(data=b""):
    # ok: python-weak-hash-hmac-digest
    return hashlib.md5(data)


class AlsoCalled:
    key_derivation = "hmac"
    digest_method = staticmethod(_also_called)

    def token(self, password):
        return _also_called(password).hexdigest()


def early_user(secret):
    return _called_before(secret).hexdigest()


def _called_before(data=b""):
    # ok: python-weak-hash-hmac-digest
    return hashlib.sha1(data)


def mac(key, message):
    return hmac.new(key, message, _called_before).digest()


def _wrapper_does_more(data=b""):
    # ok: python-weak-hash-hmac-digest
    h = hashlib.sha1(data)
    return h


class DoesMore:
    key_derivation = "hmac"
    digest_method = staticmethod(_wrapper_does_more)


def password_digest(password):
    # ok: python-weak-hash-hmac-digest
    return hashlib.sha1(password.encode()).hexdigest()


def row_key(row):
    # a digest used as a row or cache key: no proof (collisions can be chosen)
    # ok: python-weak-hash-hmac-digest
    return hashlib.md5(row.encode()).hexdigest()[:24]


class EarlyCaller:
    def digest(self, secret):
        return _method_called_before(secret).hexdigest()


def _method_called_before(data=b""):
    # ok: python-weak-hash-hmac-digest
    return hashlib.md5(data)


def mac_md5(key, message):
    return hmac.digest(key, message, _method_called_before)


# python-shell-command-dead-branch: the value in the command is a literal on every live path.


def dead_ternary(request):
    param = request.args.get("host", "")
    num = 106
    bar = "localhost" if (7 * 18) + num > 200 else param
    # ruleid: python-shell-command-dead-branch
    os.system("ping -c 1 " + bar)


def dead_else(request):
    param = request.args.get("host", "")
    num = 86
    if (7 * 42) - num > 200:
        bar = "localhost"
    else:
        bar = param
    # Not proven: the proof reads conditional expressions only (the taint rules fold if/else).
    # ok: python-shell-command-dead-branch
    subprocess.run("ping -c 1 " + bar, shell=True)


def live_branch(request):
    param = request.args.get("host", "")
    num = 106
    bar = "localhost" if (7 * 18) + num < 200 else param
    # ok: python-shell-command-dead-branch
    os.system("ping -c 1 " + bar)


def unknown_condition(request, flag):
    param = request.args.get("host", "")
    bar = "localhost" if flag else param
    # ok: python-shell-command-dead-branch
    os.system("ping -c 1 " + bar)


def reassigned_after(request):
    param = request.args.get("host", "")
    num = 106
    bar = "localhost" if (7 * 18) + num > 200 else param
    bar = param
    # ok: python-shell-command-dead-branch
    os.system("ping -c 1 " + bar)


def appended_after(request):
    param = request.args.get("host", "")
    num = 106
    bar = "localhost" if (7 * 18) + num > 200 else param
    bar += param
    # ok: python-shell-command-dead-branch
    os.system("ping -c 1 " + bar)
