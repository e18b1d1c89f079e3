#!/bin/bash
# Deploys kafka-psc-proxy on GCE as a Private Service Connect producer:
#
#   instance template (Debian 12, startup-script.sh, the .deb and config.yaml in
#   metadata) -> regional managed instance group (autohealing on /health)
#   -> internal passthrough TCP load balancer (backend service health-checked on
#   /ready, forwarding rule on all ports) -> PSC service attachment (NAT subnet)
#   + firewall rules for the PSC NAT range and Google's health-check ranges.
#
# Every step is skipped when its resource already exists, so the script can be
# re-run; a re-run with a changed .deb or config makes a new instance template
# and rolls the group to it (no replica down at any time).
#
# Usage:  REGION=us-west1 SUBNET=proxy-subnet PSC_NAT_RANGE=10.200.0.0/24 \
#         DEB_URL=gs://my-bucket/kafka-psc-proxy_0.1.0-1_amd64.deb \
#         CONFIG_FILE=./config.yaml  config/gce/deploy.sh
#         DRY_RUN=1 ... prints the gcloud commands instead of running them.
#
# Required:
#   REGION           region of everything (the MIG spreads over its zones)
#   SUBNET           subnet of the VMs and of the load balancer's address
#   DEB_URL          gs:// or https:// URL of the kafka-psc-proxy .deb
#   CONFIG_FILE      local config.yaml; stored in instance metadata (256 KB max)
#   PSC_NAT_RANGE    CIDR of the PSC NAT subnet (only when it must be created)
# Optional (default):
#   PROJECT                 (gcloud's configured project)
#   NAME                    kafka-psc-proxy   prefix of every resource name
#   NETWORK                 default
#   PSC_NAT_SUBNET          $NAME-psc-nat
#   MACHINE_TYPE            n2-standard-4
#   SIZE                    2                 replicas
#   ZONES                   (all of the region's zones) e.g. us-west1-a,us-west1-b
#   IMAGE_FAMILY            debian-12
#   IMAGE_PROJECT           debian-cloud
#   SERVICE_ACCOUNT         (the default compute service account)
#   ADMIN_PORT              9080              admin.address port of the config
#   PROXY_PORTS             9092,9100-9199    bootstrap + broker ports of the config
#   LB_PORTS                ALL               forwarding rule --ports (or <= 5 ports/ranges)
#   ILB_ADDRESS             (ephemeral)       internal IP of the forwarding rule
#   CLIENT_RANGES           (none)            extra CIDRs allowed to PROXY_PORTS,
#                                             e.g. clients inside the producer VPC
#   CONNECTION_PREFERENCE   ACCEPT_AUTOMATIC  or ACCEPT_MANUAL (with CONSUMER_ACCEPT_LIST)
#   CONSUMER_ACCEPT_LIST    (none)            e.g. consumer-project=10
#   ENABLE_PROXY_PROTOCOL   0                 1: PSC prepends a PROXY v2 header; the
#                                             config must then set proxy_protocol.enabled
#   INITIAL_DELAY           300               seconds before autohealing judges a new VM
#   DRY_RUN                 0
set -euo pipefail

: "${REGION:?set REGION}"
: "${SUBNET:?set SUBNET}"
: "${DEB_URL:?set DEB_URL (gs://... or https://... of the .deb)}"
: "${CONFIG_FILE:?set CONFIG_FILE (local config.yaml)}"
NAME=${NAME:-kafka-psc-proxy}
NETWORK=${NETWORK:-default}
PSC_NAT_SUBNET=${PSC_NAT_SUBNET:-$NAME-psc-nat}
PSC_NAT_RANGE=${PSC_NAT_RANGE:-}
MACHINE_TYPE=${MACHINE_TYPE:-n2-standard-4}
SIZE=${SIZE:-2}
ZONES=${ZONES:-}
IMAGE_FAMILY=${IMAGE_FAMILY:-debian-12}
IMAGE_PROJECT=${IMAGE_PROJECT:-debian-cloud}
SERVICE_ACCOUNT=${SERVICE_ACCOUNT:-}
ADMIN_PORT=${ADMIN_PORT:-9080}
PROXY_PORTS=${PROXY_PORTS:-9092,9100-9199}
LB_PORTS=${LB_PORTS:-ALL}
ILB_ADDRESS=${ILB_ADDRESS:-}
CLIENT_RANGES=${CLIENT_RANGES:-}
CONNECTION_PREFERENCE=${CONNECTION_PREFERENCE:-ACCEPT_AUTOMATIC}
CONSUMER_ACCEPT_LIST=${CONSUMER_ACCEPT_LIST:-}
ENABLE_PROXY_PROTOCOL=${ENABLE_PROXY_PROTOCOL:-0}
INITIAL_DELAY=${INITIAL_DELAY:-300}
DRY_RUN=${DRY_RUN:-0}

