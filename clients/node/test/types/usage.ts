// usage.ts: compiled with `tsc --noEmit` by the build: the README's calls type-check, and wrong
// ones do not (each @ts-expect-error must be an error).
import { Admin, Auth, PhoneauthError, VerifiedFilter, type CodeName } from "../../src/index.js";

async function use(): Promise<void> {
  const auth = new Auth({ url: "tcp://127.0.0.1:7400", clientToken: "t", tls: { ca: "pem", serverName: "x" } });
  const r = await auth.startSignup({ subscriptionId: "s", phone: "+1" }, { endUserIp: "1.2.3.4", userAgent: "ua", timeoutMs: 5, signal: AbortSignal.timeout(5) });
  const id: string | undefined = r.sent?.verificationId;
  const after: number | undefined = r.sent?.resendAfterS;
  const msg: string = r.message;
  const v = await auth.verifyCode({ verificationId: id ?? "", code: "1234" });
  const tok: string = v.signupToken;
  const l = await auth.login({ login: "+1", password: "p" });
  const exp: bigint = l.expiresAtUnix;
  await auth.register({ email: "e", password: "p", phone: "+1" });
  // @ts-expect-error: no such field
  await auth.startSignup({ subscriptionID: "s" });
  // @ts-expect-error: no such method
  await auth.listUsers({});
  const admin = new Admin({ url: "tcp://127.0.0.1:7401", adminToken: "a" });
  const u = await admin.listUsers({ verified: VerifiedFilter.VERIFIED_ONLY, pageSize: 10 });
  const sid: string | undefined = u.users[0]?.messageSid;
  try {
    await auth.health();
  } catch (e) {
    if (e instanceof PhoneauthError) {
      const c: CodeName = e.code;
      const left: number | undefined = e.attemptsLeft;
      void [c, left, e.reason, e.retryAfterS, e.httpStatus, e.toJSON()];
    }
  }
  void [after, msg, tok, exp, sid];
}
void use;
