# shellcheck shell=bash
# Sourced by the service checks: `missing_tool TOOL HOW` ends the check as skipped (exit 77,
# ctest's SKIP_RETURN_CODE) with the line scripts/test.sh collects into its summary; under
# CI=true every tool is present, so a missing one fails the check instead.
missing_tool() {
  echo "[kpp-missing-tool] $1: $2"
  if [[ "${CI:-}" == "true" ]]; then
    echo "FAIL: CI=true, and every optional tool must be present there"
    exit 1
  fi
  exit 77
}
