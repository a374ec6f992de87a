// sp.ts: the REQ side of NNG's scalability protocols (SP), written from nanomsg's rfc/ texts:
// sp-tcp-mapping-01 (8-byte protocol header, then u64 big-endian length + message),
// sp-ipc-mapping-01 (the same over AF_UNIX, each message preceded by the type byte 0x01),
// sp-tls-mapping-01 (the TCP mapping inside TLS) and sp-request-reply-01 (a 32-bit request id
// with the top bit set in front of each request, copied back in front of its reply).
//
// One SpPipe is one connection. It keeps the calls it carries in a map by request id, so many
// requests are in flight on one connection at once (the server's REP socket answers them from
// many contexts, in any order). A pipe never resends: when it closes, every call on it fails.
import * as net from "node:net";
import * as tls from "node:tls";

/** Protocol ids (sp-protocol-ids-01): REQ is 3 << 4, REP 3 << 4 | 1. */
export const SP_PROTO_REQ = 0x30;
export const SP_PROTO_REP = 0x31;

const HEADER = Buffer.from([0x00, 0x53, 0x50, 0x00, SP_PROTO_REQ >> 8, SP_PROTO_REQ & 0xff, 0, 0]);
const IPC_INBAND = 0x01;

export type Scheme = "tcp" | "tls+tcp" | "ipc";

export interface Endpoint {
  scheme: Scheme;
  host: string;
  port: number;
  path: string; // ipc
  url: string;
}

export interface TlsOptions {
  /** PEM: the CA (or CAs) that signed the server's certificate; default the system's. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** PEM client certificate and key, for a listener that asks for them (mutual TLS). */
  cert?: string | Buffer;
  key?: string | Buffer;
  /** The name the server's certificate must carry; default the URL's host. */
  serverName?: string;
  /** Default true. Turn off only in a test. */
  rejectUnauthorized?: boolean;
}

/**
 * Parses "tcp://host:port", "tls+tcp://host:port", "ipc:///path/to/socket" (NNG's forms; a
 * bracketed IPv6 host is allowed).
 */
export function parseEndpoint(url: string): Endpoint {
  const m = /^(tcp|tls\+tcp|ipc):\/\/(.*)$/.exec(url);
  if (m === null) throw new TypeError(`phoneauth: unsupported url '${url}' (tcp://, tls+tcp://, ipc://)`);
  const scheme = m[1] as Scheme;
  const rest = m[2]!;
  if (scheme === "ipc") {
    if (rest === "") throw new TypeError(`phoneauth: ipc url without a path: '${url}'`);
    return { scheme, host: "", port: 0, path: rest, url };
  }
  const hp = /^(?:\[([^\]]+)\]|([^:/\[\]]+)):(\d{1,5})$/.exec(rest);
  if (hp === null) throw new TypeError(`phoneauth: expected ${scheme}://host:port, got '${url}'`);
  const port = Number(hp[3]);
  if (port < 1 || port > 65535) throw new TypeError(`phoneauth: bad port in '${url}'`);
  return { scheme, host: (hp[1] ?? hp[2])!, port, path: "", url };
}

/** Why a pipe closed, given to every call still on it. */
export interface PipeFailure {
  kind: "lost" | "protocol" | "too_large" | "closed";
  detail: string;
}

export interface PipeCall {
  /** The reply's body (after the request id). */
  resolve(body: Buffer): void;
  fail(why: PipeFailure): void;
}

export interface PipeOptions {
  endpoint: Endpoint;
  tls?: TlsOptions;
  maxMessageBytes: number;
  keepAliveMs: number;
  connectTimeoutMs: number;
}

type PipeState = "connecting" | "handshake" | "ready" | "closed";

/** One SP connection speaking REQ to a REP peer. */
export class SpPipe {
  private state: PipeState = "connecting";
  private readonly sock: net.Socket;
  private readonly calls = new Map<number, PipeCall>();
  private chunks: Buffer[] = [];
  private buffered = 0;
  private need = 0; // bytes of payload expected for the frame being read; 0 = reading a header
  private readonly ipc: boolean;
  private connectTimer: NodeJS.Timeout | undefined;
  private failure: PipeFailure | undefined;

  /** Called once, when the peer's header was accepted. */
  onReady: () => void = () => {};
  /** Called once, when the pipe closed for any reason (before or after it was ready). */
  onClose: (why: PipeFailure) => void = () => {};

  constructor(private readonly o: PipeOptions) {
    const ep = o.endpoint;
    this.ipc = ep.scheme === "ipc";
    if (ep.scheme === "tls+tcp") {
      const t = o.tls ?? {};
      const servername = t.serverName ?? (net.isIP(ep.host) === 0 ? ep.host : undefined);
      this.sock = tls.connect({
        host: ep.host,
        port: ep.port,
        ca: t.ca,
        cert: t.cert,
        key: t.key,
        servername,
        rejectUnauthorized: t.rejectUnauthorized ?? true,
        // With an IP in the URL and a serverName given, check the certificate against the name.
        checkServerIdentity: (host, cert) => tls.checkServerIdentity(t.serverName ?? host, cert),
      });
      this.sock.once("secureConnect", () => this.connected());
    } else if (ep.scheme === "tcp") {
      this.sock = net.connect({ host: ep.host, port: ep.port });
      this.sock.once("connect", () => this.connected());
    } else {
      this.sock = net.connect({ path: ep.path });
      this.sock.once("connect", () => this.connected());
    }
    this.connectTimer = setTimeout(
      () => this.close({ kind: "lost", detail: `connect to ${ep.url}: timed out after ${o.connectTimeoutMs} ms` }),
      o.connectTimeoutMs,
    );
    this.connectTimer.unref();
    this.sock.on("data", (b: Buffer) => this.data(b));
    this.sock.on("error", (e: NodeJS.ErrnoException) =>
      this.close({ kind: "lost", detail: `${ep.url}: ${e.code ?? ""} ${e.message}`.trim() }),
    );
    this.sock.on("close", () => this.close({ kind: "lost", detail: `${ep.url}: connection closed by the peer` }));
  }

