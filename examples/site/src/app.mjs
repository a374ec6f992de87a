// app.mjs: the reference site. One http.Server, one Auth and one Admin client for the process,
// and the pages of the profile the service runs (PHONEAUTH_PROFILE): Fancy Feathers or LawnFlow.
// Every phoneauth call carries the end user's IP and user agent; every message a page shows is
// the service's, as it sent it; the phoneauth session token lives in an HttpOnly, SameSite=Lax
// cookie; every form carries a CSRF token.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { timingSafeEqual } from "node:crypto";

import { Admin, Auth, PhoneauthError, VerifiedFilter } from "@phoneauth/client";

import { COOKIE, Flows, cookie, csrfOk, endUserIp, newToken, parseCookies, readForm } from "./web.mjs";
import { csrfField, esc, html, layout, notice, when } from "./html.mjs";
import { fancyFeathers, lawnflow, remember, resend, resendForm } from "./profiles.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const STATIC = {
  "/static/site.js": ["text/javascript; charset=utf-8", readFileSync(join(here, "../public/site.js"))],
  "/static/site.css": ["text/css; charset=utf-8", readFileSync(join(here, "../public/site.css"))],
};

const SECURITY_HEADERS = {
  "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "same-origin",
  "X-Frame-Options": "DENY",
};

/**
 * opts: { profile, rpcUrl, adminUrl, clientToken, adminToken, adminPassword, secure,
 *         trustProxy, log }
 */
