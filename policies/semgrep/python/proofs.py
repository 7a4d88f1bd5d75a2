# Test cases for policies/semgrep/python/proofs.yaml (secscan rule pack).
import os
import subprocess

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
