#!/bin/bash
# The merge simulation's long run (ctest runs 200 seeds per backend): many
# seeds with longer plans, on SQLite and on a throwaway PostgreSQL 15.
# Prints seeds passed and simulated events per second for each backend.
# usage: tests/bench/merge_sim_long.sh BUILD_DIR [FIRST-LAST] [ACTIONS]
set -euo pipefail
build=${1:?usage: merge_sim_long.sh BUILD_DIR [FIRST-LAST] [ACTIONS]}
seeds=${2:-1-3000}
actions=${3:-300}
here=$(cd "$(dirname "$0")" && pwd)
sim="$build/tests/sim/merge_sim"
echo "== SQLite"
"$sim" --seeds "$seeds" --actions "$actions"
echo "== PostgreSQL 15"
"$here/../sync/with_postgres.sh" sh -c "exec '$sim' --seeds '$seeds' --actions '$actions' --pg \"\$SHELTER_PG_URL\""
