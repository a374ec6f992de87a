// cjs.test.cjs: the CommonJS build loads with require() and has the same API.
const { test } = require("node:test");
const assert = require("node:assert/strict");

test("require('@phoneauth/client') gives Auth, Admin and PhoneauthError", () => {
  const pa = require("../dist/cjs/index.js");
  assert.equal(typeof pa.Auth, "function");
  assert.equal(typeof pa.Admin, "function");
  const e = new pa.PhoneauthError({ code: "UNAVAILABLE", reason: "NOT_CONNECTED", message: "m" });
  assert.ok(e instanceof Error);
  assert.equal(e.httpStatus, 503);
  const c = new pa.Auth({ url: "ipc:///nonexistent" });
  assert.equal(typeof c.startSignup, "function");
  c.close();
});
