// stack.mjs: the real processes the tests call, started the way the C integration tests start
// them (tests/support/flowkit.c, smskit.c): a private PostgreSQL cluster
// (tests/support/pgcluster.sh), `phoneauth-auth migrate` then `serve`, a real
// phoneauth-sms-worker sending to phoneauth-fake-twilio, whose printed messages give the codes.
//
// PHONEAUTH_BUILD_DIR names the CMake build dir holding the binaries (default ../../build);
// the Makefile's test-node points it at the ASan build.
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = resolve(here, "../../../..");
export const BUILD_DIR = resolve(process.env.PHONEAUTH_BUILD_DIR ?? join(SOURCE_DIR, "build"));
export const TMP = join(BUILD_DIR, "node-test");
const PGDIR = join(BUILD_DIR, "node-testpg");
export const BIN = {
  auth: join(BUILD_DIR, "services/auth/phoneauth-auth"),
  worker: join(BUILD_DIR, "services/sms-worker/phoneauth-sms-worker"),
  fake: join(BUILD_DIR, "tests/phoneauth-fake-twilio"),
};

export const ADMIN_TOKEN = "admin-token-for-tests-only-0123456789abcdef";
const TWILIO = {
  TWILIO_ACCOUNT_SID: "AC00000000000000000000000000000001",
  TWILIO_AUTH_TOKEN: "test-auth-token-0123456789abcdef",
  TWILIO_API_KEY: "SK00000000000000000000000000000002",
  TWILIO_API_SECRET: "test-api-secret-fedcba9876543210",
};
// tests/support/harness.h's HARNESS_SERVICE_ENV.
const SERVICE_ENV = {
  PHONEAUTH_OTP_KEY: "6f74702d6b65792d666f722d74657374732d6f6e6c792d303132333435363738",
  PHONEAUTH_OUTBOX_KEY: "6f7574626f782d6b65792d666f722d74657374732d6f6e6c792d303132333435",
  PHONEAUTH_TOKEN_KEY: "746f6b656e2d6b65792d666f722d74657374732d6f6e6c792d30313233343536",
  PHONEAUTH_PWHASH_OPS: "1",
  PHONEAUTH_PWHASH_MEM_KIB: "8",
  // ASan builds: the services' leak checks belong to ctest, not to these runs.
  ASAN_OPTIONS: "detect_leaks=0",
};

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const procs = new Set();

