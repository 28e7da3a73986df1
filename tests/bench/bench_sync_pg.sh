#!/bin/bash
# The server's merge rate on PostgreSQL next to a raw COPY, on a throwaway
# PostgreSQL 15. usage: tests/bench/bench_sync_pg.sh [EVENTS]
root=$(cd "$(dirname "$0")/../.." && pwd)
exec "$root/tests/sync/with_postgres.sh" sh -c "'$root/build/tests/bench/bench_sync' --events ${1:-100000} --pg \"\$SHELTER_PG_URL\""
