// Runs the mcpb CLI's `validate` on many directories in one node process:
// a node start costs seconds here, and `mcpb validate <dir>` is exactly
// `process.exit(validateManifest(dir) ? 0 : 1)` (dist/cli/cli.js).
//
// usage: node validate.mjs <mcpb package dir> <file listing one dir a line>
// prints one JSON line per dir: {"dir": ..., "ok": bool, "output": ...}
import { readFileSync } from "fs";
import { join } from "path";
import { pathToFileURL } from "url";

const [pkg, list] = process.argv.slice(2);
const { validateManifest } = await import(pathToFileURL(join(pkg, "dist/node/validate.js")).href);

const log = console.log, error = console.error;
for (const dir of readFileSync(list, "utf-8").split("\n").filter(Boolean)) {
  let output = "";
  console.log = console.error = (...args) => { output += args.join(" ") + "\n"; };
  let ok;
  try {
    ok = validateManifest(dir);
  } finally {
    console.log = log;
    console.error = error;
  }
  log(JSON.stringify({ dir, ok, output }));
}
