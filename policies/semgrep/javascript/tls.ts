// TypeScript test cases for policies/semgrep/javascript/tls.yaml (secscan rule pack).
import * as https from "https";

export function insecureAgent(): https.Agent {
  // ruleid: javascript-tls-reject-unauthorized-disabled
  return new https.Agent({ keepAlive: true, rejectUnauthorized: false });
}

export function secureAgent(ca: Buffer): https.Agent {
  // ok: javascript-tls-reject-unauthorized-disabled
  return new https.Agent({ keepAlive: true, ca });
}
