#!/bin/sh
# One-shot (temporalio/admin-tools): create Temporal's two PostgreSQL databases and bring their
# schemas to the version the server image expects. Safe to re-run: existing databases are kept
# and update-schema only applies what is missing.
set -eu
: "${POSTGRES_SEEDS:?POSTGRES_SEEDS is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required}"
port=${DB_PORT:-5432}
schema=/etc/temporal/schema/postgresql/v12

sql() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -u "$POSTGRES_USER" -p "$port" "$@"
}

for db in temporal temporal_visibility; do
  dir=temporal
  [ "$db" = temporal_visibility ] && dir=visibility
  echo "setup-schema: $db"
  sql --db "$db" create || echo "setup-schema: database $db already exists"
  sql --db "$db" setup-schema -v 0.0 || echo "setup-schema: $db already initialised"
  sql --db "$db" update-schema -d "$schema/$dir/versioned"
done
echo 'setup-schema: done'
