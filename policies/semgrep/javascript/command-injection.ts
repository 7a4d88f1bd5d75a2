// TypeScript test cases for policies/semgrep/javascript/command-injection.yaml (secscan rule pack).
import { execSync } from "child_process";

export function archive(name: string): Buffer {
  // ruleid: javascript-child-process-injection
  return execSync("tar czf /backups/" + name + ".tgz /srv/data");
}

export function version(): Buffer {
  // ok: javascript-child-process-injection
  return execSync("node --version");
}
