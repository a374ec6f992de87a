// flows.test.mjs: every Auth and Admin method against a real phoneauth-auth, its PostgreSQL, a
// real SMS worker and the fake Twilio (the codes come from what the fake Twilio received).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { Admin, Auth, Channel, PhoneauthError, VerifiedFilter } from "../dist/esm/index.js";
import { ADMIN_TOKEN, FakeTwilio, Stack, newIp, newPhone, sleep } from "./support/stack.mjs";

const PASSWORD = "Sup3r-secret!";
let fake, ff, lf, auth, admin, lfAuth;

before(async () => {
  fake = await FakeTwilio.start();
  ff = await Stack.start({
    name: "node_flows_ff",
    fake,
    env: {
      PHONEAUTH_AUDIT_KEY: "61756469742d7369676e696e672d6b65792d666f722d74657374732d6f6e6c79",
      // Two wrong codes, then the signup and the reset code: over the seed's 3 per 10 minutes.
      PHONEAUTH_TRIES_PER_PHONE: "10",
    },
  });
  lf = await Stack.start({ name: "node_flows_lf", profile: "lawnflow", fake });
  auth = new Auth({ url: ff.rpcUrl });
  admin = new Admin({ url: ff.adminUrl, adminToken: ADMIN_TOKEN });
  lfAuth = new Auth({ url: lf.rpcUrl });
});

after(async () => {
  auth?.close();
  admin?.close();
  lfAuth?.close();
  await ff?.stop();
  await lf?.stop();
  await fake?.stop();
});

/** Rejects with a PhoneauthError whose fields match `want`. */
async function refused(p, want) {
  const e = await p.then(
    () => assert.fail("the call succeeded"),
    (e) => e,
  );
  assert.ok(e instanceof PhoneauthError, `not a PhoneauthError: ${e}`);
  for (const [k, v] of Object.entries(want)) assert.equal(e[k], v, `${k}: ${e[k]} (${e.detail})`);
  return e;
}

describe("Fancy Feathers journey", () => {
  const phone = newPhone();
  const ip = newIp();
  const call = { endUserIp: ip, userAgent: "node-test/1" };
  let vid, signupToken, session, userId;

  test("health", async () => {
    const h = await auth.health();
    assert.equal(h.databaseOk, true);
    assert.equal(h.profile, "fancy-feathers");
  });

  test("linkSubscription", async () => {
    const r = await auth.linkSubscription({ subscriptionId: "sub-ff-1", phone });
    assert.equal(r.subscriptionId, "sub-ff-1");
    assert.match(r.phoneMasked, /^\+1\*+\d{4}$/);
  });

  test("startSignup: another phone than the subscription's", async () => {
    const e = await refused(auth.startSignup({ subscriptionId: "sub-ff-1", phone: newPhone() }, call), {
      code: "FAILED_PRECONDITION",
      reason: "SUBSCRIPTION_MISMATCH",
      message: "The mobile number must match the one used during subscription.",
      fromServer: true,
    });
    assert.equal(e.httpStatus, 400);
    assert.deepEqual(Object.keys(e.toJSON()).sort(), ["code", "message", "reason", "retryAfterS"]);
  });

  test("startSignup", async () => {
    const r = await auth.startSignup({ subscriptionId: "sub-ff-1", phone }, call);
    assert.equal(r.message, "An OTP has been sent to your mobile number. Please enter it below to verify.");
    assert.equal(r.sent.codeLength, 4);
    assert.equal(r.sent.expiresInS, 300);
    assert.ok(r.sent.resendAfterS >= 1);
    vid = r.sent.verificationId;
    assert.match(await fake.code(phone, 1), /^\d{4}$/);
  });

  test("resendCode: too soon, then allowed; the old code stops working", async () => {
    const first = await fake.code(phone, 1);
    await sleep(1100);
    const r = await auth.resendCode({ verificationId: vid }, call);
    assert.equal(r.sent.verificationId, vid);
    const second = await fake.code(phone, 2);
    if (first !== second) {
      const e = await refused(auth.verifyCode({ verificationId: vid, code: first }, call), {
        code: "INVALID_ARGUMENT",
        reason: "CODE_INVALID",
        message: "Invalid or expired OTP. Please try again.",
      });
      assert.equal(typeof e.attemptsLeft, "number");
    }
  });

  test("verifyCode: wrong, then right", async () => {
    const code = await fake.code(phone, 2);
    const wrong = code === "0000" ? "1111" : "0000";
    const e = await refused(auth.verifyCode({ verificationId: vid, code: wrong }, call), { reason: "CODE_INVALID" });
    assert.equal(e.message, "Invalid or expired OTP. Please try again.");
    const r = await auth.verifyCode({ verificationId: vid, code }, call);
    assert.equal(r.verified, true);
    assert.ok(r.signupToken.length > 10);
    signupToken = r.signupToken;
  });

  test("createAccount: weak password, mismatch, then created", async () => {
    await refused(auth.createAccount({ signupToken, password: "weak", passwordConfirm: "weak" }, call), {
      reason: "PASSWORD_POLICY",
    });
    await refused(auth.createAccount({ signupToken, password: PASSWORD, passwordConfirm: PASSWORD + "x" }, call), {
      reason: "PASSWORD_MISMATCH",
    });
    const r = await auth.createAccount({ signupToken, password: PASSWORD, passwordConfirm: PASSWORD }, call);
    assert.equal(r.loginId, phone);
    assert.match(r.message, /Your account has been created successfully/);
    userId = r.userId;
  });

  test("login: bad password, then a session", async () => {
    await refused(auth.login({ login: phone, password: "Wrong-pass1!" }, call), {
      code: "UNAUTHENTICATED",
      reason: "BAD_CREDENTIALS",
      message: "Invalid mobile number or password.",
    });
    const r = await auth.login({ login: phone, password: PASSWORD }, call);
    assert.equal(r.userId, userId);
    assert.equal(typeof r.expiresAtUnix, "bigint");
    session = r.sessionToken;
  });

  test("validateSession and logout", async () => {
    const v = await auth.validateSession({ sessionToken: session }, call);
    assert.equal(v.userId, userId);
    assert.equal(v.phoneVerified, true);
    await auth.logout({ sessionToken: session }, call);
    await refused(auth.validateSession({ sessionToken: session }, call), { reason: "SESSION_INVALID" });
  });

  test("startPasswordReset and completePasswordReset", async () => {
    const before = fake.codes(phone).length;
    const r = await auth.startPasswordReset({ login: phone }, call);
    const code = await fake.code(phone, before + 1);
    assert.ok(code.length >= 6, "a code that opens an existing account has at least 6 digits");
    const v = await auth.verifyCode({ verificationId: r.sent.verificationId, code }, call);
    const NEW = "An0ther-secret!";
    const done = await auth.completePasswordReset({ resetToken: v.signupToken, password: NEW, passwordConfirm: NEW }, call);
    assert.equal(done.userId, userId);
    await auth.login({ login: phone, password: NEW }, call);
  });

  describe("Admin", () => {
    test("a wrong admin token is refused", async () => {
      const bad = new Admin({ url: ff.adminUrl, adminToken: "not-the-token" });
      try {
        const e = await refused(bad.stats({}), { reason: "ADMIN_TOKEN_INVALID", fromServer: true });
        assert.ok(["UNAUTHENTICATED", "PERMISSION_DENIED"].includes(e.code));
      } finally {
        bad.close();
      }
    });

    test("listUsers with the verified filter", async () => {
      const v = await admin.listUsers({ verified: VerifiedFilter.VERIFIED_ONLY });
      assert.ok(v.users.some((u) => u.phoneE164 === phone && u.verified));
      const u = await admin.listUsers({ verified: VerifiedFilter.UNVERIFIED_ONLY });
      assert.ok(!u.users.some((x) => x.phoneE164 === phone));
    });

    test("getUser: verified, when, and the message SID", async () => {
      const g = await admin.getUser({ user: phone });
      assert.equal(g.user.verified, true);
      assert.ok(g.user.verifiedAtUnixMs > 0n);
      assert.match(g.user.messageSid, /^SM/);
    });

    test("listAuditEvents, listMessages, stats, verifyAudit", async () => {
      const a = await admin.listAuditEvents({ userId, pageSize: 50 });
      assert.ok(a.events.length > 0);
      const m = await admin.listMessages({ pageSize: 50 });
      assert.ok(m.messages.length >= 2);
      const s = await admin.stats({});
      assert.ok(s.verificationsVerified >= 1n);
      const va = await admin.verifyAudit({});
      assert.equal(va.ok, true, va.problem);
    });
  });
});

