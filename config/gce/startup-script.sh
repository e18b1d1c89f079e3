#!/bin/bash
# GCE startup script for kafka-psc-proxy VMs (Debian 12 images). Runs as root at
# every boot; idempotent.
#
# Instance metadata it reads (set by deploy.sh on the instance template):
#   kafka-psc-proxy-deb     gs://BUCKET/path/kafka-psc-proxy_X_amd64.deb, or an
#                           https:// URL. Installed when its version differs
#                           from the installed one.
#   kafka-psc-proxy-config  the whole config.yaml. Written to
#                           /etc/kafka-psc-proxy/config.yaml when it differs.
# Then the service is enabled and started (restarted when the package or the
# configuration changed), without waiting for READY=1: the load balancer's
# health check on /ready tells when the replica takes traffic.
set -euo pipefail

readonly MD=http://metadata.google.internal/computeMetadata/v1
readonly CONF_DIR=/etc/kafka-psc-proxy
readonly CONF=$CONF_DIR/config.yaml
readonly UNIT=kafka-psc-proxy.service
readonly PKG=kafka-psc-proxy

log() { echo "kafka-psc-proxy-startup: $*"; }
die() { log "ERROR: $*"; exit 1; }

# metadata KEY: prints the instance attribute, or nothing (exit 1) when unset.
metadata() {
  curl -fsS --retry 5 --retry-delay 2 -H 'Metadata-Flavor: Google' \
    "$MD/instance/attributes/$1" 2>/dev/null
}

# fetch SRC DEST: gs:// through gcloud/gsutil when present, else a plain GET on
# storage.googleapis.com with the VM service account's token (either way the VM
# needs the devstorage.read_only scope); http(s) with curl.
fetch() {
  local src=$1 dest=$2
  case $src in
    gs://*)
      if command -v gcloud >/dev/null 2>&1; then
        gcloud storage cp "$src" "$dest" --quiet
      elif command -v gsutil >/dev/null 2>&1; then
        gsutil -q cp "$src" "$dest"
      else
        local token path
        token=$(curl -fsS -H 'Metadata-Flavor: Google' \
          "$MD/instance/service-accounts/default/token" |
          sed -n 's/.*"access_token" *: *"\([^"]*\)".*/\1/p')
        [[ -n $token ]] || die "no service-account token to read $src"
        path=${src#gs://}
        curl -fsS --retry 5 -H "Authorization: Bearer $token" \
          -o "$dest" "https://storage.googleapis.com/$path"
      fi
      ;;
    https://* | http://*)
      curl -fsSL --retry 5 --retry-delay 2 -o "$dest" "$src"
      ;;
    *) die "kafka-psc-proxy-deb must be gs://... or https://..., not '$src'" ;;
  esac
}

changed=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- package -----------------------------------------------------------------------
deb_src=$(metadata kafka-psc-proxy-deb || true)
if [[ -n $deb_src ]]; then
  fetch "$deb_src" "$work/$PKG.deb"
  want=$(dpkg-deb -f "$work/$PKG.deb" Version)
  have=$(dpkg-query -W -f='${Version}' "$PKG" 2>/dev/null || true)
  if [[ $want != "$have" ]]; then
    log "installing $PKG $want (installed: ${have:-none})"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # apt resolves the Depends line (libspdlog, librdkafka, ...). Keep a config
    # that is already there: it is written from metadata below anyway.
    apt-get install -y -q -o Dpkg::Options::=--force-confold "$work/$PKG.deb"
    changed=1
  else
    log "$PKG $have already installed"
  fi
elif ! dpkg-query -W "$PKG" >/dev/null 2>&1; then
  die "metadata kafka-psc-proxy-deb is not set and $PKG is not installed"
fi

# --- configuration -------------------------------------------------------------------
if metadata kafka-psc-proxy-config >"$work/config.yaml" && [[ -s $work/config.yaml ]]; then
  if ! cmp -s "$work/config.yaml" "$CONF"; then
    log "writing $CONF from instance metadata"
    install -d -m 0755 "$CONF_DIR"
    # 0644: the service runs as a DynamicUser= and must read it.
    install -m 0644 "$work/config.yaml" "$CONF.new"
    mv -f "$CONF.new" "$CONF"
    changed=1
  fi
else
  log "metadata kafka-psc-proxy-config not set: keeping $CONF"
fi

# --- service ---------------------------------------------------------------------------
systemctl daemon-reload
systemctl enable "$UNIT"
if [[ $changed -eq 1 ]] && systemctl is-active --quiet "$UNIT"; then
  log "restarting $UNIT (package or configuration changed)"
  systemctl restart --no-block "$UNIT"
else
  systemctl start --no-block "$UNIT"
fi
log "$UNIT start queued; follow it with: journalctl -u $UNIT -f"
