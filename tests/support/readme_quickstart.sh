#!/usr/bin/env bash
# readme_quickstart.sh SRC BUILD README: runs README.md's quick start as a newcomer pastes it.
# For each profile (ff, lf) the block tagged ```sh quickstart-<p>-run must be one `make run`
# line (with its variables); it is started as `make run` starts it (scripts/run.sh, with this
# build and its own .run/ and PostgreSQL), on free ports, from a directory that looks like a
# checkout (build/ is this build). Then the block tagged ```sh quickstart-<p> runs there in one
# `bash -eu -o pipefail`: the first command that fails, or a reply that is not what the README
# promises, fails the test with the command and the stack's output.
set -euo pipefail
src=$1 build=$2 readme=$3
work=$build/testtmp/quickstart
rm -rf "$work"
mkdir -p "$work"
ln -s "$build" "$work/build"
unset TWILIO_ACCOUNT_SID TWILIO_AUTH_TOKEN TWILIO_API_KEY TWILIO_API_SECRET PHONEAUTH_FAKE_TWILIO \
  PHONEAUTH_PASSWORD PHONEAUTH_PASSWORD_CONFIRM PHONEAUTH_ADMIN_TOKEN PHONEAUTH_CLIENT_TOKEN \
  PHONEAUTH_PROFILE DATABASE_URL

# The lines of the fenced block ```sh TAG (all such blocks, in order); fails when there is none.
extract() {
  awk -v tag="$1" '$0 == "```sh " tag { on = 1; n++; next } on && /^```/ { on = 0; next }
    on { print } END { exit n ? 0 : 1 }' "$readme" ||
    { echo "readme_quickstart: no \`\`\`sh $1 block in $readme" >&2; return 1; }
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 12000))
    port_free "$p" && port_free "$((p + 1))" && { echo "$p"; return; }
  done
  echo "readme_quickstart: no free port" >&2
  return 1
}

runpid=
stop_stack() {
  [ -n "$runpid" ] || return 0
  kill -TERM "$runpid" 2>/dev/null || true
  wait "$runpid" 2>/dev/null || true
  runpid=
}
trap stop_stack EXIT

# profile, then the phrases its output must show
run_profile() {
  local p=$1 start prefix out rc
  shift
  start=$(extract "quickstart-$p-run")
  # Each line is echoed as the README has it ("+ line") before it runs; no xtrace, which would
  # also print what `. .run/dev-keys.env` sets.
  extract "quickstart-$p" | while IFS= read -r line; do
    printf 'printf "+ %%s\\n" %q\n%s\n' "$line" "$line"
  done >"$work/$p.sh"
  case $start in
    *$'\n'*) echo "readme_quickstart: quickstart-$p-run is more than one line" >&2; return 1 ;;
    *"make run") prefix=${start%make run} ;;
    *) echo "readme_quickstart: quickstart-$p-run is not a \`make run\` line: $start" >&2; return 1 ;;
  esac
  base=$(free_port)
  export PHONEAUTH_RPC_URL=tcp://127.0.0.1:$base PHONEAUTH_ADMIN_URL=tcp://127.0.0.1:$((base + 1))
  base=$(free_port)
  export PHONEAUTH_HTTP=127.0.0.1:$base PHONEAUTH_JOBS_URL=tcp://127.0.0.1:$((base + 1))
  export PHONEAUTH_WORKER_HTTP=127.0.0.1:$(free_port)
  # What `make run` does after building: BUILD_DIR=<build> bash scripts/run.sh
  (cd "$work" && eval "exec env ${prefix} BUILD_DIR=\"\$build\" PHONEAUTH_RUN_DIR=\"\$work/.run\" \
    bash \"\$src/scripts/run.sh\"") >"$work/run-$p.log" 2>&1 &
  runpid=$!
  for i in $(seq 1 240); do
    "$build/cli/phoneauth" health 2>/dev/null | grep -q 'sms_worker=alive' && break
    if ! kill -0 "$runpid" 2>/dev/null || [ "$i" = 240 ]; then
      echo "readme_quickstart: \`$start\` did not come up:" >&2
      cat "$work/run-$p.log" >&2
      return 1
    fi
    sleep 0.5
  done
  rc=0
  out=$(cd "$work" && timeout 180 bash -eu -o pipefail "$work/$p.sh" 2>&1) || rc=$?
  if [ $rc -ne 0 ]; then
    printf 'readme_quickstart: the README'"'"'s quickstart-%s block failed (exit %d; its last line is the command):\n%s\n' \
      "$p" "$rc" "$out" >&2
    echo "--- \`$start\` printed:" >&2
    tail -n 40 "$work/run-$p.log" >&2
    return 1
  fi
  for want in "$@"; do
    if ! grep -qF -- "$want" <<<"$out"; then
      printf 'readme_quickstart: quickstart-%s printed no "%s":\n%s\n' "$p" "$want" "$out" >&2
      return 1
    fi
  done
  stop_stack
  echo "readme_quickstart: quickstart-$p passed ($(grep -c '^+ ' <<<"$out") commands)"
}

run_profile ff 'session_token: ' 'verified         ✅ yes' '1 of 1 users' '"verified":true'
run_profile lf 'verified: yes' 'session_token: '
