// transport.ts: a small pool of SP REQ connections to one URL. Each call goes to the ready
// connection with the fewest calls in flight; a connection that closes comes back with
// exponential backoff. Calls are never resent: a call whose connection closed fails with
// CONNECTION_LOST, and one that finds no connection waits for one until its deadline.
import { randomInt } from "node:crypto";

import { clientError, type PhoneauthError } from "./errors.js";
import { parseEndpoint, SpPipe, type Endpoint, type PipeFailure, type TlsOptions } from "./sp.js";

export interface TransportOptions {
  /** "tcp://host:port", "tls+tcp://host:port" or "ipc:///path". */
  url: string;
  /** Required in practice for tls+tcp:// with a private CA. */
  tls?: TlsOptions;
  /** Connections kept open to the URL (default 2). Each carries many calls at once. */
  connections?: number;
  /** The largest request or reply accepted, in bytes (default 4 MiB, the server's default). */
  maxMessageBytes?: number;
  /** TCP keepalive's initial delay (default 30 000 ms). */
  keepAliveMs?: number;
  /** Time for TCP (+ TLS) and the SP header exchange (default 5 000 ms). */
  connectTimeoutMs?: number;
  /** Reconnect backoff: first delay and cap (defaults 100 ms and 5 000 ms), with jitter. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

interface Slot {
  pipe: SpPipe | undefined;
  attempts: number;
  timer: NodeJS.Timeout | undefined;
}

interface Waiter {
  dispatch(pipe: SpPipe): void;
  fail(e: PhoneauthError): void;
}

export class Transport {
  readonly endpoint: Endpoint;
  private readonly slots: Slot[];
  private readonly waiters = new Set<Waiter>();
  private readonly maxBytes: number;
  private nextId = randomInt(0, 0x7fffffff);
  private started = false;
  private closed = false;
  private lastError = "";

  constructor(private readonly o: TransportOptions) {
    this.endpoint = parseEndpoint(o.url);
    const n = Math.max(1, Math.min(64, o.connections ?? 2));
    this.slots = Array.from({ length: n }, () => ({ pipe: undefined, attempts: 0, timer: undefined }));
    this.maxBytes = o.maxMessageBytes ?? 4 * 1024 * 1024;
  }

  /** Connections ready now. */
  get readyConnections(): number {
    return this.slots.filter((s) => s.pipe?.ready).length;
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    for (const s of this.slots) this.open(s);
  }

  private open(s: Slot): void {
    s.timer = undefined;
    if (this.closed) return;
    const pipe = new SpPipe({
      endpoint: this.endpoint,
      tls: this.o.tls,
      maxMessageBytes: this.maxBytes,
      keepAliveMs: this.o.keepAliveMs ?? 30_000,
      connectTimeoutMs: this.o.connectTimeoutMs ?? 5_000,
    });
    s.pipe = pipe;
    let wasReady = false;
    pipe.onReady = () => {
      wasReady = true;
      s.attempts = 0;
      this.lastError = "";
      for (const w of [...this.waiters]) {
        this.waiters.delete(w);
        w.dispatch(this.pick() ?? pipe);
      }
    };
    pipe.onClose = (why) => {
      if (s.pipe === pipe) s.pipe = undefined;
      this.lastError = why.detail;
      // A peer that is not a phoneauth REP socket will not become one on reconnect: tell the
      // waiting calls now rather than at their deadline.
      if (!wasReady && why.kind !== "lost") {
        for (const w of [...this.waiters]) {
          this.waiters.delete(w);
          w.fail(pipeError(why, ""));
        }
      }
      if (this.closed) return;
      const base = this.o.reconnectMinMs ?? 100;
      const cap = this.o.reconnectMaxMs ?? 5_000;
      const delay = Math.min(cap, base * 2 ** Math.min(s.attempts, 16));
      s.attempts++;
      s.timer = setTimeout(() => this.open(s), wasReady ? base : delay / 2 + Math.random() * (delay / 2));
      s.timer.unref();
    };
  }

