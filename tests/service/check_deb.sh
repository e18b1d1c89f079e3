#!/usr/bin/env bash
# Builds the Debian package from an already built tree and checks what is in it.
#
#   tests/service/check_deb.sh <build-dir>
#
# Runs `cpack -G DEB` (output in a scratch dir, the build dir keeps only CPack's
# _CPack_Packages work area), then `dpkg-deb -I` / `dpkg-deb -x`, and checks: the
# binary, the unit, the conffile, the maintainer scripts and the Depends line.
# Exit 0: pass; 1: fail; 77: skipped (cpack or dpkg-deb absent; ctest SKIP_RETURN_CODE).
set -euo pipefail

build=${1:?usage: check_deb.sh <build-dir>}
build=$(cd "$build" && pwd)

# shellcheck source=tests/service/missing_tool.sh
source "$(dirname "${BASH_SOURCE[0]}")/missing_tool.sh"
for tool in cpack dpkg-deb; do
  command -v "$tool" >/dev/null 2>&1 || missing_tool "$tool" "apt-get install cmake dpkg (the package is not checked without it)"
done
if ! command -v dpkg-shlibdeps >/dev/null 2>&1; then
  echo "FAIL: dpkg-shlibdeps not found (apt-get install dpkg-dev): the package would have no Depends"
  exit 1
fi
[[ -f $build/CPackConfig.cmake ]] || {
  echo "FAIL: $build/CPackConfig.cmake missing: is cmake/packaging.cmake included?"
  exit 1
}
[[ -x $build/kafka-psc-proxy ]] || {
  echo "FAIL: $build/kafka-psc-proxy not built (cmake --build $build first)"
  exit 1
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

echo "--- cpack -G DEB"
if ! (cd "$build" && cpack -G DEB -B "$scratch/out") >"$scratch/cpack.log" 2>&1; then
  cat "$scratch/cpack.log"
  echo "FAIL: cpack -G DEB"
  exit 1
fi
grep -E 'CPack:|warning|Warning' "$scratch/cpack.log" || true
shopt -s nullglob
debs=("$scratch"/out/kafka-psc-proxy_*.deb)
shopt -u nullglob
if [[ ${#debs[@]} -ne 1 ]]; then
  echo "FAIL: expected one kafka-psc-proxy_*.deb, found ${#debs[@]}"
  ls -la "$scratch/out" || true
  exit 1
fi
deb=${debs[0]}
echo "package: $(basename "$deb") ($(stat -c %s "$deb") bytes)"

echo "--- dpkg-deb -I"
dpkg-deb -I "$deb"
echo "--- contents"
dpkg-deb -c "$deb"

dpkg-deb -x "$deb" "$scratch/root"
dpkg-deb -e "$deb" "$scratch/control"

# --- files ---------------------------------------------------------------------
bin=$scratch/root/usr/bin/kafka-psc-proxy
if [[ -f $bin && -x $bin ]]; then ok "/usr/bin/kafka-psc-proxy (executable)"; else fail "no executable /usr/bin/kafka-psc-proxy"; fi
unit=$scratch/root/lib/systemd/system/kafka-psc-proxy.service
if [[ -f $unit ]]; then
  ok "/lib/systemd/system/kafka-psc-proxy.service"
  grep -qx 'ExecStart=/usr/bin/kafka-psc-proxy --config /etc/kafka-psc-proxy/config.yaml' "$unit" \
    || fail "unit ExecStart does not run /usr/bin/kafka-psc-proxy --config /etc/kafka-psc-proxy/config.yaml"
else
  fail "no /lib/systemd/system/kafka-psc-proxy.service"
fi
conf=$scratch/root/etc/kafka-psc-proxy/config.yaml
if [[ -f $conf ]]; then ok "/etc/kafka-psc-proxy/config.yaml"; else fail "no /etc/kafka-psc-proxy/config.yaml"; fi
if [[ -f $conf ]] && [[ $(stat -c %a "$conf") != 644 ]]; then
  fail "/etc/kafka-psc-proxy/config.yaml mode $(stat -c %a "$conf"), want 644 (DynamicUser must read it)"
fi
for f in alerts.yaml alerts_test.yaml dashboard.json; do
  m=$scratch/root/usr/share/kafka-psc-proxy/monitoring/$f
  if [[ -f $m ]]; then ok "/usr/share/kafka-psc-proxy/monitoring/$f"; else fail "no /usr/share/kafka-psc-proxy/monitoring/$f"; fi
done
if [[ -e $scratch/root/usr/local ]]; then
  fail "files under /usr/local: CPACK_PACKAGING_INSTALL_PREFIX not /usr?"
fi

# --- control area ----------------------------------------------------------------
if grep -qx '/etc/kafka-psc-proxy/config.yaml' "$scratch/control/conffiles" 2>/dev/null; then
  ok "conffiles lists /etc/kafka-psc-proxy/config.yaml"
else
  fail "conffiles does not list /etc/kafka-psc-proxy/config.yaml"
fi
while read -r path; do
  [[ -z $path ]] && continue
  [[ -e $scratch/root$path ]] || fail "conffile $path is not in the package"
done <"$scratch/control/conffiles"
for s in postinst prerm postrm; do
  if [[ -x $scratch/control/$s ]]; then
    ok "maintainer script $s ($(stat -c %a "$scratch/control/$s"))"
    sh -n "$scratch/control/$s" || fail "$s: sh -n"
  else
    fail "no executable maintainer script $s"
  fi
done
grep -q 'deb-systemd-helper' "$scratch/control/postinst" || fail "postinst does not use deb-systemd-helper"

# --- fields ----------------------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == kafka-psc-proxy ]] || fail "Package: $(field Package)"
[[ -n $(field Maintainer) ]] || fail "no Maintainer"
[[ -n $(field Description) ]] || fail "no Description"
depends=$(field Depends)
echo "Depends: $depends"
for lib in libc6 libstdc++6 libspdlog libyaml-cpp librdkafka1 libsystemd0; do
  if grep -q "\(^\|[ ,]\)$lib" <<<"$depends"; then
    ok "Depends has $lib"
  else
    fail "Depends lacks $lib"
  fi
done

if [[ $fails -ne 0 ]]; then
  echo "FAIL: $fails check(s) failed for $(basename "$deb")"
  exit 1
fi
echo "ok: $(basename "$deb") passes"
