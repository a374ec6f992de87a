// profiles.mjs: the pages that differ between the two sites. Fancy Feathers: a subscription,
// "Enter your mobile number to receive OTP.", the OTP page, create-password. LawnFlow:
// /register (email, password, phone) and /verify-phone. Both: the Resend button, asleep for the
// seconds the service returned.
import { PhoneauthError } from "@phoneauth/client";

import { csrfField, html, notice, passwordFields, rulesList } from "./html.mjs";

/** "Resend OTP" with the wait the service gave; site.js counts it down and wakes the button. */
export function resendForm(ctx, action, label, flow) {
  const wait = Math.max(0, Math.ceil(((flow.resendAt ?? 0) - Date.now()) / 1000));
  return html`<form method="post" action="${action}" class="resend">
  ${csrfField(ctx.csrf)}
  <button type="submit" id="resend" data-wait="${wait}" ${wait > 0 ? html`disabled` : ""}>${label}</button>
  <span id="resend-wait" data-testid="resend-wait" aria-live="polite">${wait > 0 ? `You can request a new code in ${wait} s.` : ""}</span>
</form>`;
}

function codeForm(ctx, action, flow, label) {
  return html`<form method="post" action="${action}" class="card">
  ${csrfField(ctx.csrf)}
  <p>Code sent to <strong data-testid="masked-phone">${flow.phoneMasked}</strong>.</p>
  <label for="code">${label}</label>
  <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]*" maxlength="${flow.codeLength ?? 10}" required>
  <button type="submit">Verify</button>
</form>`;
}

/** Keeps what CodeSent said for the next page: the verification, the mask, when Resend wakes. */
export function remember(flow, sent) {
  flow.verificationId = sent.verificationId;
  flow.phoneMasked = sent.phoneMasked;
  flow.codeLength = sent.codeLength;
  flow.resendAt = Date.now() + sent.resendAfterS * 1000;
}

/** POST of the Resend button: ResendCode, or the service's wait when it is too soon. */
export async function resend(ctx, auth, back) {
  const flow = ctx.flowData();
  if (!flow.verificationId) return ctx.redirect("/");
  try {
    const r = await auth.resendCode({ verificationId: flow.verificationId }, ctx.call);
    remember(flow, r.sent);
    ctx.flash("ok", r.message);
  } catch (e) {
    if (!(e instanceof PhoneauthError)) throw e;
    if (e.retryAfterS > 0) flow.resendAt = Date.now() + e.retryAfterS * 1000;
    ctx.flash("error", e.message);
  }
  ctx.redirect(back);
}

