#!/usr/bin/env node
// server.mjs: starts the reference site. Configuration from the environment:
//   PHONEAUTH_PROFILE       fancy-feathers (default) or lawnflow: which site's pages (the service's)
//   PHONEAUTH_RPC_URL       the Auth listener (default tcp://127.0.0.1:7400)
//   PHONEAUTH_CLIENT_TOKEN  the Auth listener's client token (set it: then the service counts
//                           per-IP limits by the end-user IP the site sends)
//   PHONEAUTH_ADMIN_URL, PHONEAUTH_ADMIN_TOKEN  for the admin page (default tcp://127.0.0.1:7401)
//   SITE_ADMIN_PASSWORD     the admin page's basic-auth password (user "admin"); unset: no admin page
//   SITE_LISTEN             host:port (default 127.0.0.1:3000)
//   SITE_URL                the public URL; https://… marks cookies Secure
//   SITE_TRUST_PROXY        1: the end user's IP is the last X-Forwarded-For hop (behind a proxy)
// No Twilio credential: the site calls phoneauth, phoneauth's SMS worker calls Twilio.
import { Auth } from "@phoneauth/client";

import { createSite } from "./src/app.mjs";

const env = process.env;
const listen = env.SITE_LISTEN ?? "127.0.0.1:3000";
const i = listen.lastIndexOf(":");
const host = listen.slice(0, i) || "127.0.0.1";
const port = Number(listen.slice(i + 1));
const url = env.SITE_URL ?? `http://${host}:${port}`;
const profile = env.PHONEAUTH_PROFILE ?? "fancy-feathers";
if (!["fancy-feathers", "lawnflow"].includes(profile)) {
  console.error(`site: PHONEAUTH_PROFILE must be fancy-feathers or lawnflow (got "${profile}")`);
  process.exit(2);
}
const rpcUrl = env.PHONEAUTH_RPC_URL ?? "tcp://127.0.0.1:7400";

// The service says which profile it runs; the pages must be that site's.
{
  const probe = new Auth({ url: rpcUrl, clientToken: env.PHONEAUTH_CLIENT_TOKEN || undefined, timeoutMs: 3000 });
  try {
    const h = await probe.health();
    if (h.profile !== profile) console.error(`site: warning: the service runs profile ${h.profile}, the site ${profile}`);
  } catch (e) {
    console.error(`site: warning: phoneauth at ${rpcUrl} did not answer Health (${e.code} ${e.reason}); starting anyway`);
  } finally {
    probe.close();
  }
}

const { server } = createSite({
  profile,
  rpcUrl,
  clientToken: env.PHONEAUTH_CLIENT_TOKEN,
  adminUrl: env.PHONEAUTH_ADMIN_URL ?? "tcp://127.0.0.1:7401",
  adminToken: env.PHONEAUTH_ADMIN_TOKEN,
  adminPassword: env.SITE_ADMIN_PASSWORD,
  secure: url.startsWith("https://"),
  trustProxy: env.SITE_TRUST_PROXY === "1",
});
server.listen(port, host, () => console.error(`site: ${profile} listening on ${url}`));
const stop = () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 2000).unref();
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
