// Test cases for policies/semgrep/javascript/tls.yaml (secscan rule pack).
const https = require("https");
const tls = require("tls");

function fetchInsecure(url) {
  // ruleid: javascript-tls-reject-unauthorized-disabled
  const agent = new https.Agent({ rejectUnauthorized: false });
  return https.get(url, { agent });
}

function connectInsecure(host) {
  // ruleid: javascript-tls-reject-unauthorized-disabled
  return tls.connect(443, host, { servername: host, rejectUnauthorized: false });
}

function fetchOk(url, ca) {
  // ok: javascript-tls-reject-unauthorized-disabled
  const agent = new https.Agent({ ca, rejectUnauthorized: true });
  return https.get(url, { agent });
}

function disableGlobally() {
  // ruleid: javascript-node-tls-reject-env-disabled
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
}

function childEnv(spawn) {
  // ruleid: javascript-node-tls-reject-env-disabled
  return spawn("node", ["worker.js"], { env: { ...process.env, NODE_TLS_REJECT_UNAUTHORIZED: "0" } });
}

function enableGlobally() {
  // ok: javascript-node-tls-reject-env-disabled
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = "1";
}
