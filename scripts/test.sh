#!/usr/bin/env bash
# The README's second command (and what .ci/run calls): install what is missing, build with
# warnings as errors, run every test; then the same unit and integration tests under
# AddressSanitizer + UndefinedBehaviorSanitizer, and every fuzzer for a few seconds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc)
fuzz_seconds=${KPP_FUZZ_SECONDS:-5}
start=$(date +%s)
stamp() { echo "== [$(($(date +%s) - start)) s] $*"; }

stamp "dependencies"
bash scripts/install-deps.sh --test

stamp "build (RelWithDebInfo, -Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKPP_WERROR=ON >/dev/null
cmake --build build -j"$jobs"

stamp "tests"
(cd build && ctest -j"$jobs" --output-on-failure --timeout 600)

stamp "release build, the commands docker/Dockerfile runs"
release_cmd='cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DKPP_TESTS=OFF -DKPP_BENCH=OFF'
grep -qF -- "$release_cmd" docker/Dockerfile || { echo "docker/Dockerfile no longer runs: $release_cmd"; exit 1; }
${release_cmd/-B build/-B build-release} >/dev/null
cmake --build build-release -j"$jobs"
build-release/kafka-psc-proxy --version

# Under the sanitizers: every unit test, and the integration tests that drive the proxy
# binary (itself instrumented) through its bad-input, rewrite, protocol and lifecycle paths.
asan_tests=(kpp_protocol_tests kpp_routing_tests kpp_config_tests kpp_admin_tests kpp_net_tests
            kpp_app_tests kpp_it_bad_input_test kpp_it_metadata_rewrite_test
            kpp_it_produce_consume_test kpp_it_mismatch_diagnostics_test
            kpp_it_proxy_protocol_test kpp_it_kfake_raw_protocol_test kpp_it_lifecycle_test)
stamp "sanitizer build (ASan + UBSan): ${asan_tests[*]}"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKPP_SANITIZE=ON -DKPP_BENCH=OFF >/dev/null
cmake --build build-asan -j"$jobs" --target kafka-psc-proxy "${asan_tests[@]}"
stamp "tests under ASan + UBSan"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Targets not built above show up in ctest as <target>_NOT_BUILT placeholders: skip those.
(cd build-asan && ctest -j"$jobs" --output-on-failure --timeout 900 -LE service -E '_NOT_BUILT$')

stamp "fuzzers (${fuzz_seconds} s each, clang libFuzzer)"
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DKPP_FUZZ=ON -DKPP_TESTS=OFF -DKPP_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$jobs" --target fuzzers
fuzz_passed=0
fuzz_failed=0
for target in build-fuzz/tests/fuzz/fuzz_*; do
  name=$(basename "$target")
  corpus="tests/fuzz/corpus/${name#fuzz_}"
  work=$(mktemp -d)
  if "$target" -max_total_time="$fuzz_seconds" -print_final_stats=1 -artifact_prefix="$work.crash-" \
      "$work" "$corpus" >"$work.log" 2>&1; then
    fuzz_passed=$((fuzz_passed + 1))
    echo "$name: $(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$work.log" | grep -o '[0-9]*$') execs, no finding"
  else
    fuzz_failed=$((fuzz_failed + 1))
    echo "$name: FAILED"; tail -40 "$work.log"
  fi
  rm -rf "$work" "$work.log"
done
echo "fuzz: $fuzz_passed passed, $fuzz_failed failed"
stamp "done"
[[ $fuzz_failed -eq 0 ]]
