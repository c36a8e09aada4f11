#!/usr/bin/env bash
# Checks deploy/observability with Prometheus's own tool: the scrape config, the alert rules,
# and the rules' unit tests (alerts.test.yml). promtool comes with Debian's `prometheus`.
set -euo pipefail
cd "$(dirname "$0")/../deploy/observability/prometheus"

if ! command -v promtool >/dev/null; then
  echo "promtool not found: install Prometheus (Debian: apt-get install prometheus)" >&2
  exit 1
fi
promtool check config prometheus.yml
promtool check rules alerts.yml
promtool test rules alerts.test.yml
