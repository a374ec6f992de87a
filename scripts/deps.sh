#!/usr/bin/env bash
# deps.sh: installs the Debian 12 packages phoneauth needs to build, test and run, skipping
# those already installed. Runs apt-get as root (or through sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config g++ clang
  libnng-dev protobuf-c-compiler libprotobuf-c-dev
  libsodium-dev libcurl4-openssl-dev libpq-dev libjson-c-dev libssl-dev
  libphonenumber-dev libutf8proc-dev libcmocka-dev
  postgresql-15 postgresql-client-15 curl ca-certificates openssl
  docker-compose  # tests/deploy validates compose.yaml with it; no Docker engine is installed
  clang-format    # the format test (scripts/check-format.sh)
  # make test-browser drives Debian's Chromium (examples/site); the emoji font draws ✅ and ❌.
  chromium fonts-noto-color-emoji
)
[ "${PHONEAUTH_DEPS_EXTRA:-}" ] && read -r -a extra <<<"$PHONEAUTH_DEPS_EXTRA" && PACKAGES+=("${extra[@]}")

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# The Node client (clients/node) needs Node.js 20 or newer with npm; its code generator (buf and
# protoc-gen-es) comes from npm, so no protoc is needed. Debian 12's own nodejs is 18: when node is
# missing, install it (and npm), then insist on 20.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing_node=1
else
  missing_node=0
fi
check_node() {
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -lt 20 ] || ! command -v npm >/dev/null 2>&1; then
    echo "deps: clients/node needs Node.js >= 20 with npm (found $(node --version 2>/dev/null || echo none));" \
         "install it from nodejs.org or NodeSource" >&2
    exit 1
  fi
}
[ "$missing_node" -eq 1 ] && missing+=(nodejs npm)

if [ ${#missing[@]} -eq 0 ]; then
  check_node
  exit 0
fi

SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# The postgresql package would start a system cluster; phoneauth runs its own, so none is needed.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
check_node
