#!/usr/bin/env bash
# The test command: `npm test` = unit tests, then integration tests against real services.
#   test/run.sh unit | integration | all
# Integration services: explicit endpoints in the environment (KAFKA_BROKERS, SCHEMA_REGISTRY_URL,
# CLICKHOUSE_URL, S3_ENDPOINT) win; otherwise, when a Docker engine answers, the tests start testcontainers;
# otherwise this script brings up infra/local for the run and takes down what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-all}"
runner=(node --import tsx --test --test-reporter=spec)
[ -n "${TEST_CONCURRENCY:-}" ] && runner+=(--test-concurrency="$TEST_CONCURRENCY")

unit_files() { find test -name '*.test.ts' -not -path 'test/integration/*' | sort; }
integration_files() { find test/integration -name '*.test.ts' | sort; }

have_endpoints() { [ -n "${KAFKA_BROKERS:-}${SCHEMA_REGISTRY_URL:-}${CLICKHOUSE_URL:-}${S3_ENDPOINT:-}" ]; }
docker_answers() { [ -S /var/run/docker.sock ] || [ -n "${DOCKER_HOST:-}" ]; }

run_unit() { mapfile -t files < <(unit_files); "${runner[@]}" "${files[@]}"; }

run_integration() {
  mapfile -t files < <(integration_files)
  [ "${#files[@]}" -gt 0 ] || { echo "no integration tests"; return 0; }
  local started=()
  if ! have_endpoints && ! docker_answers; then
    echo "== no service endpoints given and no Docker engine: using infra/local"
    # Start only what is not running, and remember it so that we stop only what we started.
    mapfile -t started < <(bash infra/local/infra.sh status --json 2>/dev/null |
      node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const x of JSON.parse(s).services)if(!x.running)console.log(x.name)})' || true)
    bash infra/local/infra.sh up
    eval "$(bash infra/local/infra.sh env)"
    export LAKEHOUSE_INFRA_STARTED_BY_TESTS=1
  fi
  local status=0
  "${runner[@]}" --test-concurrency=1 "${files[@]}" || status=$?
  if [ "${#started[@]}" -gt 0 ] && [ -z "${KEEP_INFRA:-}" ]; then
    bash infra/local/infra.sh down "${started[@]}" >/dev/null || true
  fi
  return $status
}

case "$mode" in
  unit) run_unit ;;
  integration) run_integration ;;
  all) run_unit; run_integration ;;
  *) echo "usage: test/run.sh unit|integration|all" >&2; exit 2 ;;
esac
