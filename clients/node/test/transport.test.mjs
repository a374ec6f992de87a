// transport.test.mjs: the SP side. A real phoneauth-auth over tls+tcp:// (with and without client
// certificates) and ipc://, restarted under a client; 1 000 calls at once over one client; and a
// fake REP peer written here that times out, drops, truncates and garbles replies: each call
// ends with a clear PhoneauthError, none hangs, none is resent.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

import { fromBinary } from "@bufbuild/protobuf";
import { Auth, PhoneauthError, RequestEnvelopeSchema } from "../dist/esm/index.js";
import { Stack, TMP, freePort } from "./support/stack.mjs";

async function refused(p, want) {
  const e = await p.then(
    () => assert.fail("the call succeeded"),
    (e) => e,
  );
  assert.ok(e instanceof PhoneauthError, `not a PhoneauthError: ${e?.stack ?? e}`);
  for (const [k, v] of Object.entries(want)) assert.equal(e[k], v, `${k}: ${e[k]} (${e.detail})`);
  return e;
}

const REP_HEADER = Buffer.from([0, 0x53, 0x50, 0, 0, 0x31, 0, 0]);

/** A fake REP peer: answers the SP header with `header`, then gives each request to `onRequest`. */
async function fakePeer(onRequest, header = REP_HEADER) {
  const port = await freePort();
  const peer = { url: `tcp://127.0.0.1:${port}`, requests: [], sockets: new Set() };
  peer.server = createServer((sock) => {
    peer.sockets.add(sock);
    sock.on("close", () => peer.sockets.delete(sock));
    sock.on("error", () => {});
    sock.write(header);
    let buf = Buffer.alloc(0);
    sock.on("data", (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 8 && !sock.shook) {
        sock.shook = true;
        buf = buf.subarray(8);
      }
      while (sock.shook && buf.length >= 8) {
        const len = Number(buf.readBigUInt64BE(0));
        if (buf.length < 8 + len) break;
        const msg = buf.subarray(8, 8 + len);
        buf = buf.subarray(8 + len);
        const req = { idTag: msg.subarray(0, 4), env: fromBinary(RequestEnvelopeSchema, msg.subarray(4)), at: Date.now() };
        peer.requests.push(req);
        onRequest(sock, req);
      }
    });
  });
  await new Promise((r) => peer.server.listen(port, "127.0.0.1", r));
  peer.close = () =>
    new Promise((r) => {
      for (const s of peer.sockets) s.destroy();
      peer.server.close(r);
    });
  return peer;
}

function frame(...parts) {
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(8);
  h.writeBigUInt64BE(BigInt(body.length));
  return Buffer.concat([h, body]);
}

