// test.mjs: runs test/ one file at a time (they share one PostgreSQL cluster), then removes the
// cluster. PHONEAUTH_BUILD_DIR names the build holding the binaries (see test/support/stack.mjs).
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const files = readdirSync("test")
  .filter((f) => /\.test\.(mjs|cjs)$/.test(f))
  .map((f) => `test/${f}`);
const r = spawnSync(process.execPath, ["--test", "--test-concurrency=1", ...files], { stdio: "inherit" });
const { pgDestroy } = await import("../test/support/stack.mjs");
try {
  pgDestroy();
} catch (e) {
  console.error(`could not remove the test cluster: ${e.message}`);
}
process.exit(r.status ?? 1);
