// generated.test.mjs: the committed src/gen matches what protoc-gen-es makes of proto/ now, and
// the clients have one method per RPC of each service.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";

import { Admin, AdminService, Auth, AuthService } from "../dist/esm/index.js";

test("src/gen is what the generator makes of proto/", () => {
  const script = new URL("../scripts/check-generated.mjs", import.meta.url).pathname;
  execFileSync(process.execPath, [script], { stdio: "inherit" });
});

test("one method per RPC, and no response field hides the envelope's message", () => {
  const auth = new Auth({ url: "tcp://127.0.0.1:1" });
  const admin = new Admin({ url: "tcp://127.0.0.1:1", adminToken: "t" });
  for (const [client, svc] of [
    [auth, AuthService],
    [admin, AdminService],
  ]) {
    for (const m of svc.methods) {
      assert.equal(typeof client[m.localName], "function", m.name);
      for (const f of m.output.fields) assert.ok(!["message", "retryAfterS", "attemptsLeft"].includes(f.localName), `${m.output.typeName}.${f.name}`);
    }
  }
  assert.equal(AuthService.methods.length, 12);
  assert.equal(AdminService.methods.length, 8);
  auth.close();
  admin.close();
});