describe("LawnFlow journey", () => {
  test("registerAccount (and its alias register), verify, login by email", async () => {
    const phone = newPhone();
    const email = `lf-${phone.slice(-4)}@example.com`;
    const call = { endUserIp: newIp(), userAgent: "node-test/1" };
    const r = await lfAuth.registerAccount({ email, password: PASSWORD, phone }, call);
    assert.equal(r.sent.codeLength, 6);
    const p2 = newPhone();
    const alias = await lfAuth.register({ email: `lf-${p2.slice(-4)}@example.com`, password: PASSWORD, phone: p2 }, call);
    assert.equal(alias.sent.codeLength, 6);
    await refused(lfAuth.login({ login: email, password: PASSWORD }, call), { fromServer: true });
    const code = await fake.code(phone, 1);
    const v = await lfAuth.verifyCode({ verificationId: r.sent.verificationId, code }, call);
    assert.equal(v.verified, true);
    const l = await lfAuth.login({ login: email, password: PASSWORD }, call);
    assert.ok(l.sessionToken);
  });

  test("in Spanish: the locale call option picks the replies' and the SMS's language", async () => {
    const phone = newPhone();
    const call = { endUserIp: newIp(), userAgent: "node-test/1", locale: "es-MX" };
    const r = await lfAuth.registerAccount({ email: `es-${phone.slice(-4)}@example.com`, password: PASSWORD, phone }, call);
    assert.equal(r.message, "Si tus datos son válidos, te hemos enviado un código de verificación al teléfono.");
    assert.equal(r.sent.channel, Channel.SMS);
    const code = await fake.code(phone, 1);
    const wrong = code === "000000" ? "111111" : "000000";
    await refused(lfAuth.verifyCode({ verificationId: r.sent.verificationId, code: wrong }, call), {
      code: "INVALID_ARGUMENT",
      reason: "CODE_INVALID",
      message: "No hemos podido verificar ese código. Revísalo e inténtalo de nuevo, o solicita uno nuevo.",
    });
    const v = await lfAuth.verifyCode({ verificationId: r.sent.verificationId, code }, call);
    assert.equal(v.message, "Tu número de teléfono se ha verificado.");
  });
});
