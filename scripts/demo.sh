#!/usr/bin/env bash
# The README's first command: install what is missing, build, run the built-in demo (an
# embedded 3-broker mock cluster, the proxy told about one broker, a producer and a consumer
# group through it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash scripts/install-deps.sh
# The same options as test.sh (one build/ tree for both, in either order); only the proxy is built.
# shellcheck source=scripts/build-options.sh
source scripts/build-options.sh
cmake -S . -B build "${kpp_build_options[@]}" >/dev/null
cmake --build build --target kafka-psc-proxy -j"$(nproc)"
exec build/kafka-psc-proxy demo "$@"
