// web.mjs: the HTTP plumbing the pages share, on Node's standard library only: cookies, form
// bodies, CSRF tokens, the per-browser flow state between pages, and the end user's IP.
import { randomBytes, timingSafeEqual } from "node:crypto";

// site_device: the remembered-device token phoneauth gave after a login code (second factor,
// new-device); phoneauth keeps only its hash, the browser keeps it out of every script's reach.
export const COOKIE = { session: "site_session", flow: "site_flow", csrf: "site_csrf", device: "site_device" };
const MAX_BODY = 16 * 1024;
const FLOW_TTL_MS = 30 * 60 * 1000;

export function parseCookies(header) {
  const out = {};
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    try {
      out[k] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      /* a cookie we did not write */
    }
  }
  return out;
}

/** One Set-Cookie value: always HttpOnly and SameSite=Lax, Secure when the site is on https. */
export function cookie(name, value, { secure, maxAgeS } = {}) {
  let c = `${name}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Lax`;
  if (secure) c += "; Secure";
  if (maxAgeS !== undefined) c += `; Max-Age=${Math.max(0, Math.floor(maxAgeS))}`;
  return c;
}

/** The urlencoded form of a POST, at most 16 KiB. */
export function readForm(req) {
  return new Promise((resolve, reject) => {
    const type = req.headers["content-type"] ?? "";
    if (!type.startsWith("application/x-www-form-urlencoded")) {
      req.resume();
      resolve({});
      return;
    }
    let size = 0;
    const chunks = [];
    req.on("data", (b) => {
      size += b.length;
      if (size > MAX_BODY) {
        reject(Object.assign(new Error("form too large"), { status: 413 }));
        req.destroy();
      } else chunks.push(b);
    });
    req.on("end", () => resolve(Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")))));
    req.on("error", reject);
  });
}

export const newToken = () => randomBytes(32).toString("base64url");

/** Constant-time comparison of two CSRF tokens (double submit: the cookie and the form field). */
export function csrfOk(cookieToken, formToken) {
  if (typeof cookieToken !== "string" || typeof formToken !== "string") return false;
  const a = Buffer.from(cookieToken);
  const b = Buffer.from(formToken);
  return a.length === b.length && a.length >= 32 && timingSafeEqual(a, b);
}

/**
 * What a browser is in the middle of (the verification id, when Resend wakes up, the signup
 * token between the OTP page and create-password, a message for the next page), kept in memory
 * under a random id in an HttpOnly cookie. A site with several instances would keep this in its
 * own session store.
 */
export class Flows {
  #m = new Map();

  get(id) {
    const f = id && this.#m.get(id);
    if (!f) return undefined;
    if (f.expires < Date.now()) {
      this.#m.delete(id);
      return undefined;
    }
    f.expires = Date.now() + FLOW_TTL_MS;
    return f.data;
  }

  create() {
    if (this.#m.size > 100000) this.sweep();
    const id = newToken();
    const data = {};
    this.#m.set(id, { data, expires: Date.now() + FLOW_TTL_MS });
    return { id, data };
  }

  sweep() {
    const now = Date.now();
    for (const [k, v] of this.#m) if (v.expires < now) this.#m.delete(k);
  }
}

/**
 * The end user's IP: the socket's peer, or with trustProxy the last address the proxy added to
 * X-Forwarded-For (a client can put anything before it).
 */
export function endUserIp(req, trustProxy) {
  let ip = req.socket.remoteAddress ?? "";
  if (trustProxy) {
    const xff = String(req.headers["x-forwarded-for"] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    if (xff.length > 0) ip = xff[xff.length - 1];
  }
  return ip.startsWith("::ffff:") ? ip.slice(7) : ip;
}
