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
stamp "build (Release, as docker/Dockerfile, plus tests and -Werror)"
cmake -S . -B build "${kpp_build_options[@]}" >/dev/null
cmake --build build -j"$jobs"

stamp "tests"
ctest_stage "tests" build --timeout 600

# The container's build: the Dockerfile's configure must work without the test packages'
# targets, and it must compile the product exactly as the tested build/ did (same compile
# commands but -Werror), so the binary the tests ran is the one the image ships. Comparing the
# commands instead of compiling everything a second time saves CI a whole build.
stamp "release build, the commands docker/Dockerfile runs"
release_cmd='cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DKPP_TESTS=OFF -DKPP_BENCH=OFF'
grep -qF -- "$release_cmd" docker/Dockerfile || { echo "docker/Dockerfile no longer runs: $release_cmd"; exit 1; }
${release_cmd/-B build/-B build-release} -DKPP_WERROR=OFF -DKPP_SANITIZE=OFF -DKPP_FUZZ=OFF >/dev/null
# product_compile_commands DIR: the compile command of every product source (src/), with
# DIR's path and -Werror taken out; one per line, as CMake writes compile_commands.json.
product_compile_commands() {
  grep -E '^ *"command": .* -c [^ ]*/src/[^ ]*\.cpp",$' "$1/compile_commands.json" |
    sed -e "s#$root/$1#BUILD#g" -e 's/ -Werror//' | sort
}
product_sources=$(find src -name '*.cpp' | wc -l)
tested=$(product_compile_commands build | wc -l)
if ((tested != product_sources)) ||
    ! diff <(product_compile_commands build) <(product_compile_commands build-release); then
  echo "docker/Dockerfile's build must compile the $product_sources product sources as the tested" \
    "build/ did (found $tested in build/; the differences are above)"
  exit 1
fi
echo "the Dockerfile's build compiles all $product_sources product sources as the tested build did"
build/kafka-psc-proxy --version

# Under the sanitizers: the proxy binary and every unit test are built instrumented. The
# integration tests that drive the proxy through its bad-input, rewrite, protocol, TLS, SASL and
# lifecycle paths then run from build/ against the instrumented binary (KPP_PROXY_UNDER_TEST):
# what must be checked is the proxy, and the drivers need no second, instrumented build.
asan_units=(kpp_protocol_tests kpp_routing_tests kpp_config_tests kpp_admin_tests kpp_net_tests
            kpp_app_tests kpp_auth_tests kpp_discovery_tests)
asan_integration=(bad_input metadata_rewrite produce_consume mismatch_diagnostics proxy_protocol
                  kfake_raw_protocol lifecycle session_defects tls first_bytes sni_routing
                  sasl_upstream_login sasl_client_auth sasl_reauthentication upstream_tls
                  discovery_sasl sasl_passthrough_tls)
# Not meaningful under ASan: its allocator reserves terabytes of address space, so RLIMIT_AS
# cannot make one allocation fail; and its RSS says nothing about the release build's.
asan_excluded='SessionDefects\.AnExceptionInASessionClosesOnlyThatSession|UpstreamTlsIdle\.'
stamp "sanitizer build (ASan + UBSan): kafka-psc-proxy ${asan_units[*]}"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DKPP_TESTS=ON -DKPP_BENCH=OFF -DKPP_WERROR=OFF \
  -DKPP_SANITIZE=ON -DKPP_FUZZ=OFF >/dev/null
cmake --build build-asan -j"$jobs" --target kafka-psc-proxy "${asan_units[@]}"
stamp "tests under ASan + UBSan"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest_stage "unit tests under ASan + UBSan" build-asan --timeout 900 -L '^unit$'
label_regex="^integration-kpp_it_($(IFS='|'; echo "${asan_integration[*]}"))_test\$"
export KPP_PROXY_UNDER_TEST="$root/build-asan/kafka-psc-proxy"
ctest_stage "integration tests against the ASan + UBSan proxy" build --timeout 900 \
  -L "$label_regex" -E "$asan_excluded"
unset KPP_PROXY_UNDER_TEST

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
