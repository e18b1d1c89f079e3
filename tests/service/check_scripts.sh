#!/usr/bin/env bash
# Static checks of the project's shell scripts:
#   - `bash -n` and shellcheck on every *.sh under config/ docker/ scripts/ tests/service/ .ci/
#     (and .ci/run, which has no suffix);
#   - `sh -n` and `shellcheck -s sh` on the Debian maintainer scripts (cmake/debian/);
#   - config/gce/deploy.sh in DRY_RUN mode prints the expected gcloud commands.
# Without shellcheck installed, only the syntax checks run, and the check then ends as skipped.
# Exit 0: pass; 1: fail; 77: skipped (no shellcheck; ctest SKIP_RETURN_CODE).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root" || exit 1

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# shellcheck source=tests/service/missing_tool.sh
source "$here/missing_tool.sh"
have_shellcheck=1
if ! command -v shellcheck >/dev/null 2>&1; then
  have_shellcheck=0
  echo "shellcheck not installed: running the syntax checks only"
fi

mapfile -t bash_scripts < <(
  {
    find config docker scripts tests/service tests/monitoring .ci -type f -name '*.sh' 2>/dev/null
    [[ -f .ci/run ]] && echo .ci/run
  } | sort -u
)
mapfile -t sh_scripts < <(find cmake/debian -type f \( -name postinst -o -name prerm -o -name postrm -o -name preinst \) 2>/dev/null)

if [[ ${#bash_scripts[@]} -eq 0 ]]; then
  fail "no *.sh found under config/ docker/ scripts/ tests/service/ .ci/"
fi

for f in "${bash_scripts[@]}"; do
  if bash -n "$f"; then echo "ok: bash -n $f"; else fail "bash -n $f"; fi
  if [[ $have_shellcheck -eq 1 ]]; then
    if shellcheck -x "$f"; then echo "ok: shellcheck $f"; else fail "shellcheck $f"; fi
  fi
done
for f in "${sh_scripts[@]}"; do
  if sh -n "$f"; then echo "ok: sh -n $f"; else fail "sh -n $f"; fi
  if [[ $have_shellcheck -eq 1 ]]; then
    if shellcheck -s sh "$f"; then echo "ok: shellcheck -s sh $f"; else fail "shellcheck $f"; fi
  fi
  [[ -x $f ]] || fail "$f is not executable"
done

# deploy.sh dry run: the PSC chain is all there, with the options that matter.
if [[ -f config/gce/deploy.sh ]]; then
  cfg=$(mktemp)
  trap 'rm -f "$cfg"' EXIT
  echo 'listen: 0.0.0.0' >"$cfg"
  if out=$(env -i PATH="$PATH" HOME="${HOME:-/tmp}" DRY_RUN=1 REGION=us-west1 SUBNET=proxy-subnet \
      PSC_NAT_RANGE=10.200.0.0/24 DEB_URL=gs://bucket/kafka-psc-proxy.deb CONFIG_FILE="$cfg" \
      ENABLE_PROXY_PROTOCOL=1 bash config/gce/deploy.sh 2>&1); then
    for want in \
      'health-checks create http kafka-psc-proxy-ready .*--port=9080 --request-path=/ready' \
      'health-checks create http kafka-psc-proxy-live .*--request-path=/health' \
      'firewall-rules create kafka-psc-proxy-allow-health-checks .*--source-ranges=35.191.0.0/16\\,130.211.0.0/22' \
      'firewall-rules create kafka-psc-proxy-allow-psc .*--rules=tcp:9092\\,tcp:9100-9199 --source-ranges=10.200.0.0/24' \
      'networks subnets create kafka-psc-proxy-psc-nat .*--purpose=PRIVATE_SERVICE_CONNECT' \
      'instance-templates create kafka-psc-proxy-.*--metadata-from-file=startup-script=' \
      'instance-groups managed create kafka-psc-proxy .*--health-check=kafka-psc-proxy-live' \
      'backend-services create kafka-psc-proxy .*--load-balancing-scheme=INTERNAL --protocol=TCP --health-checks=kafka-psc-proxy-ready' \
      'backend-services add-backend kafka-psc-proxy ' \
      'forwarding-rules create kafka-psc-proxy .*--load-balancing-scheme=INTERNAL .*--ports=ALL' \
      'service-attachments create kafka-psc-proxy .*--nat-subnets=kafka-psc-proxy-psc-nat --enable-proxy-protocol'; do
      if grep -qE -- "$want" <<<"$out"; then
        echo "ok: deploy.sh dry run: $want"
      else
        fail "deploy.sh dry run lacks: $want"
      fi
    done
  else
    printf '%s\n' "$out"
    fail "deploy.sh DRY_RUN=1 exited non-zero"
  fi
fi

checked=$(( ${#bash_scripts[@]} + ${#sh_scripts[@]} ))
if [[ $fails -ne 0 ]]; then
  echo "FAIL: $fails problem(s) in $checked script(s)"
  exit 1
fi
echo "ok: $checked script(s) pass"
[[ $have_shellcheck -eq 1 ]] || missing_tool shellcheck "apt-get install shellcheck (only the syntax checks ran)"