# Google's health-check probers (passthrough load balancers and autohealing).
readonly HC_RANGES=35.191.0.0/16,130.211.0.0/22

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
startup_script=$here/startup-script.sh
[[ -f $startup_script ]] || { echo "no $startup_script" >&2; exit 1; }
[[ -f $CONFIG_FILE ]] || { echo "CONFIG_FILE $CONFIG_FILE: no such file" >&2; exit 1; }

HC_READY=$NAME-ready      # load balancer: is this replica serving? (/ready)
HC_LIVE=$NAME-live        # autohealing: is the process alive? (/health)
MIG=$NAME
BACKEND=$NAME
FRULE=$NAME
ATTACHMENT=$NAME
TAG=$NAME

gc=(gcloud)
[[ -n ${PROJECT:-} ]] && gc+=(--project="$PROJECT")

# run ARGS...: the gcloud command, or its echo with DRY_RUN=1.
run() {
  if [[ $DRY_RUN == 1 ]]; then
    printf '%q ' "${gc[@]}" "$@"
    echo
  else
    echo "+ gcloud $*" >&2
    "${gc[@]}" "$@"
  fi
}

# exists ARGS...: true when `gcloud ARGS... describe` finds the resource (never in a dry run).
exists() {
  [[ $DRY_RUN == 1 ]] && return 1
  "${gc[@]}" "$@" >/dev/null 2>&1
}

# "9092,9100-9199" -> "tcp:9092,tcp:9100-9199"
tcp_rules() {
  local out='' p
  IFS=, read -r -a ports <<<"$1"
  for p in "${ports[@]}"; do out+=${out:+,}tcp:$p; done
  echo "$out"
}

# --- health checks ----------------------------------------------------------------
# Two checks on purpose: /ready fails while Kafka is unreachable or while a
# replica drains; autohealing on it would recreate every VM during a Kafka
# outage. Autohealing uses /health (the process answers) instead.
if ! exists compute health-checks describe "$HC_READY" --global; then
  run compute health-checks create http "$HC_READY" --global \
    --port="$ADMIN_PORT" --request-path=/ready \
    --check-interval=5s --timeout=4s --healthy-threshold=2 --unhealthy-threshold=2
fi
if ! exists compute health-checks describe "$HC_LIVE" --global; then
  run compute health-checks create http "$HC_LIVE" --global \
    --port="$ADMIN_PORT" --request-path=/health \
    --check-interval=10s --timeout=5s --healthy-threshold=2 --unhealthy-threshold=6
fi

# --- firewall -----------------------------------------------------------------------
if ! exists compute firewall-rules describe "$NAME-allow-health-checks"; then
  run compute firewall-rules create "$NAME-allow-health-checks" \
    --network="$NETWORK" --direction=INGRESS --action=ALLOW \
    --rules="tcp:$ADMIN_PORT" --source-ranges="$HC_RANGES" --target-tags="$TAG"
fi

# --- PSC NAT subnet -------------------------------------------------------------------
if ! exists compute networks subnets describe "$PSC_NAT_SUBNET" --region="$REGION"; then
  : "${PSC_NAT_RANGE:?set PSC_NAT_RANGE (CIDR of the new PSC NAT subnet $PSC_NAT_SUBNET)}"
  run compute networks subnets create "$PSC_NAT_SUBNET" \
    --network="$NETWORK" --region="$REGION" --range="$PSC_NAT_RANGE" \
    --purpose=PRIVATE_SERVICE_CONNECT
fi
if [[ -z $PSC_NAT_RANGE ]]; then
  PSC_NAT_RANGE=$("${gc[@]}" compute networks subnets describe "$PSC_NAT_SUBNET" \
    --region="$REGION" --format='value(ipCidrRange)')
fi

# Consumers arrive from the PSC NAT range (their own addresses are translated).
if ! exists compute firewall-rules describe "$NAME-allow-psc"; then
  run compute firewall-rules create "$NAME-allow-psc" \
    --network="$NETWORK" --direction=INGRESS --action=ALLOW \
    --rules="$(tcp_rules "$PROXY_PORTS")" --source-ranges="$PSC_NAT_RANGE" --target-tags="$TAG"
fi
if [[ -n $CLIENT_RANGES ]] && ! exists compute firewall-rules describe "$NAME-allow-clients"; then
  run compute firewall-rules create "$NAME-allow-clients" \
    --network="$NETWORK" --direction=INGRESS --action=ALLOW \
    --rules="$(tcp_rules "$PROXY_PORTS")" --source-ranges="$CLIENT_RANGES" --target-tags="$TAG"