describe("a fake REP peer", () => {
  const opts = { timeoutMs: 800, reconnectMinMs: 20 };

  test("no reply: DEADLINE_EXCEEDED at the deadline, which the envelope carried", async () => {
    const peer = await fakePeer(() => {});
    const c = new Auth({ url: peer.url, ...opts });
    try {
      const t0 = Date.now();
      await refused(c.health({}, { timeoutMs: 300 }), { code: "DEADLINE_EXCEEDED", reason: "CLIENT_TIMEOUT", fromServer: false });
      const took = Date.now() - t0;
      assert.ok(took >= 280 && took < 1500, `took ${took} ms`);
      const r = peer.requests[0];
      assert.equal(r.env.method, "/phoneauth.v1.Auth/Health");
      assert.ok(Math.abs(Number(r.env.deadlineUnixMs) - (t0 + 300)) < 200);
      assert.ok(r.idTag[0] & 0x80, "the request id has its top bit set");
    } finally {
      c.close();
      await peer.close();
    }
  });

  test("abort: CANCELLED at once, and never resent", async () => {
    const peer = await fakePeer(() => {});
    const c = new Auth({ url: peer.url, ...opts });
    try {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const t0 = Date.now();
      await refused(c.startSignup({ subscriptionId: "s", phone: "+12015550100" }, { signal: ac.signal }), {
        code: "CANCELLED",
        reason: "ABORTED",
      });
      assert.ok(Date.now() - t0 < 500);
      await refused(c.health({}, { signal: AbortSignal.abort() }), { reason: "ABORTED" });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(peer.requests.length, 1);
    } finally {
      c.close();
      await peer.close();
    }
  });

  test("the connection drops with the call in flight: CONNECTION_LOST, not resent", async () => {
    const peer = await fakePeer((sock) => sock.destroy());
    const c = new Auth({ url: peer.url, ...opts });
    try {
      await refused(c.registerAccount({ email: "a@example.com", password: "x", phone: "+12015550101" }), {
        code: "UNAVAILABLE",
        reason: "CONNECTION_LOST",
      });
      await new Promise((r) => setTimeout(r, 300)); // the client reconnects meanwhile
      assert.equal(peer.requests.length, 1);
    } finally {
      c.close();
      await peer.close();
    }
  });

  test("a truncated reply (the peer closes mid-frame): CONNECTION_LOST", async () => {
    const peer = await fakePeer((sock, req) => {
      const f = frame(req.idTag, Buffer.alloc(100));
      sock.end(f.subarray(0, 40));
    });
    const c = new Auth({ url: peer.url, ...opts });
    try {
      await refused(c.health(), { reason: "CONNECTION_LOST" });
    } finally {
      c.close();
      await peer.close();
    }
  });

  test("garbage in the reply's body: BAD_REPLY", async () => {
    const peer = await fakePeer((sock, req) => sock.write(frame(req.idTag, Buffer.alloc(12, 0xff))));
    const c = new Auth({ url: peer.url, ...opts });
    try {
      const e = await refused(c.health(), { code: "INTERNAL", reason: "BAD_REPLY", fromServer: false });
      assert.match(e.detail, /not a ResponseEnvelope/);
      assert.equal(e.message, "The service is unavailable. Please try again.");
      // The connection is still good for the next call.
      await refused(c.health(), { reason: "BAD_REPLY" });
    } finally {
      c.close();
      await peer.close();
    }
  });

  test("a reply over the size limit: MESSAGE_TOO_LARGE, at once", async () => {
    const peer = await fakePeer((sock) => {
      const h = Buffer.alloc(8);
      h.writeBigUInt64BE(1n << 40n);
      sock.write(h);
    });
    const c = new Auth({ url: peer.url, ...opts, maxMessageBytes: 65536 });
    try {
      await refused(c.health(), { reason: "MESSAGE_TOO_LARGE" });
    } finally {
      c.close();
      await peer.close();
    }
  });

  test("a stray reply id and a short reply are ignored; the call ends at its deadline", async () => {
    const peer = await fakePeer((sock, req) => {
      const other = Buffer.from(req.idTag);
      other[3] ^= 1;
      sock.write(frame(other, Buffer.from([8, 1])));
      sock.write(frame(Buffer.from([1, 2])));
    });
    const c = new Auth({ url: peer.url, ...opts });
    try {
      await refused(c.health({}, { timeoutMs: 300 }), { reason: "CLIENT_TIMEOUT" });
    } finally {
      c.close();
      await peer.close();
    }
  });

  test("not an SP peer, or not REP: BAD_REPLY at once", async () => {
    for (const header of [Buffer.from("HTTP/1.1"), Buffer.from([0, 0x53, 0x50, 0, 0, 0x30, 0, 0])]) {
      const peer = await fakePeer(() => {}, header);
      const c = new Auth({ url: peer.url, ...opts, timeoutMs: 5000 });
      try {
        const t0 = Date.now();
        const e = await refused(c.health(), { reason: "BAD_REPLY" });
        assert.ok(Date.now() - t0 < 1000);
        assert.match(e.detail, /not an SP peer|not REP/);
      } finally {
        c.close();
        await peer.close();
      }
    }
  });

  test("nothing listening: NOT_CONNECTED at the deadline, with the socket error", async () => {
    const c = new Auth({ url: `tcp://127.0.0.1:${await freePort()}`, ...opts });
    try {
      const e = await refused(c.health({}, { timeoutMs: 300 }), { code: "UNAVAILABLE", reason: "NOT_CONNECTED" });
      assert.match(e.detail, /ECONNREFUSED/);
    } finally {
      c.close();
    }
  });

  test("bad URLs and options are refused when the client is made", () => {
    assert.throws(() => new Auth({ url: "http://x" }), /unsupported url/);
    assert.throws(() => new Auth({ url: "tcp://nohost" }), /host:port/);
  });
});

