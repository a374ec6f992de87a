// build.mjs: dist/esm (ES modules) and dist/cjs (CommonJS) from src/, each with its types. The
// package.json in each tells Node which module system the .js files in it use.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";

const tsc = new URL("../node_modules/typescript/bin/tsc", import.meta.url).pathname;
rmSync("dist", { recursive: true, force: true });
for (const [cfg, dir, type] of [
  ["tsconfig.json", "dist/esm", "module"],
  ["tsconfig.cjs.json", "dist/cjs", "commonjs"],
]) {
  execFileSync(process.execPath, [tsc, "-p", cfg], { stdio: "inherit" });
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/package.json`, JSON.stringify({ type }) + "\n");
}
// The README's calls type-check against the built API (test/types/usage.ts).
execFileSync(process.execPath, [tsc, "-p", "test/types/tsconfig.json"], { stdio: "inherit" });