export const fancyFeathers = {
  brand: { name: "Fancy Feathers", logo: "🪶", css: "ff", profile: "fancy-feathers" },
  nav: [
    ["/subscribe", "Subscribe"],
    ["/signup", "Sign up"],
  ],
  login: {
    title: "Log in",
    label: "Mobile number",
    inputmode: "tel",
    button: "Log in",
    signupHint: html`New here? <a href="/signup">Sign up with your mobile number</a>.`,
  },
  adminShowsEmail: false,
  // The profile's rules (PHONEAUTH_PASSWORD_*); the service checks them and words the refusal.
  rules: ["At least 8 characters", "1 capital letter", "1 number", "1 special character"],

  install(site) {
    const { auth } = site;
    site.route("GET", "/", (ctx) =>
      ctx.page(
        "Welcome to Fancy Feathers",
        html`${notice(ctx.takeFlash())}
<p>Members sign up with the mobile number of their subscription and log in with it.</p>
<ol><li><a href="/subscribe">Subscribe</a> (the shop's checkout: it links the subscription to a number)</li>
<li><a href="/signup">Sign up</a>: verify that number by SMS and choose a password</li>
<li><a href="/login">Log in</a> with your mobile number and password</li></ol>`,
      ),
    );

    // Stands in for the shop's checkout: LinkSubscription ties a subscription to a number.
    const subscribePage = (ctx, n, v = {}, status = 200) =>
      ctx.page(
        "Subscribe",
        html`${notice(n)}
<form method="post" action="/subscribe" class="card">
  ${csrfField(ctx.csrf)}
  <label for="subscription">Subscription ID</label>
  <input id="subscription" name="subscription" value="${v.subscription ?? `sub_${Math.random().toString(36).slice(2, 10)}`}" required>
  <label for="phone">Mobile number</label>
  <input id="phone" name="phone" value="${v.phone ?? ""}" inputmode="tel" autocomplete="tel" required>
  <button type="submit">Subscribe</button>
</form>`,
        status,
      );
    site.route("GET", "/subscribe", (ctx) => subscribePage(ctx, ctx.takeFlash()));
    site.route("POST", "/subscribe", async (ctx) => {
      const v = { subscription: String(ctx.form.subscription ?? "").trim(), phone: String(ctx.form.phone ?? "").trim() };
      try {
        const r = await auth.linkSubscription({ subscriptionId: v.subscription, phone: v.phone }, ctx.call);
        ctx.flash("ok", `Subscription ${r.subscriptionId} is linked to ${r.phoneMasked}.`);
        ctx.redirect(`/signup?subscription=${encodeURIComponent(r.subscriptionId)}`);
      } catch (e) {
        if (!(e instanceof PhoneauthError)) throw e;
        subscribePage(ctx, { kind: "error", text: e.message }, v, e.httpStatus);
      }
    });

    const signupPage = (ctx, n, v, status = 200) =>
      ctx.page(
        "Sign up",
        html`${notice(n)}
<form method="post" action="/signup" class="card">
  ${csrfField(ctx.csrf)}
  <p class="lead">Enter your mobile number to receive OTP.</p>
  <label for="subscription">Subscription ID</label>
  <input id="subscription" name="subscription" value="${v.subscription}" required>
  <label for="phone">Mobile number</label>
  <input id="phone" name="phone" value="${v.phone}" inputmode="tel" autocomplete="tel" required>
  <button type="submit">Send OTP</button>
</form>`,
        status,
      );
    site.route("GET", "/signup", (ctx) =>
      signupPage(ctx, ctx.takeFlash(), { subscription: ctx.url.searchParams.get("subscription") ?? "", phone: "" }),
    );
    site.route("POST", "/signup", async (ctx) => {
      const v = { subscription: String(ctx.form.subscription ?? "").trim(), phone: String(ctx.form.phone ?? "").trim() };
      try {
        const r = await auth.startSignup({ subscriptionId: v.subscription, phone: v.phone }, ctx.call);
        const flow = ctx.flowData();
        remember(flow, r.sent);
        delete flow.signupToken;
        ctx.flash("ok", r.message);
        ctx.redirect("/otp");
      } catch (e) {
        if (!(e instanceof PhoneauthError)) throw e;
        signupPage(ctx, { kind: "error", text: e.message }, v, e.httpStatus);
      }
    });

    const otpPage = (ctx, n, status = 200) => {
      const flow = ctx.flowData();
      if (!flow.verificationId) return ctx.redirect("/signup");
      ctx.page(
        "Verify your mobile number",
        html`${notice(n)}
${codeForm(ctx, "/otp", flow, "OTP")}
${resendForm(ctx, "/otp/resend", "Resend OTP", flow)}`,
        status,
      );
    };
    site.route("GET", "/otp", (ctx) => otpPage(ctx, ctx.takeFlash()));
    site.route("POST", "/otp", async (ctx) => {
      const flow = ctx.flowData();
      if (!flow.verificationId) return ctx.redirect("/signup");
      try {
        const r = await auth.verifyCode({ verificationId: flow.verificationId, code: String(ctx.form.code ?? "").trim() }, ctx.call);
        flow.signupToken = r.signupToken;
        ctx.flash("ok", r.message);
        ctx.redirect("/create-password");
      } catch (e) {
        if (!(e instanceof PhoneauthError)) throw e;
        otpPage(ctx, { kind: "error", text: e.message }, e.httpStatus);
      }
    });
    site.route("POST", "/otp/resend", (ctx) => resend(ctx, auth, "/otp"));

    const createPage = (ctx, n, status = 200) =>
      ctx.page(
        "Create your password",
        html`${notice(n)}
<form method="post" action="/create-password" class="card">
  ${csrfField(ctx.csrf)}
  <p>Your password must have:</p>
  ${rulesList(fancyFeathers.rules)}
  ${passwordFields([
    { name: "password", label: "Password", autocomplete: "new-password" },
    { name: "password_confirm", label: "Confirm password", autocomplete: "new-password" },
  ])}
  <button type="submit">Create account</button>
</form>`,
        status,
      );
    site.route("GET", "/create-password", (ctx) => {
      if (!ctx.flowData().signupToken) return ctx.redirect("/signup");
      createPage(ctx, ctx.takeFlash());
    });
    site.route("POST", "/create-password", async (ctx) => {
      const flow = ctx.flowData();
      if (!flow.signupToken) return ctx.redirect("/signup");
      try {
        const r = await auth.createAccount(
          { signupToken: flow.signupToken, password: String(ctx.form.password ?? ""), passwordConfirm: String(ctx.form.password_confirm ?? "") },
          ctx.call,
        );
        delete flow.signupToken;
        delete flow.verificationId;
        ctx.flash("ok", r.message);
        ctx.redirect("/login");
      } catch (e) {
        if (!(e instanceof PhoneauthError)) throw e;
        createPage(ctx, { kind: "error", text: e.message }, e.httpStatus);
      }
    });
  },
};

