#!/usr/bin/env bash
# run.sh: `make run`: a private PostgreSQL under .run/, migrations, phoneauth-auth, and (once
# built) one SMS worker in console mode unless TWILIO_* variables are set. With
# PHONEAUTH_FAKE_TWILIO=1 the worker sends to the test suite's fake Twilio, which answers like
# Twilio and posts signed "sent" and "delivered" callbacks. With PHONEAUTH_SITE=1 (`make site`)
# it also starts the reference site (examples/site) for PHONEAUTH_PROFILE on SITE_LISTEN
# (127.0.0.1:3000), with a client token on the Auth listener. The console worker's messages
# (with their codes) also go to .run/sms.log, where the README's quick start reads them.
# PHONEAUTH_RUN_DIR (default .run/) holds the cluster, the development keys and sms.log (the
# quick-start test runs its own stack there). Ctrl-C stops it all.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
run=${PHONEAUTH_RUN_DIR:-$top/.run}
mkdir -p "$run"

bash "$top/tests/support/pgcluster.sh" start "$run/pg" >/dev/null
# shellcheck disable=SC1091
. "$run/pg/env"
export PHONEAUTH_MIGRATIONS_DIR=$top/migrations
export PHONEAUTH_RPC_URL=${PHONEAUTH_RPC_URL:-tcp://127.0.0.1:7400}
export PHONEAUTH_ADMIN_URL=${PHONEAUTH_ADMIN_URL:-tcp://127.0.0.1:7401}
export PHONEAUTH_HTTP=${PHONEAUTH_HTTP:-127.0.0.1:7480}
export PHONEAUTH_JOBS_URL=${PHONEAUTH_JOBS_URL:-tcp://127.0.0.1:7402}
# Development keys live in .run/ (ignored by git) and survive restarts; production sets its own.
keys=$run/dev-keys.env
(
  umask 077
  touch "$keys"
  # name:bytes; a key added by a newer version is appended to an older file.
  for kv in PHONEAUTH_OTP_KEY:32 PHONEAUTH_OUTBOX_KEY:32 PHONEAUTH_TOKEN_KEY:32 \
            PHONEAUTH_AUDIT_KEY:32 PHONEAUTH_ADMIN_TOKEN:24; do
    grep -q "^export ${kv%%:*}=" "$keys" ||
      echo "export ${kv%%:*}=$(head -c"${kv#*:}" /dev/urandom | od -An -tx1 | tr -d ' \n')" >>"$keys"
  done
)
# shellcheck disable=SC1090
. "$keys"
if [ "${PHONEAUTH_SITE:-}" = 1 ]; then
  # The site's own secrets: the Auth listener's client token (so the service counts per-IP limits
  # by the end-user IP the site sends) and the admin page's password.
  site_keys=$run/site-keys.env
  (
    umask 077
    touch "$site_keys"
    for kv in PHONEAUTH_CLIENT_TOKEN:24 SITE_ADMIN_PASSWORD:8; do
      grep -q "^export ${kv%%:*}=" "$site_keys" ||
        echo "export ${kv%%:*}=$(head -c"${kv#*:}" /dev/urandom | od -An -tx1 | tr -d ' \n')" >>"$site_keys"
    done
  )
  # shellcheck disable=SC1090
  . "$site_keys"
fi

"$build/services/auth/phoneauth-auth" migrate

pids=()
cleanup() {
  trap - INT TERM EXIT
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  bash "$top/tests/support/pgcluster.sh" stop "$run/pg" >/dev/null 2>&1 || true
  echo "run: stopped" >&2
}
trap cleanup INT TERM EXIT

"$build/services/auth/phoneauth-auth" serve &
pids+=($!)
worker=$build/services/sms-worker/phoneauth-sms-worker
export PHONEAUTH_WORKER_HTTP=${PHONEAUTH_WORKER_HTTP:-127.0.0.1:7481}
if [ "${PHONEAUTH_FAKE_TWILIO:-}" = 1 ]; then
  # Made-up credentials: they only mean something to the fake.
  export TWILIO_API_BASE=http://127.0.0.1:7490
  export TWILIO_ACCOUNT_SID=AC0000000000000000000000000000dead
  export TWILIO_AUTH_TOKEN=fake-twilio-dev-token
  export TWILIO_MESSAGING_SERVICE_SID=MG0000000000000000000000000000beef
  export PHONEAUTH_STATUS_CALLBACK_URL=http://$PHONEAUTH_WORKER_HTTP/twilio/status
  "$build/tests/phoneauth-fake-twilio" --listen 127.0.0.1:7490 --auto-callback-ms 1000 &
  pids+=($!)
fi
if [ -x "$worker" ]; then
  if [ -z "${TWILIO_ACCOUNT_SID:-}" ]; then
    export PHONEAUTH_SMS_BACKEND=console
    echo "run: no TWILIO_* variables: the SMS worker prints messages instead of sending them" >&2
  fi
  # stdout carries only the console backend's messages; this run's copy is for the quick start.
  "$worker" > >(tee "$run/sms.log") &
  pids+=($!)
fi

site_msg=
if [ "${PHONEAUTH_SITE:-}" = 1 ]; then
  export SITE_LISTEN=${SITE_LISTEN:-127.0.0.1:3000}
  node "$top/examples/site/server.mjs" &
  pids+=($!)
  site_msg="
  Site        http://$SITE_LISTEN/   (${PHONEAUTH_PROFILE:-fancy-feathers}; admin page: user admin, password $SITE_ADMIN_PASSWORD)
              the SMS worker prints each code below (console mode); the Auth listener now
              wants a client token: . $site_keys before using the CLI"
fi

cat >&2 <<MSG

phoneauth is running:
  Auth RPC    $PHONEAUTH_RPC_URL
  Admin RPC   $PHONEAUTH_ADMIN_URL   (token in $keys)
  HTTP        http://$PHONEAUTH_HTTP/healthz  http://$PHONEAUTH_HTTP/metrics
  PostgreSQL  $DATABASE_URL$site_msg

Try it from another terminal (README.md, "Quick start"):
  $build/cli/phoneauth health
  $build/cli/phoneauth --help
SMS codes (console mode) appear below and in $run/sms.log.

Ctrl-C stops everything.
MSG
wait -n "${pids[@]}"