  private pick(): SpPipe | undefined {
    let best: SpPipe | undefined;
    for (const s of this.slots) {
      const p = s.pipe;
      if (p?.ready && (best === undefined || p.inFlight < best.inFlight)) best = p;
    }
    return best;
  }

  /**
   * Sends `body` as one request and resolves with the reply's body. Rejects with a
   * PhoneauthError: NOT_CONNECTED when no connection was ready by `deadline` (epoch ms),
   * CLIENT_TIMEOUT when the reply did not come by then, ABORTED on `signal`, CONNECTION_LOST
   * when the connection closed with the call in flight (the service may have run it).
   */
  roundTrip(method: string, body: Uint8Array, deadline: number, signal?: AbortSignal): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      if (this.closed) {
        reject(clientError("UNAVAILABLE", "CLIENT_CLOSED", method, "the client was closed"));
        return;
      }
      if (body.length + 4 > this.maxBytes) {
        reject(
          clientError(
            "INVALID_ARGUMENT",
            "MESSAGE_TOO_LARGE",
            method,
            `a request of ${body.length} bytes, over the ${this.maxBytes}-byte limit`,
            "The request is too large.",
          ),
        );
        return;
      }
      if (signal?.aborted) {
        reject(clientError("CANCELLED", "ABORTED", method, "aborted before it was sent", "The request was cancelled."));
        return;
      }
      const id = this.nextId;
      this.nextId = (this.nextId + 1) & 0x7fffffff;
      let pipe: SpPipe | undefined;
      let done = false;
      const finish = (): void => {
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.waiters.delete(waiter);
      };
      const fail = (e: PhoneauthError): void => {
        if (done) return;
        finish();
        pipe?.forget(id);
        reject(e);
      };
      const onAbort = (): void =>
        fail(
          clientError(
            "CANCELLED",
            "ABORTED",
            method,
            pipe ? "aborted while in flight (the service may still run it)" : "aborted before it was sent",
            "The request was cancelled.",
          ),
        );
      const timer = setTimeout(
        () => {
          if (pipe === undefined)
            fail(
              clientError(
                "UNAVAILABLE",
                "NOT_CONNECTED",
                method,
                `no connection to ${this.endpoint.url} in time${this.lastError ? `: ${this.lastError}` : ""}`,
              ),
            );
          else
            fail(
              clientError(
                "DEADLINE_EXCEEDED",
                "CLIENT_TIMEOUT",
                method,
                `no reply from ${this.endpoint.url} in time (the service may still run it)`,
                "The request took too long.",
              ),
            );
        },
        Math.max(1, deadline - Date.now()),
      );
      const waiter: Waiter = {
        dispatch: (p) => {
          if (done) return;
          pipe = p;
          p.send(id, body, {
            resolve: (reply) => {
              if (done) return;
              finish();
              resolve(reply);
            },
            fail: (why) => fail(pipeError(why, method)),
          });
        },
        fail,
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.start();
      const ready = this.pick();
      if (ready) waiter.dispatch(ready);
      else this.waiters.add(waiter);
    });
  }

  /** Closes every connection; calls in flight or waiting fail with CLIENT_CLOSED. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.waiters]) {
      this.waiters.delete(w);
      w.fail(clientError("UNAVAILABLE", "CLIENT_CLOSED", "", "the client was closed"));
    }
    for (const s of this.slots) {
      if (s.timer) clearTimeout(s.timer);
      s.pipe?.close({ kind: "closed", detail: "the client was closed" });
    }
  }
}

function pipeError(why: PipeFailure, method: string): PhoneauthError {
  switch (why.kind) {
    case "closed":
      return clientError("UNAVAILABLE", "CLIENT_CLOSED", method, why.detail);
    case "too_large":
      return clientError("INTERNAL", "MESSAGE_TOO_LARGE", method, why.detail);
    case "protocol":
      return clientError("INTERNAL", "BAD_REPLY", method, why.detail);
    default:
      return clientError("UNAVAILABLE", "CONNECTION_LOST", method, `${why.detail} (the service may have run the call)`);
  }
}