export const lawnflow = {
  brand: { name: "LawnFlow", logo: "🌱", css: "lf", profile: "lawnflow" },
  nav: [["/register", "Register"]],
  login: {
    title: "Sign in",
    label: "Email or phone number",
    button: "Sign in",
    signupHint: html`No account yet? <a href="/register">Register</a>.`,
  },
  adminShowsEmail: true,
  rules: ["At least 8 characters"],

  install(site) {
    const { auth } = site;
    site.route("GET", "/", (ctx) =>
      ctx.page(
        "LawnFlow",
        html`${notice(ctx.takeFlash())}
<p>Lawn care on a schedule. <a href="/register">Register</a> with your email, a password and your phone, verify the phone by SMS, then <a href="/login">sign in</a>.</p>`,
      ),
    );

    const registerPage = (ctx, n, v, status = 200) =>
      ctx.page(
        "Create your account",
        html`${notice(n)}
<form method="post" action="/register" class="card">
  ${csrfField(ctx.csrf)}
  <label for="email">Email</label>
  <input type="email" id="email" name="email" value="${v.email}" autocomplete="email" required>
  ${passwordFields([{ name: "password", label: "Password", autocomplete: "new-password" }])}
  ${rulesList(lawnflow.rules)}
  <label for="phone">Mobile phone</label>
  <input id="phone" name="phone" value="${v.phone}" inputmode="tel" autocomplete="tel" required>
  <button type="submit">Register</button>
</form>`,
        status,
      );
    site.route("GET", "/register", (ctx) => registerPage(ctx, ctx.takeFlash(), { email: "", phone: "" }));
    site.route("POST", "/register", async (ctx) => {
      const v = { email: String(ctx.form.email ?? "").trim(), phone: String(ctx.form.phone ?? "").trim() };
      try {
        const r = await auth.registerAccount({ email: v.email, password: String(ctx.form.password ?? ""), phone: v.phone }, ctx.call);
        remember(ctx.flowData(), r.sent);
        ctx.flash("ok", r.message);
        ctx.redirect("/verify-phone");
      } catch (e) {
        if (!(e instanceof PhoneauthError)) throw e;
        registerPage(ctx, { kind: "error", text: e.message }, v, e.httpStatus);
      }
    });

    const verifyPage = (ctx, n, status = 200) => {
      const flow = ctx.flowData();
      if (!flow.verificationId) return ctx.redirect("/register");
      ctx.page(
        "Verify your phone",
        html`${notice(n)}
${codeForm(ctx, "/verify-phone", flow, "Verification code")}
${resendForm(ctx, "/verify-phone/resend", "Resend code", flow)}`,
        status,
      );
    };
    site.route("GET", "/verify-phone", (ctx) => verifyPage(ctx, ctx.takeFlash()));
    site.route("POST", "/verify-phone", async (ctx) => {
      const flow = ctx.flowData();
      if (!flow.verificationId) return ctx.redirect("/register");
      try {
        const r = await auth.verifyCode({ verificationId: flow.verificationId, code: String(ctx.form.code ?? "").trim() }, ctx.call);
        delete flow.verificationId;
        ctx.flash("ok", r.message);
        ctx.redirect("/login");
      } catch (e) {
        if (!(e instanceof PhoneauthError)) throw e;
        verifyPage(ctx, { kind: "error", text: e.message }, e.httpStatus);
      }
    });
    site.route("POST", "/verify-phone/resend", (ctx) => resend(ctx, auth, "/verify-phone"));
  },
};
