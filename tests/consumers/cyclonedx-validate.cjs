// Validate a CycloneDX JSON document with the CycloneDX npm library's strict JSON validator,
// for the spec version the document declares. Exit 0: valid; 1: invalid (errors on stdout);
// 2: the validator could not run.
"use strict";
const fs = require("node:fs");
const { Validation } = require("@cyclonedx/cyclonedx-library");

(async () => {
  const text = fs.readFileSync(process.argv[2], "utf8");
  const version = JSON.parse(text).specVersion;
  const errors = await new Validation.JsonStrictValidator(version).validate(text);
  if (errors === null) {
    console.log(`valid CycloneDX ${version}`);
    process.exit(0);
  }
  console.log(JSON.stringify(errors, null, 1));
  process.exit(1);
})().catch((e) => {
  console.error(String(e));
  process.exit(2);
});
