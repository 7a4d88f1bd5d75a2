# Test cases for policies/semgrep/python/command-injection.yaml (secscan rule pack).
import os
import shlex
import subprocess
from subprocess import Popen, check_output


def report(title, url, out):
    # ruleid: python-subprocess-shell-injection
    subprocess.check_call(f'wkhtmltopdf --title "{title}" {url} {out}', shell=True)


def ping(host):
    # ruleid: python-subprocess-shell-injection
    subprocess.run("ping -c 1 " + host, shell=True, check=True)


def archive(name):
    cmd = "tar czf /backups/%s.tgz /srv/data" % name
    # ruleid: python-subprocess-shell-injection
    return Popen(cmd, shell=True)


def grep(pattern):
    # ruleid: python-subprocess-shell-injection
    return check_output(args="grep -r {} .".format(pattern), shell=True)


def constant_shell():
    # ok: python-subprocess-shell-injection
    subprocess.run("ls -l | wc -l", shell=True, check=True)


def constant_via_variable():
    cmd = "uptime"
    # ok: python-subprocess-shell-injection
    subprocess.call(cmd, shell=True)


def argv_list(host):
    # ok: python-subprocess-shell-injection
    subprocess.run(["ping", "-c", "1", host], check=True)


def shell_false(cmd):
    # ok: python-subprocess-shell-injection
    subprocess.run(cmd, shell=False)


def system(filename):
    # ruleid: python-os-system-injection
    os.system("rm -f /tmp/" + filename)


def popen(user):
    # ruleid: python-os-system-injection
    return os.popen(f"id {user}").read()


def getoutput(path):
    # ruleid: python-os-system-injection
    return subprocess.getoutput("du -sh %s" % path)


def system_constant():
    # ok: python-os-system-injection
    os.system("clear")


def popen_constant():
    # ok: python-os-system-injection
    return os.popen("date").read()


def quoted_list(path):
    # ok: python-os-system-injection
    return subprocess.run(["du", "-sh", shlex.quote(path)], capture_output=True)
