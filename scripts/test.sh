#!/usr/bin/env bash
# The README's second command (and what .ci/run calls): install what is missing, build with
# warnings as errors, run every test; then the same unit and integration tests under
# AddressSanitizer + UndefinedBehaviorSanitizer, and every fuzzer for a few seconds.
#
# Tests that need an optional tool (kfake-broker, node/npm, haproxy, ss, systemd-analyze,
# promtool, chromium, the shellcheck linter) skip where it is absent; the run ends with
# "N passed, N failed, N skipped" and a line per missing tool saying how to provide it. Under
# CI=true a skip is a failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=$(nproc)
fuzz_seconds=${KPP_FUZZ_SECONDS:-5}
start=$(date +%s)
stamp() { echo "== [$(($(date +%s) - start)) s] $*"; }

total_passed=0
total_failed=0
total_skipped=0
stage_lines=()
missing_log=$(mktemp)
trap 'rm -f "$missing_log"' EXIT

# junit_count FILE ATTRIBUTE: a count from the <testsuite ...> element of ctest's JUnit report
# (ctest writes one attribute per line).
junit_count() {
  local n
  n=$(tr '\n\t' '  ' <"$1" | grep -m1 -o '<testsuite [^>]*>' | grep -o "[[:space:]]$2=\"[0-9]*\"" |
    grep -o '[0-9][0-9]*' || true)
  echo "${n:-0}"
}

# ctest_stage NAME BUILD_DIR [ctest args...]: runs ctest, counts from its JUnit report, and
# collects the missing-tool lines that skipped tests printed. Never stops the script.
ctest_stage() {
  local name=$1 dir=$2
  shift 2
  local junit="$root/$dir/ctest-junit.xml" status=0
  rm -f "$junit"
  (cd "$dir" && ctest -j"$jobs" --no-tests=error --output-on-failure --output-junit "$junit" "$@") ||
    status=$?
  local tests=0 failures=0 skipped=0
  if [[ -f $junit ]]; then
    tests=$(junit_count "$junit" tests)
    failures=$(junit_count "$junit" failures)
    skipped=$(junit_count "$junit" skipped)
  fi
  if ((status != 0 && failures == 0)); then
    failures=1 # ctest itself failed (no tests found, a crash before the report)
  fi
  local passed=$((tests - failures - skipped))
  ((passed < 0)) && passed=0
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failures))
  total_skipped=$((total_skipped + skipped))
  stage_lines+=("$name: $passed passed, $failures failed, $skipped skipped")
  if [[ -f $dir/Testing/Temporary/LastTest.log ]]; then
    grep -o '\[kpp-missing-tool\] .*' "$dir/Testing/Temporary/LastTest.log" >>"$missing_log" || true
  fi
}

stamp "dependencies"
bash scripts/install-deps.sh --test

# shellcheck source=scripts/build-options.sh
source scripts/build-options.sh
stamp "build (RelWithDebInfo, -Werror)"
cmake -S . -B build "${kpp_build_options[@]}" >/dev/null
cmake --build build -j"$jobs"

stamp "tests"
ctest_stage "tests" build --timeout 600

stamp "release build, the commands docker/Dockerfile runs"
release_cmd='cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DKPP_TESTS=OFF -DKPP_BENCH=OFF'
grep -qF -- "$release_cmd" docker/Dockerfile || { echo "docker/Dockerfile no longer runs: $release_cmd"; exit 1; }
${release_cmd/-B build/-B build-release} -DKPP_WERROR=OFF -DKPP_SANITIZE=OFF -DKPP_FUZZ=OFF >/dev/null
cmake --build build-release -j"$jobs"
build-release/kafka-psc-proxy --version

# Under the sanitizers: every unit test, and the integration tests that drive the proxy
# binary (itself instrumented) through its bad-input, rewrite, protocol and lifecycle paths.
asan_tests=(kpp_protocol_tests kpp_routing_tests kpp_config_tests kpp_admin_tests kpp_net_tests
            kpp_app_tests kpp_auth_tests kpp_discovery_tests kpp_it_bad_input_test
            kpp_it_metadata_rewrite_test kpp_it_produce_consume_test
            kpp_it_mismatch_diagnostics_test kpp_it_proxy_protocol_test
            kpp_it_kfake_raw_protocol_test kpp_it_lifecycle_test kpp_it_session_defects_test
            kpp_it_tls_test kpp_it_first_bytes_test kpp_it_sni_routing_test
            kpp_it_sasl_upstream_login_test kpp_it_sasl_client_auth_test
            kpp_it_upstream_tls_test kpp_it_discovery_sasl_test)
stamp "sanitizer build (ASan + UBSan): ${asan_tests[*]}"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKPP_TESTS=ON -DKPP_BENCH=OFF -DKPP_WERROR=OFF \
  -DKPP_SANITIZE=ON -DKPP_FUZZ=OFF >/dev/null
cmake --build build-asan -j"$jobs" --target kafka-psc-proxy "${asan_tests[@]}"
stamp "tests under ASan + UBSan"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Targets not built above show up in ctest as <target>_NOT_BUILT placeholders: skip those.
ctest_stage "tests under ASan + UBSan" build-asan --timeout 900 -LE service -E '_NOT_BUILT$'

stamp "fuzzers (${fuzz_seconds} s each, clang libFuzzer)"
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DKPP_FUZZ=ON -DKPP_TESTS=OFF -DKPP_BENCH=OFF -DKPP_WERROR=OFF -DKPP_SANITIZE=OFF >/dev/null
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
if ((fuzz_passed + fuzz_failed == 0)); then
  echo "fuzz: no fuzz target was built"
  fuzz_failed=1
fi
stage_lines+=("fuzz: $fuzz_passed passed, $fuzz_failed failed, 0 skipped")
total_passed=$((total_passed + fuzz_passed))
total_failed=$((total_failed + fuzz_failed))

stamp "done"
echo "== summary"
printf '%s\n' "${stage_lines[@]}"
echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
# One line per missing tool: how many tests it skipped and how to provide it.
sort "$missing_log" | uniq -c | while read -r count line; do
  echo "skipped $count test(s): ${line#\[kpp-missing-tool\] }"
done
status=0
((total_failed == 0)) || status=1
if [[ "${CI:-}" == "true" && $total_skipped -ne 0 ]]; then
  echo "CI=true: $total_skipped test(s) skipped, and CI has every optional tool: failing the run"
  status=1
fi
exit "$status"
