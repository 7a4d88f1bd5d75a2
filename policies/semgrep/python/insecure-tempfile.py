# Test cases for policies/semgrep/python/insecure-tempfile.yaml (secscan rule pack).
import os
import tempfile


def export(rows):
    # ruleid: python-tempfile-mktemp
    path = tempfile.mktemp(suffix=".csv")
    with open(path, "w") as fh:
        fh.writelines(rows)
    return path


def export_ok(rows):
    # ok: python-tempfile-mktemp
    fd, path = tempfile.mkstemp(suffix=".csv")
    with os.fdopen(fd, "w") as fh:
        fh.writelines(rows)
    return path


def export_named(rows):
    # ok: python-tempfile-mktemp
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as fh:
        fh.writelines(rows)
        return fh.name


def write_fixed(data):
    # ruleid: python-hardcoded-tmp-path
    with open("/tmp/report.csv", "w") as fh:
        fh.write(data)


def write_fixed_var(data):
    # ruleid: python-hardcoded-tmp-path
    with open("/var/tmp/cache.bin", "wb") as fh:
        fh.write(data)


def write_app_dir(data):
    # ok: python-hardcoded-tmp-path
    with open("/srv/app/data/report.csv", "w") as fh:
        fh.write(data)


def write_tmpdir(data):
    with tempfile.TemporaryDirectory() as tmp:
        # ok: python-hardcoded-tmp-path
        with open(os.path.join(tmp, "report.csv"), "w") as fh:
            fh.write(data)