describe("a real phoneauth-auth", () => {
  let tcp, ipc, tls, mtls;
  const dir = join(TMP, "certs");

  before(async () => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    // As tests/integration/test_tls.c: two CAs, a server and a client certificate from CA 1.
    execFileSync(
      "bash",
      [
        "-c",
        `set -e; cd "$1"
o() { openssl "$@" 2>/dev/null; }
for ca in ca1 ca2; do
  o req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=phoneauth test $ca" -keyout $ca.key -out $ca.pem
done
for n in server client; do
  o req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" -keyout $n.key -out $n.csr
  printf 'subjectAltName=DNS:localhost\\n' > $n.ext
  o x509 -req -in $n.csr -CA ca1.pem -CAkey ca1.key -CAcreateserial -days 2 -extfile $n.ext -out $n.pem
done`,
        "certs",
        dir,
      ],
      { stdio: "inherit" },
    );
    const certEnv = { PHONEAUTH_TLS_CERT: join(dir, "server.pem"), PHONEAUTH_TLS_KEY: join(dir, "server.key") };
    tcp = await Stack.start({ name: "node_tr_tcp", noWorker: true });
    ipc = await Stack.start({ name: "node_tr_ipc", noWorker: true, rpcUrl: `ipc://${join(TMP, "auth.sock")}` });
    tls = await Stack.start({
      name: "node_tr_tls",
      noWorker: true,
      rpcUrl: `tls+tcp://127.0.0.1:${await freePort()}`,
      env: certEnv,
      tlsClient: { ca: readFileSync(join(dir, "ca1.pem")), serverName: "localhost" },
    });
    mtls = await Stack.start({
      name: "node_tr_mtls",
      noWorker: true,
      rpcUrl: `tls+tcp://127.0.0.1:${await freePort()}`,
      env: { ...certEnv, PHONEAUTH_TLS_CA: join(dir, "ca1.pem") },
      tlsClient: {
        ca: readFileSync(join(dir, "ca1.pem")),
        cert: readFileSync(join(dir, "client.pem")),
        key: readFileSync(join(dir, "client.key")),
        serverName: "localhost",
      },
    });
  });

  after(async () => {
    for (const s of [tcp, ipc, tls, mtls]) await s?.stop();
  });

  test("ipc://", async () => {
    const c = new Auth({ url: ipc.rpcUrl });
    try {
      assert.equal((await c.health()).databaseOk, true);
    } finally {
      c.close();
    }
  });

  test("tls+tcp:// with the right CA; another CA gets no connection", async () => {
    const c = new Auth({ url: tls.rpcUrl, tls: tls.tlsClient });
    const bad = new Auth({ url: tls.rpcUrl, tls: { ca: readFileSync(join(dir, "ca2.pem")), serverName: "localhost" } });
    try {
      assert.equal((await c.health()).databaseOk, true);
      const e = await refused(bad.health({}, { timeoutMs: 500 }), { reason: "NOT_CONNECTED" });
      assert.match(e.detail, /certificate/i);
    } finally {
      c.close();
      bad.close();
    }
  });

  test("tls+tcp:// with a client certificate (mutual TLS); none gets no answer", async () => {
    const c = new Auth({ url: mtls.rpcUrl, tls: mtls.tlsClient });
    const { cert, key, ...noCert } = mtls.tlsClient;
    const bad = new Auth({ url: mtls.rpcUrl, tls: noCert });
    try {
      assert.equal((await c.health()).databaseOk, true);
      await refused(bad.health({}, { timeoutMs: 500 }), { code: "UNAVAILABLE" });
    } finally {
      c.close();
      bad.close();
    }
  });

  test("1000 calls at once over one client", async () => {
    const c = new Auth({ url: tcp.rpcUrl, timeoutMs: 30000 });
    try {
      const replies = await Promise.all(Array.from({ length: 1000 }, () => c.health()));
      assert.equal(replies.length, 1000);
      assert.ok(replies.every((r) => r.databaseOk));
    } finally {
      c.close();
    }
  });

  test("the server restarted under the client: the next call waits for the reconnect", async () => {
    const c = new Auth({ url: tcp.rpcUrl, timeoutMs: 20000, reconnectMinMs: 50, reconnectMaxMs: 500 });
    try {
      await c.health();
      await tcp.restartAuth();
      assert.equal((await c.health()).databaseOk, true);
      // And while it is down: the call waits, then succeeds once it is back.
      const down = tcp.auth;
      const { stopProc } = await import("./support/stack.mjs");
      await stopProc(down);
      const pending = c.health();
      await new Promise((r) => setTimeout(r, 300));
      await tcp.startAuth();
      assert.equal((await pending).databaseOk, true);
    } finally {
      c.close();
    }
  });
});
