#!/bin/bash
# Starts a throwaway PostgreSQL 15 (as the postgres user, a temp data
# directory, a free loopback port), runs the given command with
# SHELTER_PG_URL pointing at a fresh database (ICU ja-JP), and stops the
# server again.
# usage: with_postgres.sh COMMAND [ARGS...]
set -euo pipefail
bin=/usr/lib/postgresql/15/bin
[ -x "$bin/initdb" ] || { echo "with_postgres: PostgreSQL 15 is not installed (deploy/setup.sh installs it)" >&2; exit 1; }
# Marks the server as this checkout's for tests/tree/check_no_leftovers.sh
# (its command line names only the temp folder).
SHELTER_CHECKOUT=$(cd "$(dirname "$0")/../.." && pwd -P)
export SHELTER_CHECKOUT
dir=$(mktemp -d /tmp/shelter-pg.XXXXXX)
chmod 755 "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() { if [ "$(id -u)" -eq 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
[ "$(id -u)" -eq 0 ] && chown postgres "$dir"
cleanup() { as_pg "$bin/pg_ctl -D $dir/data -m immediate stop" >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
as_pg "$bin/initdb -D $dir/data -A trust -U shelter -E UTF8 --no-locale" >/dev/null
as_pg "$bin/pg_ctl -D $dir/data -l $dir/log -w -o '-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=on' start" >/dev/null
# The database a Japanese city would make (ICU ja-JP collation), not the C
# locale: the schema's ids must compare in bytes whatever the default is.
as_pg "$bin/createdb -h 127.0.0.1 -p $port -U shelter --template=template0 --locale-provider=icu --icu-locale=ja-JP shelter"
export SHELTER_PG_URL="postgresql://shelter@127.0.0.1:$port/shelter"
"$@"