export function createSite(opts) {
  const profile = opts.profile === "lawnflow" ? lawnflow : fancyFeathers;
  const auth = new Auth({ url: opts.rpcUrl, clientToken: opts.clientToken || undefined, timeoutMs: 10000 });
  const admin = opts.adminToken ? new Admin({ url: opts.adminUrl, adminToken: opts.adminToken, timeoutMs: 10000 }) : undefined;
  const flows = new Flows();
  const log = opts.log ?? ((...a) => console.error(...a));
  const sweep = setInterval(() => flows.sweep(), 60000).unref();

  const routes = new Map();
  const site = {
    auth,
    admin,
    profile,
    route(method, path, fn) {
      routes.set(`${method} ${path}`, fn);
    },
  };
  profile.install(site);
  installShared(site);

  async function handle(req, res) {
    const url = new URL(req.url ?? "/", "http://site.invalid");
    const stat = req.method === "GET" && STATIC[url.pathname];
    if (stat) {
      res.writeHead(200, { "Content-Type": stat[0], "Cache-Control": "max-age=300", ...SECURITY_HEADERS });
      res.end(stat[1]);
      return;
    }
    const fn = routes.get(`${req.method} ${url.pathname}`);
    const cookies = parseCookies(req.headers.cookie);
    const setCookies = [];
    const ctx = {
      req,
      res,
      url,
      cookies,
      secure: opts.secure,
      call: { endUserIp: endUserIp(req, opts.trustProxy), userAgent: String(req.headers["user-agent"] ?? "") },
      setCookie: (c) => setCookies.push(c),
      form: {},
    };
    // The CSRF token: one per browser, in its own HttpOnly cookie and in every form.
    ctx.csrf = cookies[COOKIE.csrf];
    if (!ctx.csrf || ctx.csrf.length < 32) {
      ctx.csrf = newToken();
      ctx.setCookie(cookie(COOKIE.csrf, ctx.csrf, { secure: opts.secure }));
    }
    ctx.flowData = () => {
      let f = flows.get(cookies[COOKIE.flow]);
      if (!f) {
        const n = flows.create();
        cookies[COOKIE.flow] = n.id;
        ctx.setCookie(cookie(COOKIE.flow, n.id, { secure: opts.secure }));
        f = n.data;
      }
      return f;
    };
    ctx.flash = (kind, text) => {
      ctx.flowData().flash = { kind, text };
    };
    ctx.takeFlash = () => {
      const f = flows.get(cookies[COOKIE.flow]);
      const n = f?.flash;
      if (f) delete f.flash;
      return n;
    };
    ctx.redirect = (to) => send(303, "", { Location: to });
    ctx.page = (title, body, status = 200) =>
      send(status, layout({ brand: profile.brand, title, body: String(body), nav: String(nav(ctx)) }), {
        "Content-Type": "text/html; charset=utf-8",
      });
    function send(status, body, headers) {
      const h = { "Cache-Control": "no-store", ...SECURITY_HEADERS, ...headers };
      if (setCookies.length) h["Set-Cookie"] = setCookies;
      res.writeHead(status, h);
      res.end(body);
    }

    if (!fn) {
      ctx.page("Not found", html`<p>There is no page at ${url.pathname}.</p><p><a href="/">Home</a></p>`, 404);
      return;
    }
    if (req.method === "POST") {
      ctx.form = await readForm(req);
      if (!csrfOk(cookies[COOKIE.csrf], ctx.form._csrf)) {
        ctx.page(
          "Please try again",
          html`<p class="notice error" role="alert" data-testid="message">This form has expired. Please go back, reload the page and try again.</p>`,
          403,
        );
        return;
      }
    }
    await fn(ctx);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      log(`site: ${req.method} ${req.url}: ${e?.stack ?? e}`);
      if (!res.headersSent) {
        res.writeHead(e?.status ?? 500, { "Content-Type": "text/plain; charset=utf-8", ...SECURITY_HEADERS });
        res.end("Something went wrong. Please try again.");
      } else res.destroy();
    });
  });
  server.on("close", () => {
    clearInterval(sweep);
    auth.close();
    admin?.close();
  });

  function installShared(s) {
    // Login: the profile names the field (mobile number, or email or phone).
    s.route("GET", "/login", (ctx) => loginPage(ctx, ctx.takeFlash(), ""));
    s.route("POST", "/login", async (ctx) => {
      const login = String(ctx.form.login ?? "").trim();
      try {
        const r = await auth.login(
          { login, password: String(ctx.form.password ?? ""), deviceToken: ctx.cookies[COOKIE.device] ?? "" },
          ctx.call,
        );
        if (r.secondFactor) {
          // The right password, and the service wants a code too (PHONEAUTH_LOGIN_SECOND_FACTOR).
          const flow = ctx.flowData();
          remember(flow, r.secondFactor);
          flow.loginCode = true;
          ctx.flash("ok", r.message);
          return ctx.redirect("/login/code");
        }
        const maxAgeS = Number(r.expiresAtUnix) - Date.now() / 1000;
        ctx.setCookie(cookie(COOKIE.session, r.sessionToken, { secure: ctx.secure, maxAgeS }));
        ctx.redirect("/dashboard");
      } catch (e) {
        if (!(e instanceof PhoneauthError)) throw e;
        loginPage(ctx, { kind: "error", text: e.message }, login, e.httpStatus);
      }
    });
    // The second factor: the code the service sent after the right password.
    s.route("GET", "/login/code", (ctx) => loginCodePage(ctx, ctx.takeFlash()));
    s.route("POST", "/login/code", async (ctx) => {
      const flow = ctx.flowData();
      if (!flow.loginCode) return ctx.redirect("/login");
      try {
        const r = await auth.verifyCode(
          { verificationId: flow.verificationId, code: String(ctx.form.code ?? "").trim(), rememberDevice: ctx.form.remember === "on" },
          ctx.call,
        );
        delete flow.loginCode;
        delete flow.verificationId;
        const maxAgeS = Number(r.sessionExpiresAtUnix) - Date.now() / 1000;
        ctx.setCookie(cookie(COOKIE.session, r.sessionToken, { secure: ctx.secure, maxAgeS }));
        if (r.deviceToken) {
          const deviceS = Number(r.deviceExpiresAtUnix) - Date.now() / 1000;
          ctx.setCookie(cookie(COOKIE.device, r.deviceToken, { secure: ctx.secure, maxAgeS: deviceS }));
        }
        ctx.redirect("/dashboard");
      } catch (e) {
        if (!(e instanceof PhoneauthError)) throw e;
        loginCodePage(ctx, { kind: "error", text: e.message }, e.httpStatus);
      }
    });
    s.route("POST", "/login/code/resend", (ctx) => resend(ctx, auth, "/login/code"));
    s.route("GET", "/dashboard", async (ctx) => {
      const token = ctx.cookies[COOKIE.session];
      if (!token) return ctx.redirect("/login");
      let v;
      try {
        v = await auth.validateSession({ sessionToken: token }, ctx.call);
      } catch (e) {
        if (!(e instanceof PhoneauthError)) throw e;
        ctx.setCookie(cookie(COOKIE.session, "", { secure: ctx.secure, maxAgeS: 0 }));
        ctx.flash("error", e.message);
        return ctx.redirect("/login");
      }
      ctx.page(
        "Dashboard",
        html`${notice(ctx.takeFlash())}
<p data-testid="welcome">You are logged in${v.email ? html` as <strong>${v.email}</strong>` : ""}.</p>
<dl class="facts">
  <dt>Mobile number</dt><dd data-testid="phone">${v.phoneMasked}</dd>
  <dt>Verified</dt><dd>${v.phoneVerified ? "✅ yes" : "❌ no"}</dd>
  <dt>Session ends</dt><dd>${when(Number(v.expiresAtUnix) * 1000)}</dd>
</dl>
<form method="post" action="/logout">${csrfField(ctx.csrf)}<button type="submit">Log out</button></form>`,
      );
    });
    s.route("POST", "/logout", async (ctx) => {
      const token = ctx.cookies[COOKIE.session];
      if (token) {
        try {
          await auth.logout({ sessionToken: token }, ctx.call);
        } catch (e) {
          if (!(e instanceof PhoneauthError)) throw e;
          log(`site: logout: ${e.code} ${e.reason}`);
        }
      }
      ctx.setCookie(cookie(COOKIE.session, "", { secure: ctx.secure, maxAgeS: 0 }));
      ctx.flash("ok", "You have been logged out.");
      ctx.redirect("/login");
    });
    s.route("GET", "/admin", adminPage);
  }

  function loginCodePage(ctx, n, status = 200) {
    const flow = ctx.flowData();
    if (!flow.loginCode) return ctx.redirect("/login");
    ctx.page(
      "Enter your login code",
      html`${notice(n)}
<form method="post" action="/login/code" class="card">
  ${csrfField(ctx.csrf)}
  <p>Code sent to <strong data-testid="masked-phone">${flow.phoneMasked}</strong>.</p>
  <label for="code">Login code</label>
  <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]*" maxlength="${flow.codeLength ?? 10}" required>
  <label class="check"><input type="checkbox" id="remember" name="remember"> Remember this device</label>
  <button type="submit">Verify</button>
</form>
${resendForm(ctx, "/login/code/resend", "Resend code", flow)}`,
      status,
    );
  }

  function loginPage(ctx, n, login, status = 200) {
    const p = profile.login;
    ctx.page(
      p.title,
      html`${notice(n)}
<form method="post" action="/login" class="card">
  ${csrfField(ctx.csrf)}
  <label for="login">${p.label}</label>
  <input id="login" name="login" value="${login}" autocomplete="username" required ${p.inputmode ? html`inputmode="${p.inputmode}"` : ""}>
  <label for="password">Password</label>
  <input type="password" id="password" name="password" autocomplete="current-password" required>
  <button type="button" class="toggle" data-toggle="password" aria-pressed="false">Show</button>
  <button type="submit">${p.button}</button>
</form>
<p>${p.signupHint}</p>`,
      status,
    );
  }

  // The admin page: every user with Mobile Verified ✅ / ❌, when, and the Twilio message SID that
  // carried the code; a Verified / Unverified filter. Behind HTTP basic auth (user "admin",
  // SITE_ADMIN_PASSWORD): a real site puts it behind its staff login.
  async function adminPage(ctx) {
    if (!admin || !opts.adminPassword) {
      return ctx.page("Admin", html`<p class="notice error">The admin page needs PHONEAUTH_ADMIN_TOKEN and SITE_ADMIN_PASSWORD.</p>`, 503);
    }
    if (!basicOk(ctx.req.headers.authorization, opts.adminPassword)) {
      ctx.res.writeHead(401, { "WWW-Authenticate": 'Basic realm="site admin", charset="UTF-8"', ...SECURITY_HEADERS });
      ctx.res.end("Admin login required.");
      return;
    }
    const filter = ["verified", "unverified"].includes(ctx.url.searchParams.get("filter")) ? ctx.url.searchParams.get("filter") : "all";
    const verified = { all: VerifiedFilter.VERIFIED_ANY, verified: VerifiedFilter.VERIFIED_ONLY, unverified: VerifiedFilter.UNVERIFIED_ONLY }[filter];
    const search = String(ctx.url.searchParams.get("search") ?? "").trim();
    let r;
    try {
      r = await admin.listUsers({ verified, search, pageSize: 100, cursor: String(ctx.url.searchParams.get("cursor") ?? "") }, ctx.call);
    } catch (e) {
      if (!(e instanceof PhoneauthError)) throw e;
      return ctx.page("Users", html`${notice({ kind: "error", text: e.message })}`, e.httpStatus);
    }
    const tab = (f, label) =>
      f === filter
        ? html`<strong aria-current="page">${label}</strong>`
        : html`<a href="/admin?filter=${f}${search ? `&search=${encodeURIComponent(search)}` : ""}">${label}</a>`;
    const email = profile.adminShowsEmail;
    const next = r.nextCursor ? `/admin?filter=${filter}&search=${encodeURIComponent(search)}&cursor=${encodeURIComponent(r.nextCursor)}` : "";
    ctx.page(
      "Users",
      html`<p class="filters" data-testid="filter">Show: ${tab("all", "All")} · ${tab("verified", "Verified")} · ${tab("unverified", "Unverified")}</p>
<form method="get" action="/admin" class="search"><input type="hidden" name="filter" value="${filter}"><input name="search" value="${search}" placeholder="+1201… or email" aria-label="Search"><button type="submit">Search</button></form>
<p data-testid="total">${String(r.total)} user${r.total === 1n ? "" : "s"}</p>
<table data-testid="users">
<thead><tr><th>Mobile number</th>${email ? html`<th>Email</th>` : ""}<th>Mobile Verified</th><th>Verified at</th><th>Twilio message SID</th><th>Created</th></tr></thead>
<tbody>
${r.users.map(
  (u) => html`<tr data-phone="${u.phoneE164}">
<td>${u.phoneE164}</td>${email ? html`<td>${u.email}</td>` : ""}<td class="verified" data-testid="verified">${u.verified ? "✅" : "❌"}</td><td data-testid="verified-at">${when(u.verifiedAtUnixMs)}</td><td data-testid="sid"><code>${u.messageSid}</code></td><td>${when(u.createdAtUnixMs)}</td>
</tr>`,
)}
</tbody>
</table>
${next ? html`<p><a href="${next}">Next page</a></p>` : ""}`,
    );
  }

  function nav(ctx) {
    const signedIn = Boolean(ctx.cookies[COOKIE.session]);
    return html`${profile.nav.map(([href, label]) => html`<a href="${href}">${label}</a>`)}${
      signedIn ? html`<a href="/dashboard">Dashboard</a>` : html`<a href="/login">Log in</a>`
    }<a href="/admin">Admin</a>`;
  }

  return { server, site };
}

function basicOk(header, password) {
  const m = /^Basic\s+(\S+)$/i.exec(String(header ?? ""));
  if (!m) return false;
  const got = Buffer.from(Buffer.from(m[1], "base64").toString("utf8"));
  const want = Buffer.from(`admin:${password}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

export { esc };
