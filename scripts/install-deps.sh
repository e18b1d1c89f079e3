#!/usr/bin/env bash
# Installs what is missing to build kafka-psc-proxy (and, with --test, to run its tests) on
# Debian bookworm. Idempotent; needs root (or sudo) for apt-get.
set -euo pipefail

with_tests=0
[[ "${1:-}" == "--test" ]] && with_tests=1

# libssl-dev: TLS on the client and upstream legs (Boost.Asio ssl over OpenSSL), and libcrypto
# for SASL (SCRAM/PLAIN key derivation, HMAC, random nonces).
build_pkgs=(g++ cmake make pkg-config libboost-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
            librdkafka-dev libsystemd-dev libssl-dev libgtest-dev libgmock-dev libbenchmark-dev)
# haproxy: L4 reference and HA test; systemd: systemd-analyze; shellcheck; dpkg-dev + file:
# cpack DEB dependencies; clang: libFuzzer; iproute2: ss (keepalive test); prometheus:
# promtool for the alerting-rule tests (config/monitoring); chromium: the status page test
# renders admin / in a real headless browser.
test_pkgs=(haproxy systemd shellcheck dpkg-dev file clang iproute2 prometheus chromium)

pkgs=("${build_pkgs[@]}")
((with_tests)) && pkgs+=("${test_pkgs[@]}")
# Node.js runs the JavaScript client tests; keep a Node that is already installed.
((with_tests)) && ! command -v node >/dev/null 2>&1 && pkgs+=(nodejs npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
# CI may run on a fresh machine: always refresh the package lists before looking anything up.
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ((with_tests)) && command -v npm >/dev/null 2>&1; then
  root=$(cd "$(dirname "$0")/.." && pwd)
  if [[ -f "$root/tests/node/package-lock.json" ]]; then
    npm ci --prefix "$root/tests/node" --no-audit --no-fund --loglevel=error
  fi
fi
