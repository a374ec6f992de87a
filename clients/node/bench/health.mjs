// health.mjs: Health calls per second through the Node client next to the C client
// (phoneauth-bench) against the same phoneauth-auth, for `make bench`. Starts its own service
// on a fresh database of its own cluster (test/support/stack.mjs, PHONEAUTH_BUILD_DIR = the
// bench build), runs the C client for SECONDS with 8 threads, then the Node client for SECONDS
// with 64 calls in flight on one client, prints both and writes JSON.
//   node bench/health.mjs [--seconds S] [--inflight N] [--out DIR]
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

import { Auth } from "../dist/esm/index.js";
import { BUILD_DIR, Stack, TMP, pgDestroy } from "../test/support/stack.mjs";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const seconds = Number(arg("seconds", "5"));
const inflight = Number(arg("inflight", "64"));
const outDir = arg("out", "");

const stack = await Stack.start({
  name: "node_bench",
  noWorker: true,
  env: { PHONEAUTH_LOG_LEVEL: "warn", PHONEAUTH_RPC_CONTEXTS: "512" },
});
try {
  const cJson = join(TMP, "bench-c-health.json");
  execFileSync(
    join(BUILD_DIR, "bench/phoneauth-bench"),
    ["--url", stack.rpcUrl, "--method", "health", "--concurrency", "8", "--duration", String(seconds), "--json", cJson, "--label", "C client, 8 threads"],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const cRes = JSON.parse(readFileSync(cJson, "utf8"));
  const cRps = findRps(cRes);

  const auth = new Auth({ url: stack.rpcUrl, timeoutMs: 10000 });
  const warmEnd = Date.now() + 1000;
  let ok = 0,
    failed = 0,
    counting = false;
  const end = warmEnd + seconds * 1000;
  const worker = async () => {
    while (Date.now() < end) {
      try {
        await auth.health();
        if (counting) ok++;
      } catch {
        if (counting) failed++;
      }
    }
  };
  setTimeout(() => (counting = true), 1000);
  const t0 = warmEnd;
  await Promise.all(Array.from({ length: inflight }, worker));
  const nodeRps = ok / ((Date.now() - t0) / 1000);
  auth.close();

  const ratio = cRps > 0 ? nodeRps / cRps : 0;
  console.log(`Health through the C client (8 threads):          ${cRps.toFixed(0)} calls/s`);
  console.log(`Health through the Node client (${inflight} in flight):    ${nodeRps.toFixed(0)} calls/s (${failed} failed), ${(ratio * 100).toFixed(0)} % of C`);
  if (outDir) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(
      join(outDir, "node-health.json"),
      JSON.stringify({ seconds, c_client_rps: cRps, node_client_rps: nodeRps, node_inflight: inflight, node_failed: failed, ratio }, null, 2) + "\n",
    );
  }
} finally {
  await stack.stop();
  pgDestroy();
}

/** The ok-requests-per-second figure in phoneauth-bench's JSON, wherever its report puts it. */
function findRps(j) {
  let best = 0;
  const walk = (v, k) => {
    if (v && typeof v === "object") for (const [kk, vv] of Object.entries(v)) walk(vv, kk);
    else if (typeof v === "number" && k === "ok_rps" && v > best) best = v;
  };
  walk(j);
  return best;
}
