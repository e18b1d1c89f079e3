#!/bin/bash
# Container health check for kafka-psc-proxy, with nothing but bash: sends
# `GET <path>` to the admin port over bash's /dev/tcp and succeeds on status 200.
#
#   kafka-psc-proxy-healthcheck [path]            (default path: /health)
#
# Environment: KPP_ADMIN_HOST (default 127.0.0.1), KPP_ADMIN_PORT (default 9080),
# KPP_HEALTH_TIMEOUT seconds to wait for the status line (default 3).
set -u

host=${KPP_ADMIN_HOST:-127.0.0.1}
port=${KPP_ADMIN_PORT:-9080}
timeout=${KPP_HEALTH_TIMEOUT:-3}
path=${1:-/health}

if ! { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null; then
  echo "unhealthy: cannot connect to $host:$port" >&2
  exit 1
fi
printf 'GET %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: kafka-psc-proxy-healthcheck\r\nConnection: close\r\n\r\n' \
  "$path" "$host" "$port" >&3
status=
IFS= read -r -t "$timeout" status <&3
exec 3<&- 3>&-
status=${status%$'\r'}
read -r proto code _ <<<"$status"
if [[ $proto == HTTP/* && $code == 200 ]]; then
  exit 0
fi
echo "unhealthy: GET $path on $host:$port: ${status:-no response}" >&2
exit 1
