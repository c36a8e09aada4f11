#!/usr/bin/env bash
# pnpm test:compose: build and start the docker compose stack, wait until it is healthy,
# run the e2e suite against http://localhost:8080, and tear the stack down, also on failure.
#   pnpm test:compose                  one replica of each service
#   pnpm test:compose:scaled           order and kitchen with two replicas each
#   pnpm test:compose:faults           the fault scenarios (pnpm test:faults) instead
# Uses its own compose project, so a stack you run yourself keeps its data (but not port 8080).
set -euo pipefail
cd "$(dirname "$0")/.."

export COMPOSE_PROJECT_NAME=cheesecake-e2e
export E2E_STACK=compose
export E2E_COMPOSE_SCALE="${E2E_COMPOSE_SCALE:-}"
scale_flags=()
for scale in $E2E_COMPOSE_SCALE; do scale_flags+=(--scale "$scale"); done

cleanup() {
  status=$?
  if [ "$status" -ne 0 ]; then docker compose logs --no-color --tail=80 || true; fi
  docker compose down --volumes --remove-orphans || true
  exit "$status"
}
trap cleanup EXIT

# The tests call the services directly, as the gateway would, and sign access tokens by hand
# to show what the gateway refuses, so this run chooses the secrets that the `secrets` service
# writes into the stack's volume.
new_secret() { node -e "process.stdout.write(require('node:crypto').randomBytes(48).toString('base64url'))"; }
export INTERNAL_TOKEN_SECRET="${INTERNAL_TOKEN_SECRET:-$(new_secret)}"
export JWT_SECRET="${JWT_SECRET:-$(new_secret)}"

# The e2e suite imports the contracts and service-kit's test helpers, built like the images.
pnpm turbo run build --filter='@cheesecake/e2e^...'
docker compose up --build --detach "${scale_flags[@]}"
pnpm --filter @cheesecake/e2e "${E2E_SUITE:-test}"
