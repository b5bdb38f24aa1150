#!/usr/bin/env bash
# `station report yield|pareto --factory` over the factory database: for one station's runs the
# printed report equals the station's own, for every grouping and filter; over the plant it
# counts every station's boards; --explain adds the plans of its queries.
. "$SOURCE_ROOT/tests/system/lib.sh"
. "$FACTORY_LIB"
pg_start "$1"
factory_config "$WORK/station.conf"
"$MAKE_RUNS" "$WORK/eol-1.db" EOL-1 120 21 &
"$MAKE_RUNS" "$WORK/eol-2.db" EOL-2 80 22 &
wait
for n in 1 2; do
  "$STATION" sync --db "$WORK/eol-$n.db" --config "$WORK/station.conf" >/dev/null
done
today=$(date -u +%F)
compare() {
  local what=$1
  shift
  "$STATION" report "$what" --db "$WORK/eol-1.db" --station EOL-1 "$@" >"$WORK/local.out"
  "$STATION" report "$what" --factory --config "$WORK/station.conf" --station EOL-1 "$@" \
    >"$WORK/factory.out"
  diff -u "$WORK/local.out" "$WORK/factory.out" ||
    fail "report $what $* differs between the station and the factory database"
}
compare yield
compare yield --by model
compare yield --by model,day,shift,station,operator
compare yield --by operator --model B2A8S20P
compare yield --by day --from "$today" --to "$today"
compare yield --by day --from 2020-01-01 --to 2020-01-02
compare pareto
compare pareto --by measurement
compare pareto --by step --model B2A24S15P --operator ana
cat "$WORK/factory.out"
# the reports have something in them
"$STATION" report yield --db "$WORK/eol-1.db" --by model >"$WORK/local.out"
cat "$WORK/local.out"
expect_grep '^B2A24S15P .* [0-9]+\.[0-9]+%' "$WORK/local.out"
"$STATION" report pareto --db "$WORK/eol-1.db" >"$WORK/local.out"
expect_grep '^[1-9][0-9]* failing runs' "$WORK/local.out"
# the plant: both stations' boards
boards() { awk '$1 == "all" { print $2 }' "$1"; }
"$STATION" report yield --by total --db "$WORK/eol-1.db" >"$WORK/one.out"
"$STATION" report yield --by total --db "$WORK/eol-2.db" >"$WORK/two.out"
"$STATION" report yield --by total --factory --config "$WORK/station.conf" >"$WORK/plant.out"
cat "$WORK/plant.out"
expect_eq "$(boards "$WORK/plant.out")" $(($(boards "$WORK/one.out") + $(boards "$WORK/two.out"))) \
  "boards of the plant"
set +e
"$STATION" report stats x --factory --config "$WORK/station.conf" >/dev/null 2>&1
expect_eq "$?" 64 "exit status of a report the factory database does not run"
"$STATION" report yield --explain --db "$WORK/eol-1.db" >/dev/null 2>&1
expect_eq "$?" 64 "exit status of --explain without --factory"
set -e
# --explain: the report as without it, then the plan of each query the report ran
for what in yield pareto; do
  "$STATION" report $what --factory --config "$WORK/station.conf" --station EOL-1 --explain \
    >"$WORK/explain.out"
  "$STATION" report $what --factory --config "$WORK/station.conf" --station EOL-1 \
    >"$WORK/factory.out"
  expect_eq "$(sed '/^plan in the factory database:$/,$d' "$WORK/explain.out")" \
    "$(cat "$WORK/factory.out")" "the $what report with --explain"
  expect_grep '^plan in the factory database:$' "$WORK/explain.out"
  expect_grep '^Execution Time: [0-9.]+ ms$' "$WORK/explain.out"
done
sed -n '/^plan in/,$p' "$WORK/explain.out"
"$STATION" report yield --factory --config "$WORK/station.conf" --explain >"$WORK/explain.out"
expect_grep ' on yield_cells ' "$WORK/explain.out"
echo ok