/** A child process with its output in TMP/<tag>.log; `out` holds what it printed. */
export function startProc(tag, bin, args, env) {
  mkdirSync(TMP, { recursive: true });
  const logPath = join(TMP, `${tag}.log`);
  const log = openSync(logPath, "a");
  const child = spawn(bin, args, { env: { PATH: process.env.PATH, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const p = { tag, child, logPath, out: "", exited: false, listeners: new Set() };
  const onData = (b) => {
    writeFileSync(log, b);
    p.out += b.toString();
    for (const f of p.listeners) f();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  child.on("exit", () => {
    p.exited = true;
    procs.delete(p);
  });
  procs.add(p);
  return p;
}

export async function stopProc(p, signal = "SIGTERM") {
  if (p === undefined || p.exited) return;
  const gone = new Promise((r) => p.child.once("exit", r));
  p.child.kill(signal);
  const t = setTimeout(() => p.child.kill("SIGKILL"), 5000);
  await gone;
  clearTimeout(t);
}

process.on("exit", () => {
  for (const p of procs) p.child.kill("SIGKILL");
});

let pgUrlBase;
function pgStart() {
  if (pgUrlBase) return;
  execFileSync("bash", [join(SOURCE_DIR, "tests/support/pgcluster.sh"), "start", PGDIR], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  pgUrlBase = true;
}

export function pgDestroy() {
  execFileSync("bash", [join(SOURCE_DIR, "tests/support/pgcluster.sh"), "destroy", PGDIR], { stdio: "inherit" });
  pgUrlBase = undefined;
}

function newDb(name) {
  pgStart();
  return execFileSync("bash", [join(SOURCE_DIR, "tests/support/pgcluster.sh"), "newdb", PGDIR, name], {
    encoding: "utf8",
  }).trim();
}

/** Runs SQL as the phoneauth role on `db`. */
export function psql(db, sql) {
  return execFileSync("psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", db, "-c", sql], { encoding: "utf8" }).trim();
}

/** The fake Twilio: the codes it received, by the last four digits of the number. */
export class FakeTwilio {
  static async start() {
    const f = new FakeTwilio();
    f.listen = `127.0.0.1:${await freePort()}`;
    f.proc = startProc("fake_twilio", BIN.fake, ["--listen", f.listen], TWILIO);
    await f.waitFor(() => f.proc.out.includes("serving TWILIO_API_BASE="), 10000, "the fake Twilio to start");
    f.base = `http://${f.listen}`;
    return f;
  }

  /** Every code sent to a number ending in `phone`'s last four digits, oldest first. */
  codes(phone) {
    const tail = phone.slice(-4);
    const out = [];
    for (const m of this.proc.out.matchAll(/^to=(\S+) body=\D*(\d{4,10})/gm)) if (m[1].endsWith(tail)) out.push(m[2]);
    return out;
  }

  /** Waits for the n-th code (1-based) sent to `phone` and returns it. */
  async code(phone, n = 1, ms = 15000) {
    await this.waitFor(() => this.codes(phone).length >= n, ms, `code #${n} for ${phone}`);
    return this.codes(phone)[n - 1];
  }

  async waitFor(cond, ms, what) {
    const end = Date.now() + ms;
    while (!cond()) {
      if (this.proc.exited) throw new Error(`the fake Twilio exited; log ${this.proc.logPath}`);
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; log ${this.proc.logPath}`);
      await sleep(25);
    }
  }

  stop() {
    return stopProc(this.proc);
  }
}

/**
 * One phoneauth-auth (and, unless noWorker, one phoneauth-sms-worker) on a fresh database.
 * opts: { name, profile, env, rpcUrl, fake, noWorker, clientToken } (clientToken: the Auth
 * listener requires it, and the health check sends it)
 */
export class Stack {
  static async start(opts) {
    const s = new Stack();
    s.name = opts.name;
    s.tls = opts.tlsClient;
    s.tlsClient = opts.tlsClient;
    s.clientToken = opts.clientToken;
    s.db = newDb(opts.name);
    execFileSync(BIN.auth, ["migrate"], {
      env: { PATH: process.env.PATH, ...SERVICE_ENV, DATABASE_URL: s.db, PHONEAUTH_MIGRATIONS_DIR: join(SOURCE_DIR, "migrations") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    s.rpcUrl = opts.rpcUrl ?? `tcp://127.0.0.1:${await freePort()}`;
    s.adminUrl = `tcp://127.0.0.1:${await freePort()}`;
    s.jobsUrl = `tcp://127.0.0.1:${await freePort()}`;
    s.env = {
      ...SERVICE_ENV,
      DATABASE_URL: s.db,
      PHONEAUTH_RPC_URL: s.rpcUrl,
      PHONEAUTH_ADMIN_URL: s.adminUrl,
      PHONEAUTH_JOBS_URL: s.jobsUrl,
      PHONEAUTH_HTTP: `127.0.0.1:${await freePort()}`,
      PHONEAUTH_PROFILE: opts.profile ?? "fancy-feathers",
      PHONEAUTH_ADMIN_TOKEN: ADMIN_TOKEN,
      PHONEAUTH_DEFAULT_REGION: "US",
      PHONEAUTH_LOG_LEVEL: "debug",
      // The tests name end-user IPs without a client token.
      PHONEAUTH_TRUST_END_USER_IP: "true",
      PHONEAUTH_RESEND_COOLDOWN: "1s",
      PHONEAUTH_MIGRATIONS_DIR: join(SOURCE_DIR, "migrations"),
      ...(opts.clientToken ? { PHONEAUTH_CLIENT_TOKEN: opts.clientToken } : {}),
      ...(opts.env ?? {}),
    };
    if (opts.noWorker) {
      // StartSignup needs a live worker row (tests/support/smskit.c does the same).
      psql(s.db, "INSERT INTO sms_workers VALUES ('nodetest', 'test', 1, now(), now() + interval '1 day')");
    } else {
      const whttp = await freePort();
      s.worker = startProc(`${s.name}_worker`, BIN.worker, [], {
        ...SERVICE_ENV,
        ...TWILIO,
        DATABASE_URL: s.db,
        PHONEAUTH_JOBS_URL: s.jobsUrl,
        TWILIO_API_BASE: opts.fake.base,
        PHONEAUTH_SMS_BACKEND: "twilio",
        TWILIO_MESSAGING_SERVICE_SID: "MG00000000000000000000000000000003",
        PHONEAUTH_LEASE: "5s",
        PHONEAUTH_SWEEP: "1s",
        PHONEAUTH_HEARTBEAT: "1s",
        PHONEAUTH_TWILIO_TIMEOUT: "3s",
        PHONEAUTH_TWILIO_CONNECT_TIMEOUT: "1s",
        PHONEAUTH_WORKER_HTTP: `127.0.0.1:${whttp}`,
        PHONEAUTH_STATUS_CALLBACK_URL: `http://127.0.0.1:${whttp}/twilio/status`,
      });
    }
    await s.startAuth();
    return s;
  }

  async startAuth() {
    this.auth = startProc(`${this.name}_auth`, BIN.auth, ["serve"], this.env);
    await this.waitHealthy();
  }

  async restartAuth() {
    await stopProc(this.auth);
    await this.startAuth();
  }

  /** Waits until the auth log says it listens (a Health through the client would hide bugs). */
  async waitHealthy(ms = 20000) {
    const { Auth } = await import("../../dist/esm/index.js");
    const c = new Auth({ url: this.rpcUrl, timeoutMs: 500, tls: this.tls, clientToken: this.clientToken });
    const end = Date.now() + ms;
    try {
      for (;;) {
        if (this.auth.exited) throw new Error(`${this.name} auth exited; log ${this.auth.logPath}`);
        if (this.worker?.exited) throw new Error(`${this.name} worker exited; log ${this.worker.logPath}`);
        try {
          const h = await c.health();
          if (this.worker === undefined || h.smsWorkerAlive) return;
        } catch {}
        if (Date.now() > end) throw new Error(`${this.name} auth not healthy; log ${this.auth.logPath}`);
        await sleep(100);
      }
    } finally {
      c.close();
    }
  }

  async stop() {
    await stopProc(this.auth);
    await stopProc(this.worker);
  }
}

/** A fresh US mobile number per call, in +1 201 555 xxxx (distinct last four digits). */
let phoneSeq = 3000 + (process.pid % 1000) * 5;
export function newPhone() {
  return `+1201555${String(phoneSeq++ % 10000).padStart(4, "0")}`;
}

let ipSeq = 1;
export function newIp() {
  const n = ipSeq++;
  return `198.51.${100 + ((n >> 8) & 0x1f)}.${n & 0xff}`;
}

export function readText(p) {
  return readFileSync(p, "utf8");
}
