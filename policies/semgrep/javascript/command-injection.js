// Test cases for policies/semgrep/javascript/command-injection.yaml (secscan rule pack).
const cp = require("child_process");
const { exec, execFile, spawn } = require("child_process");

function ping(req, res) {
  // ruleid: javascript-child-process-injection
  cp.exec("ping -c 1 " + req.query.host, (err, out) => res.send(out));
}

function thumbnail(file) {
  // ruleid: javascript-child-process-injection
  return exec(`convert ${file} -resize 64x64 thumb.png`);
}

function grep(pattern) {
  // ruleid: javascript-child-process-injection
  return spawn(`grep -r ${pattern} .`, [], { shell: true });
}

function pingOk(host) {
  // ok: javascript-child-process-injection
  return execFile("ping", ["-c", "1", host]);
}

function constantOk() {
  // ok: javascript-child-process-injection
  return exec("git rev-parse HEAD");
}

function spawnOk(file) {
  // ok: javascript-child-process-injection
  return spawn("convert", [file, "-resize", "64x64", "thumb.png"]);
}