  get ready(): boolean {
    return this.state === "ready";
  }

  private isClosed(): boolean {
    return this.state === "closed";
  }

  get inFlight(): number {
    return this.calls.size;
  }

  /** Keeps the process alive only while calls are in flight. */
  private refresh(): void {
    if (this.calls.size > 0) this.sock.ref();
    else this.sock.unref();
  }

  private connected(): void {
    if (this.state !== "connecting") return;
    if (!this.ipc) {
      this.sock.setNoDelay(true);
      this.sock.setKeepAlive(true, this.o.keepAliveMs);
    }
    this.state = "handshake";
    this.sock.write(HEADER);
    this.refresh();
  }

  /**
   * Sends one request: the 32-bit id (top bit set) and the body in one frame. The call's
   * resolve or fail runs exactly once, unless forget(id) runs first.
   */
  send(id: number, body: Uint8Array, call: PipeCall): void {
    if (this.state !== "ready") {
      call.fail(this.failure ?? { kind: "lost", detail: "not connected" });
      return;
    }
    const len = 4 + body.length;
    const pre = this.ipc ? 1 : 0;
    const head = Buffer.allocUnsafe(pre + 8 + 4);
    if (this.ipc) head[0] = IPC_INBAND;
    head.writeUInt32BE(Math.floor(len / 0x100000000), pre);
    head.writeUInt32BE(len >>> 0, pre + 4);
    head.writeUInt32BE((id | 0x80000000) >>> 0, pre + 8);
    this.calls.set(id, call);
    this.refresh();
    this.sock.cork();
    this.sock.write(head);
    this.sock.write(body);
    this.sock.uncork();
  }

  /** Drops a call (timed out or aborted): a reply that comes later is ignored. */
  forget(id: number): void {
    this.calls.delete(id);
    this.refresh();
  }

  close(why: PipeFailure = { kind: "closed", detail: "closed" }): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.failure = why;
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.sock.destroy();
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const c of calls) c.fail(why);
    this.chunks = [];
    this.onClose(why);
  }

  private take(n: number): Buffer {
    let out: Buffer;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      const all = Buffer.concat(this.chunks);
      out = all.subarray(0, n);
      this.chunks = all.length > n ? [all.subarray(n)] : [];
    }
    this.buffered -= n;
    return out;
  }

  private data(b: Buffer): void {
    if (this.state === "closed") return;
    this.chunks.push(b);
    this.buffered += b.length;
    while (!this.isClosed()) {
      if (this.state === "handshake") {
        if (this.buffered < 8) return;
        const h = this.take(8);
        const proto = h.readUInt16BE(4);
        if (h[0] !== 0 || h[1] !== 0x53 || h[2] !== 0x50 || h[3] !== 0 || h[6] !== 0 || h[7] !== 0) {
          this.close({ kind: "protocol", detail: `${this.o.endpoint.url}: not an SP peer (header ${h.toString("hex")})` });
          return;
        }
        if (proto !== SP_PROTO_REP) {
          this.close({
            kind: "protocol",
            detail: `${this.o.endpoint.url}: the peer speaks SP protocol 0x${proto.toString(16)}, not REP (0x31)`,
          });
          return;
        }
        if (this.connectTimer) clearTimeout(this.connectTimer);
        this.connectTimer = undefined;
        this.state = "ready";
        this.onReady();
        continue;
      }
      if (this.need === 0) {
        const hl = this.ipc ? 9 : 8;
        if (this.buffered < hl) return;
        const h = this.take(hl);
        if (this.ipc && h[0] !== IPC_INBAND) {
          this.close({ kind: "protocol", detail: `${this.o.endpoint.url}: IPC message type ${h[0]}, not 1` });
          return;
        }
        const hi = h.readUInt32BE(hl - 8);
        const lo = h.readUInt32BE(hl - 4);
        if (hi !== 0 || lo > this.o.maxMessageBytes) {
          this.close({
            kind: "too_large",
            detail: `${this.o.endpoint.url}: a reply of ${hi * 0x100000000 + lo} bytes, over the ${this.o.maxMessageBytes}-byte limit`,
          });
          return;
        }
        if (lo === 0) {
          // An empty message has no request id: malformed, ignored (sp-request-reply-01).
          continue;
        }
        this.need = lo;
      }
      if (this.buffered < this.need) return;
      const msg = this.take(this.need);
      this.need = 0;
      this.reply(msg);
    }
  }

  // sp-request-reply-01: a reply shorter than 32 bits, or whose first tag lacks the top bit, is
  // malformed and ignored; so is one whose id matches no call in flight (a late reply).
  private reply(msg: Buffer): void {
    if (msg.length < 4) return;
    const tag = msg.readUInt32BE(0);
    if ((tag & 0x80000000) === 0) return;
    const id = (tag & 0x7fffffff) >>> 0;
    const call = this.calls.get(id);
    if (call === undefined) return;
    this.calls.delete(id);
    this.refresh();
    call.resolve(msg.subarray(4));
  }
}
