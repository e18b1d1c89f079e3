#!/usr/bin/env bash
# Checks the systemd unit: `systemd-analyze verify` must print nothing, and the
# offline security review must score an overall exposure <= 2.0 (MAX_EXPOSURE).
#
#   tests/service/check_unit.sh [path/to/kafka-psc-proxy.service]
#
# Exit 0: pass; 1: fail; 77: skipped (no systemd-analyze; ctest SKIP_RETURN_CODE).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
unit=${1:-$root/config/kafka-psc-proxy.service}
name=$(basename "$unit")
max_exposure=${MAX_EXPOSURE:-2.0}

# shellcheck source=tests/service/missing_tool.sh
source "$here/missing_tool.sh"
command -v systemd-analyze >/dev/null 2>&1 ||
  missing_tool systemd-analyze "apt-get install systemd (the unit file is not checked without it)"
[[ -f $unit ]] || { echo "FAIL: no unit file at $unit"; exit 1; }
echo "systemd-analyze: $(systemd-analyze --version | head -n1)"

# --- verify --------------------------------------------------------------------
# verify checks that ExecStart= names an executable and that the dependencies
# resolve. The binary is not installed here, so the unit is verified inside a
# scratch root: a stub /usr/bin/kafka-psc-proxy, /bin/kill for ExecReload=, and a
# copy of the host's system units (targets such as sysinit.target must exist).
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/usr/bin" "$scratch/bin" "$scratch/etc/systemd/system" "$scratch/lib/systemd"
printf '#!/bin/sh\nexit 0\n' >"$scratch/usr/bin/kafka-psc-proxy"
chmod 0755 "$scratch/usr/bin/kafka-psc-proxy"
cp "$(type -P kill)" "$scratch/bin/kill"
for d in /lib/systemd/system /usr/lib/systemd/system; do
  if [[ -d $d ]]; then
    cp -a "$d" "$scratch/lib/systemd/"
    break
  fi
done
cp "$unit" "$scratch/etc/systemd/system/$name"

# Unknown keys and bad values are printed as warnings with exit status 0, so any
# output at all is a failure.
verify_rc=0
verify_out=$(systemd-analyze verify --man=no --root="$scratch" "$name" 2>&1) || verify_rc=$?
if [[ $verify_rc -ne 0 || -n $verify_out ]]; then
  echo "FAIL: systemd-analyze verify (exit $verify_rc):"
  printf '%s\n' "$verify_out"
  exit 1
fi
echo "ok: systemd-analyze verify $name: clean"

# --- security ------------------------------------------------------------------
# --offline=true (systemd >= 250) reviews the file itself, without a running
# manager. Exposure is printed as 0.0 .. 10.0.
sec_rc=0
sec_out=$(systemd-analyze security --no-pager --offline=true "$unit" 2>&1) || sec_rc=$?
if [[ $sec_rc -ne 0 ]]; then
  echo "FAIL: systemd-analyze security --offline=true exited $sec_rc:"
  printf '%s\n' "$sec_out"
  exit 1
fi
printf '%s\n' "$sec_out" | grep -F '✗' || true
exposure=$(printf '%s\n' "$sec_out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9]*\.[0-9]\).*/\1/p' | tail -n1)
if [[ -z $exposure ]]; then
  echo "FAIL: no 'Overall exposure level' line in the security review:"
  printf '%s\n' "$sec_out" | tail -n 5
  exit 1
fi
echo "exposure: $exposure (max $max_exposure)"
if awk -v e="$exposure" -v m="$max_exposure" 'BEGIN { exit !(e > m) }'; then
  echo "FAIL: exposure $exposure > $max_exposure"
  exit 1
fi
echo "ok: systemd-analyze security: exposure $exposure <= $max_exposure"
