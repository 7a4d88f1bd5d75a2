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


# --- with a traced source -------------------------------------------------------------------
import sys

import flask
from flask import request


def flask_ping():
    host = request.args["host"]
    # ruleid: python-command-injection-request-data, python-subprocess-shell-injection
    subprocess.run("ping -c 1 " + host, shell=True)


def django_convert(request):
    # ruleid: python-command-injection-request-data, python-os-system-injection
    os.system("convert %s out.png" % request.POST["file"])


@flask.Flask(__name__).route("/lookup/<name>")
def lookup(name):
    # ruleid: python-command-injection-request-data, python-os-system-injection
    return os.popen(f"host {name}").read()


def quoted_request_value():
    name = shlex.quote(request.args["name"])
    # ruleid: python-subprocess-shell-injection
    subprocess.run(f"host {name}", shell=True)  # ok: python-command-injection-request-data


def open_editor(filename):
    # click's edit(): the user's own $EDITOR, run on a temporary file it wrote.
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    # ruleid: python-command-injection-local-input, python-os-system-injection
    os.system(f'{editor} "{filename}"')  # ok: python-command-injection-request-data


def pager(cmd_detected_on_path, filename):
    # A pager found on PATH by the library itself: no traced source; audit only.
    # ruleid: python-subprocess-shell-injection
    subprocess.Popen(f"{cmd_detected_on_path} {filename}", shell=True)  # ok: python-command-injection-request-data, python-command-injection-local-input


def cli_grep():
    # ruleid: python-command-injection-local-input, python-subprocess-shell-injection
    subprocess.check_output("grep -r " + sys.argv[1] + " .", shell=True)


# Constant commands, formatted with constants (bandit rates these B602 HIGH; the proof rule in
# proofs.yaml proves them safe).
LISTING = "/bin/ls -l"


def constant_formatted():
    # ok: python-subprocess-shell-injection
    subprocess.Popen("/bin/ls %s" % ("something",), shell=True)


def constant_format_method():
    # ok: python-subprocess-shell-injection
    subprocess.Popen("/bin/ls {}".format("something"), shell=True)


def constant_module_level():
    # ok: python-subprocess-shell-injection
    subprocess.call(LISTING, shell=True)


# The standard library's servers are request sources.
from http.server import BaseHTTPRequestHandler  # noqa: E402
import socketserver  # noqa: E402
import cgi  # noqa: E402
from urllib.parse import parse_qs, urlparse  # noqa: E402


class PingHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        host = parse_qs(urlparse(self.path).query).get("host", [""])[0]
        # ruleid: python-command-injection-request-data, python-subprocess-shell-injection
        out = subprocess.check_output("ping -c 1 " + host, shell=True)
        self.wfile.write(out)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        # ruleid: python-command-injection-request-data, python-os-system-injection
        os.system("echo " + body)

    def do_PUT(self):
        agent = self.headers.get("User-Agent", "")
        # ruleid: python-command-injection-request-data, python-os-system-injection
        os.popen("logger " + agent)

    def quoted(self):
        # ok: python-command-injection-request-data
        # ruleid: python-os-system-injection
        os.system("echo " + shlex.quote(self.path))


class GrepHandler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline().strip().decode()
        # ruleid: python-command-injection-request-data, python-subprocess-shell-injection
        subprocess.call("grep " + line + " /var/log/app.log", shell=True)


class RawHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data = self.request.recv(1024).decode()
        # ruleid: python-command-injection-request-data, python-os-system-injection
        os.system("logger " + data)


def application(environ, start_response):
    name = environ.get("QUERY_STRING", "")
    # ruleid: python-command-injection-request-data, python-subprocess-shell-injection
    subprocess.run("figlet " + name, shell=True)
    start_response("200 OK", [])
    return [b""]


def cgi_script():
    query = os.environ["QUERY_STRING"]
    # ruleid: python-command-injection-local-input, python-command-injection-request-data, python-os-system-injection
    os.system("lookup " + query)
    form = cgi.FieldStorage()
    # ruleid: python-command-injection-request-data, python-os-system-injection
    os.system("lookup " + form.getvalue("q"))


def environment_is_no_request():
    # ok: python-command-injection-request-data
    # ruleid: python-command-injection-local-input, python-os-system-injection
    os.system("ls " + os.environ["HOME"])


class NotAHandler:
    def run(self):
        # ok: python-command-injection-request-data
        # ruleid: python-os-system-injection
        os.system("ls " + self.path)


# --- dead branches and overwritten values (constant propagation folds the condition) --------


def dead_ternary_python_command_injection_request_data():
    param = request.args.get("v", "")
    num = 106
    bar = "safe" if (7 * 18) + num > 200 else param
    # ruleid: python-os-system-injection
    return os.system(bar)  # ok: python-command-injection-request-data


def dead_if_python_command_injection_request_data():
    param = request.args.get("v", "")
    num = 86
    if (7 * 42) - num > 200:
        bar = "This_should_always_happen"
    else:
        bar = param
    # ruleid: python-os-system-injection
    return os.system(bar)  # ok: python-command-injection-request-data


def dict_key_python_command_injection_request_data():
    param = request.args.get("v", "")
    values = {"keyA": "a_Value", "keyB": param}
    bar = values["keyA"]
    # ruleid: python-os-system-injection
    return os.system(bar)  # ok: python-command-injection-request-data


def live_branch_python_command_injection_request_data():
    param = request.args.get("v", "")
    num = 106
    bar = "safe" if (7 * 18) + num < 200 else param
    # ruleid: python-command-injection-request-data, python-os-system-injection
    return os.system(bar)
