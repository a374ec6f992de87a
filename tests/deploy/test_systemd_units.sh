#!/usr/bin/env bash
# test_systemd_units.sh: the units in deploy/systemd/ pass `systemd-analyze verify` without a
# single warning (a template through a real instance, @1), keep the promised sandboxing, and score
# an exposure below 2.0 in `systemd-analyze security --offline`. Needs no running systemd.
# Exit 77 (skipped) without systemd-analyze.
#
#   test_systemd_units.sh [SOURCE_DIR]
set -euo pipefail

top=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "systemd-analyze not installed: skipped"
  exit 77
fi
src=$top/deploy/systemd
units=(phoneauth-auth.service phoneauth-sms-worker@.service)

fail=0
bad() { echo "FAIL: $*" >&2; fail=1; }

# verify checks that ExecStart= programs exist: point the copies at stand-ins in a temp dir.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/units"
for b in phoneauth-auth phoneauth-sms-worker; do
  printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/$b"
  chmod +x "$tmp/bin/$b"
done
for u in "${units[@]}"; do
  [ -f "$src/$u" ] || { bad "$src/$u missing"; continue; }
  grep -q '^ExecStart=/usr/local/bin/' "$src/$u" || bad "$u: ExecStart is not under /usr/local/bin"
  sed "s#/usr/local/bin/#$tmp/bin/#g" "$src/$u" >"$tmp/units/$u"
done
ln -s phoneauth-sms-worker@.service "$tmp/units/phoneauth-sms-worker@1.service"

# verify warns (unknown keys, bad values) on stderr but still exits 0: any output is a failure.
out=$(cd "$tmp/units" && systemd-analyze verify phoneauth-auth.service \
  phoneauth-sms-worker@1.service phoneauth-sms-worker@.service 2>&1) || bad "systemd-analyze verify failed"
[ -z "$out" ] || bad "systemd-analyze verify: $out"

for u in "${units[@]}"; do
  f=$src/$u
  [ -f "$f" ] || continue
  for d in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes DynamicUser=yes \
           Restart=on-failure 'RestrictAddressFamilies=' 'SystemCallFilter=@system-service' \
           'CapabilityBoundingSet=' 'EnvironmentFile=/etc/phoneauth/' 'WantedBy=multi-user.target'; do
    grep -q "^$d" "$f" || bad "$u: no $d"
  done
  if score=$(systemd-analyze security --offline=true --threshold=20 "$tmp/units/$u" 2>&1 | tail -n1); then
    :
  else
    bad "$u: exposure above 2.0: $score"
  fi
done
grep -q '^ExecStartPre=/usr/local/bin/phoneauth-auth migrate$' "$src/phoneauth-auth.service" ||
  bad "phoneauth-auth.service does not migrate before serving"
grep -q '^Environment=PHONEAUTH_WORKER_HTTP=127.0.0.1:748%i$' "$src/phoneauth-sms-worker@.service" ||
  bad "worker instances do not get their own PHONEAUTH_WORKER_HTTP port"
grep -q '^EnvironmentFile=-/etc/phoneauth/sms-worker@%i.env$' "$src/phoneauth-sms-worker@.service" ||
  bad "worker instances have no optional per-instance environment file"

[ "$fail" = 0 ] && echo "deploy/systemd: ok"
exit "$fail"
