// run.mjs: `make test-browser`: the browser journeys (test/browser.test.mjs), then removes the
// PostgreSQL cluster the stack fixture made. PHONEAUTH_BUILD_DIR names the build with the binaries.
import { spawnSync } from "node:child_process";

const r = spawnSync(process.execPath, ["--test", "--test-concurrency=1", "test/browser.test.mjs"], { stdio: "inherit" });
const { pgDestroy } = await import("../../../clients/node/test/support/stack.mjs");
try {
  pgDestroy();
} catch (e) {
  console.error(`could not remove the test cluster: ${e.message}`);
}
process.exit(r.status ?? 1);
