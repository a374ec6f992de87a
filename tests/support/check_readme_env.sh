#!/usr/bin/env bash
# check_readme_env.sh AUTH_BIN WORKER_BIN README: fails when a variable that `check-config` prints
# is missing from the README's tables, so the documentation cannot fall behind the code.
set -euo pipefail
auth=$1 worker=$2 readme=$3
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
  case $n in PHONEAUTH_MSG_*) n=PHONEAUTH_MSG_ ;; esac
  grep -q "\`$n" "$readme" || { echo "README.md does not document $n" >&2; missing=1; }
done
[ $missing -eq 0 ] && echo "README.md documents all $(wc -w <<<"$names") variables"
exit $missing
