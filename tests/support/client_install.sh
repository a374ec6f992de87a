#!/usr/bin/env bash
# client_install.sh SRC BUILD AUTH_BIN PGDIR VERSION [CFLAGS...]: libphoneauth-client as a user
# gets it: `cmake --install` of the client component into a temporary prefix, then
# examples/c/health.c compiled with `pkg-config --cflags --libs phoneauth-client` (shared), with
# `pkg-config --static` against libphoneauth-client.a, and as a CMake project through
# find_package(phoneauth-client); each binary calls Health on a real phoneauth-auth (its own
# database in the pg fixture's cluster). CFLAGS are the build's sanitizer flags, which a program
# linking a sanitized library needs too.
set -euo pipefail
src=$1 build=$2 auth=$3 pgdir=$4 version=$5
shift 5
cflags=("$@")
tmp=$build/testtmp/client-install
prefix=$tmp/prefix
rm -rf "$tmp"
mkdir -p "$tmp"

cmake --install "$build" --prefix "$prefix" --component client >"$tmp/install.log"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
got=$(pkg-config --modversion phoneauth-client)
[ "$got" = "$version" ] || { echo "pkg-config --modversion: $got, want $version" >&2; exit 1; }
echo "pkg-config --modversion phoneauth-client: $got"
# Only the public header and the generated ones are installed: no libcommon header.
find "$prefix/include" -type f | sed "s|$prefix/||" | sort
[ "$(find "$prefix/include" -type f | wc -l)" = 4 ]

# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror "${cflags[@]}" "$src/examples/c/health.c" \
  $(pkg-config --cflags --libs phoneauth-client) -o "$tmp/health"
libs=$(pkg-config --libs --static phoneauth-client)
# shellcheck disable=SC2046,SC2086
cc -std=c11 -Wall -Wextra -Werror "${cflags[@]}" "$src/examples/c/health.c" \
  $(pkg-config --cflags phoneauth-client) ${libs/-lphoneauth-client/-l:libphoneauth-client.a} \
  -o "$tmp/health-static"
! ldd "$tmp/health-static" | grep -q libphoneauth-client
cmake -S "$src/examples/c" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_FLAGS="${cflags[*]}" -DCMAKE_EXE_LINKER_FLAGS="${cflags[*]}" >"$tmp/cmake.log"
cmake --build "$tmp/cmake" >>"$tmp/cmake.log"

# A real auth service on free ports, with a database of its own.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 12000))
    port_free "$p" && { echo "$p"; return; }
  done
  return 1
}
key=636c69656e742d696e7374616c6c2d746573742d6b65792d3031323334353637
rpc_port=$(free_port)
DATABASE_URL=$(bash "$src/tests/support/pgcluster.sh" newdb "$pgdir" client_install)
export DATABASE_URL PHONEAUTH_OTP_KEY=$key PHONEAUTH_OUTBOX_KEY=$key PHONEAUTH_TOKEN_KEY=$key
export PHONEAUTH_MIGRATIONS_DIR=$src/migrations PHONEAUTH_RPC_URL=tcp://127.0.0.1:$rpc_port
export PHONEAUTH_HTTP=127.0.0.1:$(free_port) PHONEAUTH_JOBS_URL=tcp://127.0.0.1:$(free_port)
unset PHONEAUTH_ADMIN_TOKEN PHONEAUTH_CLIENT_TOKEN
"$auth" migrate >"$tmp/auth.log" 2>&1
"$auth" serve >>"$tmp/auth.log" 2>&1 &
authpid=$!
trap 'kill -TERM $authpid 2>/dev/null; wait $authpid 2>/dev/null || true' EXIT

export LD_LIBRARY_PATH=$prefix/lib
for bin in "$tmp/health" "$tmp/health-static" "$tmp/cmake/health" "$tmp/cmake/health-static"; do
  for i in $(seq 1 60); do
    if out=$("$bin" "$PHONEAUTH_RPC_URL" 2>&1); then break; fi
    if [ "$i" = 60 ] || ! kill -0 "$authpid" 2>/dev/null; then
      echo "$bin: $out" >&2
      cat "$tmp/auth.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  echo "${bin#"$tmp"/}: $out"
  grep -q "^OK version=$version database=up" <<<"$out"
done
