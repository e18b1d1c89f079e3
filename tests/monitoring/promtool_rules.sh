#!/usr/bin/env bash
# The alerting rules (config/monitoring/alerts.yaml) are valid and each behaves as its unit
# test in alerts_test.yaml says. Exit 77 (skipped) where promtool is absent.
set -euo pipefail
dir="$(cd "$(dirname "$0")/../../config/monitoring" && pwd)"
# shellcheck source=tests/service/missing_tool.sh
source "$(dirname "$0")/../service/missing_tool.sh"
command -v promtool >/dev/null 2>&1 ||
  missing_tool promtool "apt-get install prometheus (scripts/install-deps.sh --test does)"
cd "$dir"
promtool check rules alerts.yaml
promtool test rules alerts_test.yaml
# Every rule has a test: each alert name appears as an alertname in the test file.
missing=0
while read -r name; do
  if ! grep -q "alertname: ${name}\$" alerts_test.yaml; then
    echo "rule ${name} has no test in alerts_test.yaml"
    missing=1
  fi
done < <(sed -n 's/^ *- alert: *//p' alerts.yaml)
exit "$missing"
