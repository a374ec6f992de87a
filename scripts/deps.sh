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
)
[ "${PHONEAUTH_DEPS_EXTRA:-}" ] && read -r -a extra <<<"$PHONEAUTH_DEPS_EXTRA" && PACKAGES+=("${extra[@]}")

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# The postgresql package would start a system cluster; phoneauth runs its own, so none is needed.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