fi

# --- instance template ------------------------------------------------------------------
# Templates are immutable: a name from the content, so a new .deb or config gets
# a new template and the same inputs reuse the old one.
digest=$(cat "$startup_script" "$CONFIG_FILE" <(printf '%s|%s|%s|%s|%s|%s|%s' "$DEB_URL" \
  "$MACHINE_TYPE" "$IMAGE_FAMILY" "$IMAGE_PROJECT" "$SERVICE_ACCOUNT" "$NETWORK" "$SUBNET") |
  sha256sum | cut -c1-10)
TEMPLATE=$NAME-$digest
if ! exists compute instance-templates describe "$TEMPLATE"; then
  tpl=(compute instance-templates create "$TEMPLATE"
    --machine-type="$MACHINE_TYPE"
    --image-family="$IMAGE_FAMILY" --image-project="$IMAGE_PROJECT"
    --network="$NETWORK" --subnet="$SUBNET" --region="$REGION" --no-address
    --tags="$TAG"
    --shielded-secure-boot --shielded-vtpm --shielded-integrity-monitoring
    --metadata="kafka-psc-proxy-deb=$DEB_URL,enable-oslogin=TRUE"
    --metadata-from-file="startup-script=$startup_script,kafka-psc-proxy-config=$CONFIG_FILE")
  if [[ -n $SERVICE_ACCOUNT ]]; then
    tpl+=(--service-account="$SERVICE_ACCOUNT" --scopes=cloud-platform)
  fi
  run "${tpl[@]}"
fi

# --- managed instance group -----------------------------------------------------------------
if ! exists compute instance-groups managed describe "$MIG" --region="$REGION"; then
  mig=(compute instance-groups managed create "$MIG" --region="$REGION"
    --template="$TEMPLATE" --size="$SIZE" --base-instance-name="$NAME"
    --health-check="$HC_LIVE" --initial-delay="$INITIAL_DELAY")
  [[ -n $ZONES ]] && mig+=(--zones="$ZONES")
  run "${mig[@]}"
else
  # Surge new VMs first; the old ones drain (SIGTERM) once the new ones are ready.
  run compute instance-groups managed rolling-action start-update "$MIG" --region="$REGION" \
    --version="template=$TEMPLATE" --max-unavailable=0
fi

# --- internal passthrough TCP load balancer -------------------------------------------------------
# Connection draining: a replica removed from the group keeps its connections
# this long (above the proxy's drain timeout, below the unit's TimeoutStopSec).
if ! exists compute backend-services describe "$BACKEND" --region="$REGION"; then
  run compute backend-services create "$BACKEND" --region="$REGION" \
    --load-balancing-scheme=INTERNAL --protocol=TCP \
    --health-checks="$HC_READY" --global-health-checks \
    --connection-draining-timeout=40
  run compute backend-services add-backend "$BACKEND" --region="$REGION" \
    --instance-group="$MIG" --instance-group-region="$REGION"
fi

if ! exists compute forwarding-rules describe "$FRULE" --region="$REGION"; then
  fr=(compute forwarding-rules create "$FRULE" --region="$REGION"
    --load-balancing-scheme=INTERNAL --network="$NETWORK" --subnet="$SUBNET"
    --ip-protocol=TCP --ports="$LB_PORTS"
    --backend-service="$BACKEND" --backend-service-region="$REGION")
  [[ -n $ILB_ADDRESS ]] && fr+=(--address="$ILB_ADDRESS")
  run "${fr[@]}"
fi

# --- Private Service Connect service attachment ------------------------------------------------------
if ! exists compute service-attachments describe "$ATTACHMENT" --region="$REGION"; then
  sa=(compute service-attachments create "$ATTACHMENT" --region="$REGION"
    --producer-forwarding-rule="$FRULE"
    --connection-preference="$CONNECTION_PREFERENCE"
    --nat-subnets="$PSC_NAT_SUBNET")
  [[ -n $CONSUMER_ACCEPT_LIST ]] && sa+=(--consumer-accept-list="$CONSUMER_ACCEPT_LIST")
  [[ $ENABLE_PROXY_PROTOCOL == 1 ]] && sa+=(--enable-proxy-protocol)
  run "${sa[@]}"
fi

if [[ $DRY_RUN != 1 ]]; then
  echo "service attachment (give this to consumers for their PSC endpoint):"
  "${gc[@]}" compute service-attachments describe "$ATTACHMENT" --region="$REGION" \
    --format='value(selfLink)'
fi
