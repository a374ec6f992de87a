// browser.test.mjs: both sites' journeys in Debian's Chromium (playwright-core, no browser
// download) against the real stack: phoneauth-auth with a client token, its PostgreSQL, the SMS
// worker sending to the fake Twilio, whose received messages give the codes
// (clients/node/test/support/stack.mjs). Each page is kept as a PNG under
// $PHONEAUTH_BUILD_DIR/site-test/screenshots/; a failing step prints the path of its page's.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { ADMIN_TOKEN, BUILD_DIR, FakeTwilio, Stack, freePort, newPhone, startProc, stopProc } from "../../../clients/node/test/support/stack.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const SITE_DIR = resolve(here, "..");
const SHOTS = join(BUILD_DIR, "site-test", "screenshots");
const CLIENT_TOKEN = "site-client-token-for-tests-0123456789abcdef";
const ADMIN_PASSWORD = "site-admin-password-for-tests";
const COOLDOWN_S = 3;
const PASSWORD = "Sup3r-secret!";
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

let fake, browser;
const sites = {};
let shotN = 0;

async function startSite(profile, stack) {
  const port = await freePort();
  const proc = startProc(`site_${profile}`, process.execPath, [join(SITE_DIR, "server.mjs")], {
    PHONEAUTH_PROFILE: profile,
    PHONEAUTH_RPC_URL: stack.rpcUrl,
    PHONEAUTH_CLIENT_TOKEN: CLIENT_TOKEN,
    PHONEAUTH_ADMIN_URL: stack.adminUrl,
    PHONEAUTH_ADMIN_TOKEN: ADMIN_TOKEN,
    SITE_ADMIN_PASSWORD: ADMIN_PASSWORD,
    SITE_LISTEN: `127.0.0.1:${port}`,
  });
  const end = Date.now() + 15000;
  while (!proc.out.includes("listening on")) {
    if (proc.exited || Date.now() > end) throw new Error(`the ${profile} site did not start; log ${proc.logPath}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { proc, url: `http://127.0.0.1:${port}`, stack };
}

before(async () => {
  rmSync(SHOTS, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  fake = await FakeTwilio.start();
  // The client token makes the service count per-IP limits by the IP the site sends.
  const env = { PHONEAUTH_RESEND_COOLDOWN: `${COOLDOWN_S}s`, PHONEAUTH_TRUST_END_USER_IP: "false" };
  const [ff, lf, lf2] = await Promise.all([
    Stack.start({ name: "site_ff", fake, clientToken: CLIENT_TOKEN, env }),
    Stack.start({ name: "site_lf", profile: "lawnflow", fake, clientToken: CLIENT_TOKEN, env }),
    Stack.start({
      name: "site_lf_2fa",
      profile: "lawnflow",
      fake,
      clientToken: CLIENT_TOKEN,
      env: { ...env, PHONEAUTH_LOGIN_SECOND_FACTOR: "new-device" },
    }),
  ]);
  sites.ff = await startSite("fancy-feathers", ff);
  sites.lf = await startSite("lawnflow", lf);
  sites.lf2fa = await startSite("lawnflow", lf2);
  browser = await chromium.launch({ executablePath: CHROMIUM });
});

after(async () => {
  await browser?.close();
  for (const s of Object.values(sites)) {
    await stopProc(s.proc);
    await s.stack.stop();
  }
  await fake?.stop();
});

/** Keeps a PNG of the page, numbered in the order the journeys reach it. */
async function shot(page, name) {
  const p = join(SHOTS, `${String(++shotN).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: p, fullPage: true });
  return p;
}

/** A test step on `page()`: when it fails, the page as it was is kept and its path printed. */
function step(name, page, fn) {
  test(name, async () => {
    try {
      await fn();
    } catch (e) {
      let where = "(no page)";
      try {
        where = await shot(page(), `FAILED-${name.replace(/\W+/g, "-")}`);
        where += ` (at ${page().url()})`;
      } catch {}
      console.error(`\nbrowser test "${name}" failed; screenshot of the page: ${where}\n`);
      e.message += `\n    screenshot: ${where}`;
      throw e;
    }
  });
}

const message = (page) => page.getByTestId("message").innerText();

/** The Resend button: disabled on arrival, enabled after about the cooldown the service gave. */
async function resendWakes(page) {
  const btn = page.locator("#resend");
  const t0 = Date.now();
  assert.equal(await btn.isDisabled(), true, "Resend is disabled at first");
  assert.match(await page.getByTestId("resend-wait").innerText(), /in \d+ s/);
  await btn.waitFor({ state: "visible" });
  await page.waitForFunction(() => !document.getElementById("resend").disabled, null, { timeout: (COOLDOWN_S + 3) * 1000 });
  const waited = Date.now() - t0;
  assert.ok(waited >= (COOLDOWN_S - 1.5) * 1000, `Resend woke after ${waited} ms, the service said ${COOLDOWN_S} s`);
}

describe("Fancy Feathers", () => {
  let ctx, page;
  const phone = newPhone();
  const other = newPhone();
  const sub = `sub_site_${phone.slice(-4)}`;
  const masked = `+1******${phone.slice(-4)}`;
  const P = () => page;

  before(async () => {
    ctx = await browser.newContext({ httpCredentials: { username: "admin", password: ADMIN_PASSWORD } });
    page = await ctx.newPage();
  });
  after(() => ctx?.close());

  step("home", P, async () => {
    await page.goto(sites.ff.url + "/");
    assert.equal(await page.locator("h1").innerText(), "Welcome to Fancy Feathers");
    await shot(page, "ff-home");
  });

  step("subscription mismatch", P, async () => {
    await page.goto(sites.ff.url + "/subscribe");
    await page.fill("#subscription", sub);
    await page.fill("#phone", phone);
    await page.click("button[type=submit]");
    await page.waitForURL(/\/signup\?subscription=/);
    assert.equal(await message(page), `Subscription ${sub} is linked to ${masked}.`);
    assert.equal(await page.locator(".lead").innerText(), "Enter your mobile number to receive OTP.");
    assert.equal(await page.inputValue("#subscription"), sub);
    await shot(page, "ff-signup");
    await page.fill("#phone", other);
    await page.click("button[type=submit]");
    assert.equal(await message(page), "The mobile number must match the one used during subscription.");
    await shot(page, "ff-signup-mismatch");
  });

  step("login before verification", P, async () => {
    await page.goto(sites.ff.url + "/login");
    await page.fill("#login", phone);
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    assert.equal(await message(page), "Invalid mobile number or password.");
    assert.match(page.url(), /\/login$/);
    await shot(page, "ff-login-before-verification");
  });

  step("OTP sent; Resend disabled, then enabled after the service's seconds", P, async () => {
    await page.goto(`${sites.ff.url}/signup?subscription=${sub}`);
    await page.fill("#phone", phone);
    await page.click("button[type=submit]");
    await page.waitForURL(/\/otp$/);
    assert.equal(await message(page), "An OTP has been sent to your mobile number. Please enter it below to verify.");
    assert.equal(await page.getByTestId("masked-phone").innerText(), masked);
    await fake.code(phone, 1);
    await shot(page, "ff-otp-resend-disabled");
    await resendWakes(page);
    await shot(page, "ff-otp-resend-enabled");
    await page.click("#resend");
    await page.waitForURL(/\/otp$/);
    assert.equal(await message(page), "An OTP has been sent to your mobile number. Please enter it below to verify.");
    assert.equal(await page.locator("#resend").isDisabled(), true, "asleep again after a resend");
    await fake.code(phone, 2);
  });

  step("wrong code", P, async () => {
    const code = await fake.code(phone, 2);
    await page.fill("#code", code === "0000" ? "1111" : "0000");
    await page.click("form[action='/otp'] button[type=submit]");
    assert.equal(await message(page), "Invalid or expired OTP. Please try again.");
    await shot(page, "ff-otp-wrong-code");
  });

  step("right code", P, async () => {
    await page.fill("#code", await fake.code(phone, 2));
    await page.click("form[action='/otp'] button[type=submit]");
    await page.waitForURL(/\/create-password$/);
    assert.equal(await message(page), "OTP verified successfully!");
    assert.deepEqual(await page.getByTestId("rules").locator("li").allInnerTexts(), [
      "At least 8 characters",
      "1 capital letter",
      "1 number",
      "1 special character",
    ]);
    await shot(page, "ff-create-password");
  });

  step("Show/Hide and a weak password", P, async () => {
    await page.fill("#password", "weakpass");
    await page.fill("#password_confirm", "weakpass");
    const toggle = page.locator("button.toggle");
    assert.equal(await page.getAttribute("#password", "type"), "password");
    await toggle.click();
    assert.equal(await toggle.innerText(), "Hide");
    assert.equal(await page.getAttribute("#password", "type"), "text");
    assert.equal(await page.getAttribute("#password_confirm", "type"), "text");
    await shot(page, "ff-create-password-shown");
    await toggle.click();
    assert.equal(await toggle.innerText(), "Show");
    assert.equal(await page.getAttribute("#password", "type"), "password");
    await page.click("button[type=submit]");
    assert.equal(
      await message(page),
      "Password must be at least 8 characters and include 1 capital letter, 1 number and 1 special character.",
    );
    await shot(page, "ff-create-password-weak");
  });

  step("account created, login after verification", P, async () => {
    await page.fill("#password", PASSWORD);
    await page.fill("#password_confirm", PASSWORD);
    await page.click("button[type=submit]");
    await page.waitForURL(/\/login$/);
    assert.match(await message(page), /^Your account has been created successfully\. You can now log in/);
    await shot(page, "ff-login-account-created");
    await page.fill("#login", phone);
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    await page.waitForURL(/\/dashboard$/);
    assert.equal(await page.getByTestId("phone").innerText(), masked);
    const c = (await ctx.cookies()).find((x) => x.name === "site_session");
    assert.ok(c && c.httpOnly && c.sameSite === "Lax", `session cookie ${JSON.stringify(c)}`);
    await shot(page, "ff-dashboard");
  });

  step("logout", P, async () => {
    await page.click("form[action='/logout'] button");
    await page.waitForURL(/\/login$/);
    assert.equal(await message(page), "You have been logged out.");
    await page.goto(sites.ff.url + "/dashboard");
    assert.match(page.url(), /\/login$/);
  });

  step("a form without its CSRF token is refused", P, async () => {
    const r = await fetch(sites.ff.url + "/login", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ login: phone, password: PASSWORD }),
      redirect: "manual",
    });
    assert.equal(r.status, 403);
  });

  step("admin: the Verified / Unverified filter, ✅ / ❌, when and the Twilio SID", P, async () => {
    // One more number that gets a code and never verifies.
    const p2 = newPhone();
    const sub2 = `sub_site_${p2.slice(-4)}`;
    await page.goto(sites.ff.url + "/subscribe");
    await page.fill("#subscription", sub2);
    await page.fill("#phone", p2);
    await page.click("button[type=submit]");
    await page.waitForURL(/\/signup/);
    await page.fill("#phone", p2);
    await page.click("button[type=submit]");
    await page.waitForURL(/\/otp$/);

    await page.goto(sites.ff.url + "/admin?filter=verified");
    const row = page.locator(`tr[data-phone="${phone}"]`);
    assert.equal(await row.getByTestId("verified").innerText(), "✅");
    assert.match(await row.getByTestId("verified-at").innerText(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    assert.match(await row.getByTestId("sid").innerText(), /^SM[0-9a-f]{32}$/);
    assert.equal(await page.locator(`tr[data-phone="${p2}"]`).count(), 0);
    await shot(page, "ff-admin-verified");
    await page.click("a[href^='/admin?filter=unverified']");
    await page.waitForURL(/filter=unverified/);
    assert.equal(await page.locator(`tr[data-phone="${phone}"]`).count(), 0, "the verified user is not listed as unverified");
    for (const v of await page.getByTestId("verified").allInnerTexts()) assert.equal(v, "❌");
    await shot(page, "ff-admin-unverified");
  });
});

describe("LawnFlow", () => {
  let ctx, page;
  const phone = newPhone();
  const email = `lawn-${phone.slice(-4)}@example.com`;
  const masked = `+1 (***) ***-${phone.slice(-4)}`;
  const P = () => page;

  before(async () => {
    ctx = await browser.newContext({ httpCredentials: { username: "admin", password: ADMIN_PASSWORD } });
    page = await ctx.newPage();
  });
  after(() => ctx?.close());

  step("register: Show/Hide and a weak password", P, async () => {
    await page.goto(sites.lf.url + "/register");
    await page.fill("#email", email);
    await page.fill("#password", "short");
    await page.fill("#phone", phone);
    await page.click("button.toggle");
    assert.equal(await page.getAttribute("#password", "type"), "text");
    await page.click("button.toggle");
    assert.equal(await page.getAttribute("#password", "type"), "password");
    await page.click("button[type=submit]");
    assert.equal(await message(page), "Password must be at least 8 characters.");
    await shot(page, "lf-register-weak-password");
  });

  step("register; /verify-phone shows +1 (***) ***-1234 and a sleeping Resend", P, async () => {
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    await page.waitForURL(/\/verify-phone$/);
    assert.equal(await message(page), "If your details are valid, we've sent a verification code to your phone.");
    assert.equal(await page.getByTestId("masked-phone").innerText(), masked);
    assert.equal(await page.locator("#resend").isDisabled(), true);
    await shot(page, "lf-verify-phone");
    await fake.code(phone, 1);
  });

  step("login before verification", P, async () => {
    await page.goto(sites.lf.url + "/login");
    await page.fill("#login", email);
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    assert.match(page.url(), /\/login$/);
    // The non-enumerating profile says nothing of an unverified registration.
    assert.equal(await message(page), "Invalid email, phone number or password.");
    await shot(page, "lf-login-before-verification");
  });

  step("wrong code, then Resend after the cooldown", P, async () => {
    await page.goto(sites.lf.url + "/verify-phone");
    const code = await fake.code(phone, 1);
    await page.fill("#code", code === "000000" ? "111111" : "000000");
    await page.click("form[action='/verify-phone'] button[type=submit]");
    assert.equal(await message(page), "We couldn't verify that code. Check it and try again, or request a new one.");
    await shot(page, "lf-verify-phone-wrong-code");
    await page.goto(sites.lf.url + "/verify-phone");
    await page.waitForFunction(() => !document.getElementById("resend").disabled, null, { timeout: (COOLDOWN_S + 3) * 1000 });
    await page.click("#resend");
    await page.waitForURL(/\/verify-phone$/);
    assert.equal(await message(page), "If your number can receive texts, a new verification code is on its way.");
    assert.equal(await page.locator("#resend").isDisabled(), true);
    await resendWakes(page);
  });

  step("right code, login after verification, logout", P, async () => {
    await page.fill("#code", await fake.code(phone, 2));
    await page.click("form[action='/verify-phone'] button[type=submit]");
    await page.waitForURL(/\/login$/);
    assert.equal(await message(page), "Your phone number has been verified.");
    await shot(page, "lf-login-verified");
    await page.fill("#login", email);
    await page.fill("#password", PASSWORD);
    await page.click("button[type=submit]");
    await page.waitForURL(/\/dashboard$/);
    assert.equal(await page.getByTestId("phone").innerText(), masked);
    assert.match(await page.getByTestId("welcome").innerText(), new RegExp(email.replace(/\./g, "\\.")));
    await shot(page, "lf-dashboard");
    await page.click("form[action='/logout'] button");
    await page.waitForURL(/\/login$/);
    assert.equal(await message(page), "You have been logged out.");
  });

  step("admin: verified with email and SID", P, async () => {
    await page.goto(sites.lf.url + "/admin?filter=verified");
    const row = page.locator(`tr[data-phone="${phone}"]`);
    assert.equal(await row.getByTestId("verified").innerText(), "✅");
    assert.match(await row.innerText(), new RegExp(email.replace(/\./g, "\\.")));
    assert.match(await row.getByTestId("sid").innerText(), /^SM[0-9a-f]{32}$/);
    await shot(page, "lf-admin-verified");
    // A second registration that never verifies its phone.
    const p2 = newPhone();
    const e2 = `lawn-${p2.slice(-4)}@example.com`;
    await page.goto(sites.lf.url + "/register");
    await page.fill("#email", e2);
    await page.fill("#password", PASSWORD);
    await page.fill("#phone", p2);
    await page.click("button[type=submit]");
    await page.waitForURL(/\/verify-phone$/);
    await page.goto(sites.lf.url + "/admin?filter=unverified");
    assert.equal(await page.locator(`tr[data-phone="${phone}"]`).count(), 0, "the verified user is not listed as unverified");
    const texts = await page.getByTestId("verified").allInnerTexts();
    assert.ok(texts.length >= 1, "the pending registration is listed");
    for (const v of texts) assert.equal(v, "❌");
    assert.match(await page.getByTestId("users").innerText(), new RegExp(e2.replace(/\./g, "\\.")));
    await shot(page, "lf-admin-unverified");
  });
});

describe("LawnFlow with a login code on new devices (PHONEAUTH_LOGIN_SECOND_FACTOR=new-device)", () => {
  let ctx, page;
  const phone = newPhone();
  const email = `twofa-${phone.slice(-4)}@example.com`;
  const P = () => page;

  before(async () => {
    ctx = await browser.newContext();
    page = await ctx.newPage();
  });
  after(() => ctx?.close());

  async function login(p) {
    await p.goto(sites.lf2fa.url + "/login");
    await p.fill("#login", email);
    await p.fill("#password", PASSWORD);
    await p.click("button[type=submit]");
  }

  step("2FA: register and verify the phone", P, async () => {
    await page.goto(sites.lf2fa.url + "/register");
    await page.fill("#email", email);
    await page.fill("#password", PASSWORD);
    await page.fill("#phone", phone);
    await page.click("button[type=submit]");
    await page.waitForURL(/\/verify-phone$/);
    await page.fill("#code", await fake.code(phone, 1));
    await page.click("form[action='/verify-phone'] button[type=submit]");
    await page.waitForURL(/\/login$/);
  });

  step("2FA: the right password asks for a code sent to the phone", P, async () => {
    await login(page);
    await page.waitForURL(/\/login\/code$/);
    assert.equal(await message(page), "Enter the code we sent to your phone to finish signing in.");
    assert.equal(await page.getByTestId("masked-phone").innerText(), `+1 (***) ***-${phone.slice(-4)}`);
    assert.equal(await page.getAttribute("#code", "maxlength"), "6");
    await shot(page, "lf-2fa-code");
  });

  step("2FA: a wrong code is refused; the right one with Remember this device signs in", P, async () => {
    await page.fill("#code", "000000");
    await page.click("form[action='/login/code'] button[type=submit]");
    assert.equal(await message(page), "We couldn't verify that code. Check it and try again, or request a new one.");
    await page.fill("#code", await fake.code(phone, 2));
    await page.check("#remember");
    await page.click("form[action='/login/code'] button[type=submit]");
    await page.waitForURL(/\/dashboard$/);
    const device = (await ctx.cookies()).find((c) => c.name === "site_device");
    assert.ok(device, "the site keeps the remembered-device token");
    assert.equal(device.httpOnly, true);
    assert.ok(device.expires > Date.now() / 1000 + 29 * 86400, "it lives as long as the service said (30 days)");
    await shot(page, "lf-2fa-dashboard");
  });

  step("2FA: this device logs in without a code, another one is asked", P, async () => {
    await page.click("form[action='/logout'] button");
    await page.waitForURL(/\/login$/);
    await login(page);
    await page.waitForURL(/\/dashboard$/);
    assert.equal(fake.codes(phone).length, 2, "no code was sent for the remembered device");
    const other = await browser.newContext();
    try {
      const p2 = await other.newPage();
      await login(p2);
      await p2.waitForURL(/\/login\/code$/);
      await fake.code(phone, 3);
    } finally {
      await other.close();
    }
  });
});
