#!/bin/bash
# Runs once, when the postgres container initializes an empty volume: one database and
# one user per service, each user owning only its own database, with the password the
# `secrets` service wrote for it.
set -euo pipefail

create() {
  local name=$1 password
  password=$(cat "$2")
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v name="$name" -v password="$password" <<'SQL'
CREATE USER :"name" WITH PASSWORD :'password';
CREATE DATABASE :"name" OWNER :"name";
REVOKE ALL ON DATABASE :"name" FROM PUBLIC;
SQL
}

create order_service "$ORDER_DB_PASSWORD_FILE"
create payment_service "$PAYMENT_DB_PASSWORD_FILE"
create kitchen_service "$KITCHEN_DB_PASSWORD_FILE"
