#!/usr/bin/env bash
# check_readme_env.sh AUTH_BIN WORKER_BIN README ENV_EXAMPLE: fails when a variable that
# `check-config` prints (the programs' own tables, so nothing is parsed out of C) is missing from
# the README's tables or from the env file example, so neither can fall behind the code.
set -euo pipefail
auth=$1 worker=$2 readme=$3 example=$4
key=6b65792d666f722d636865636b696e672d7468652d726561646d652d6f6e6c79
names=$(
  {
    env -i PATH="$PATH" DATABASE_URL=x PHONEAUTH_OTP_KEY=$key PHONEAUTH_OUTBOX_KEY=$key \
      PHONEAUTH_TOKEN_KEY=$key "$auth" check-config
    env -i PATH="$PATH" DATABASE_URL=x PHONEAUTH_OUTBOX_KEY=$key PHONEAUTH_SMS_BACKEND=console \
      "$worker" check-config
  } | sed -n 's/^\([A-Z][A-Z0-9_]*\)=.*/\1/p' | sort -u
)
[ -n "$names" ] || { echo "check-config printed no variables" >&2; exit 1; }
missing=0
for n in $names; do
  # The example lists every message; the README has one row for PHONEAUTH_MSG_*.
  grep -qE "^(# )?$n=" "$example" ||
    { echo "$(basename "$example") does not list $n" >&2; missing=1; }
  case $n in PHONEAUTH_MSG_*) n=PHONEAUTH_MSG_ ;; esac
  grep -q "\`$n" "$readme" || { echo "README.md does not document $n" >&2; missing=1; }
done
[ $missing -eq 0 ] &&
  echo "README.md and $(basename "$example") document all $(wc -w <<<"$names") variables"
exit $missing
