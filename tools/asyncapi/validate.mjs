// Parse an AsyncAPI document with the AsyncAPI parser; exit 1 on any error diagnostic.
// Usage: node tools/asyncapi/validate.mjs contracts/asyncapi.yaml
import { readFileSync } from "node:fs";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const path = process.argv[2];
if (!path) {
  console.error("usage: node validate.mjs FILE");
  process.exit(2);
}
const parser = new Parser();
const { document, diagnostics } = await parser.parse(readFileSync(path, "utf8"), { source: path });
for (const d of diagnostics) {
  const where = d.path.join(".") || "(document)";
  const level = DiagnosticSeverity[d.severity] ?? d.severity;
  console.log(`${level} ${d.code} ${where}: ${d.message}`);
}
const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
if (errors.length > 0 || document === undefined) {
  console.error(`${path}: ${errors.length} error(s)`);
  process.exit(1);
}
console.log(`${path}: valid AsyncAPI ${document.version()}`);
