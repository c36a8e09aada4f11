#!/bin/sh
# Runs to completion before the other services on every `docker compose up`: fills the
# `secrets` volume, which they read through *_FILE variables. A secret that .env sets is
# written as it is; any other is generated on the first start and kept, so every
# deployment has secrets of its own and none of them is in the repository.
set -eu
cd /run/secrets

# 48 random bytes as 64 URL-safe characters: usable in a database URL as they are.
generate() {
  head -c 48 /dev/urandom | base64 | tr -d '\n' | tr '+/' '-_'
}

# write NAME VALUE: VALUE when set, else what the file holds already, else a new secret.
write() {
  if [ -n "$2" ]; then
    printf '%s' "$2" > "$1"
  elif [ ! -s "$1" ]; then
    generate > "$1"
  fi
  # The services run as `node`, PostgreSQL as `postgres`: both read, nobody else mounts it.
  chmod 0444 "$1"
}

write jwt-secret "${JWT_SECRET:-}"
write internal-token-secret "${INTERNAL_TOKEN_SECRET:-}"
write postgres-password "${POSTGRES_PASSWORD:-}"
for service in order payment kitchen; do
  variable=$(echo "$service" | tr a-z A-Z)_DB_PASSWORD
  write "$service-db-password" "$(printenv "$variable" || true)"
  printf 'postgres://%s_service:%s@postgres:5432/%s_service' \
    "$service" "$(cat "$service-db-password")" "$service" > "$service-database-url"
  chmod 0444 "$service-database-url"
done
