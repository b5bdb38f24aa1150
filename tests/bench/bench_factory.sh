#!/usr/bin/env bash
# The factory database (a real PostgreSQL started here in a temporary folder), each figure
# printed with its target, a missed one failing the bench:
# - shipping throughput: real runs of a station's SQLite store (make_runs: as station run
#   writes them, 6 steps and about 260 measurements each) shipped to a local server by
#   `station sync`, whose pass (factory_ship_queue) is the one the shipper thread of station
#   run makes;
# - the latency from the verdict line of `station run` (on the twin, virtual clock) to the run
#   visible in PostgreSQL;
# - `station report yield --factory` over BENCH_FACTORY_PLANT_RUNS runs (default 10 M) of 50
#   stations, for the plant and for one station. The runs are filled on the server
#   (factory_plant.sql) into the schema the station made, with the yield summary its trigger
#   would have made of them, checked against the station's own rebuild on a smaller plant.
#   The report's plans (--explain) must read the yield summary, for one station through its
#   index, and never the runs.
. "$SOURCE_ROOT/tests/system/lib.sh"
. "$SOURCE_ROOT/tests/factory/lib_pg.sh"
PG_SERVER_OPTIONS="-c shared_buffers=512MB -c max_wal_size=4GB -c checkpoint_timeout=30min"
PG_SERVER_OPTIONS+=" -c wal_level=minimal -c max_wal_senders=0"  # index builds without WAL
pg_start 16860
factory_config "$WORK/station.conf"
runs=${BENCH_FACTORY_RUNS:-500}
"$MAKE_RUNS" "$WORK/bulk.db" EOL-9 "$runs" 9 47
"$STATION" sync --db "$WORK/empty.db" --config "$WORK/station.conf" >/dev/null  # the schema
per_run=$(sqlite3 "$WORK/bulk.db" "select round(1.0 * count(*) / (select count(*) from runs))
                                  from measurements")
start=$(date +%s%N)
"$STATION" sync --db "$WORK/bulk.db" --config "$WORK/station.conf"
end=$(date +%s%N)
rate=$(awk -v n="$runs" -v ns=$((end - start)) 'BEGIN { printf "%.1f", n / (ns / 1e9) }')
misses=0
figure() {  # name value unit target comparison
  local ok
  ok=$(awk -v v="$2" -v t="$4" -v c="$5" 'BEGIN { print (c == ">=" ? v >= t : v <= t) }')
  printf '%-58s %10s %-6s target %s %s  %s\n' "$1" "$2" "$3" "$5" "$4" \
    "$([ "$ok" = 1 ] && echo ok || echo MISSED)"
  [ "$ok" = 1 ] || misses=$((misses + 1))
}
figure "shipping throughput ($per_run measurements per run)" "$rate" runs/s 50 ">="

start_twin
echo "clock = virtual" >>"$WORK/fixture.conf"
release_firmware
latencies=()
for i in 1 2 3 4 5; do
  serial=B2A24S15P-2649-0020$i
  "$STATION" run --fixture "$WORK/fixture.conf" --serial "$serial" --db "$WORK/results.db" \
    --trusted-keys "$TRUSTED" --config "$WORK/station.conf" --quiet >"$WORK/run.out" 2>&1 &
  pid=$!
  verdict= visible=
  while [ -z "$visible" ]; do
    now=$(date +%s%N)
    [ -z "$verdict" ] && grep -q "^PASS  $serial" "$WORK/run.out" && verdict=$now
    if [ -n "$verdict" ] &&
       [ "$(pg_value "select count(*) from runs where serial = '$serial'")" = 1 ]; then
      visible=$(date +%s%N)
    fi
    kill -0 $pid 2>/dev/null || [ -n "$verdict" ] || fail "the run ended without a PASS: $(cat "$WORK/run.out")"
    [ $(((now - ${verdict:-$now}) / 1000000000)) -lt 10 ] || fail "run $serial never visible"
    sleep 0.005
  done
  wait $pid
  latencies+=($(((visible - verdict) / 1000000)))
done
median=$(printf '%s\n' "${latencies[@]}" | sort -n | sed -n 3p)
echo "verdict to visible, 5 runs: ${latencies[*]} ms"
figure "verdict to visible in PostgreSQL (median of 5 runs)" "$median" ms 500 "<="

# the plant's generated summary is the station's: on a plant of 100 000 runs the station's
# yield_summary_rebuild() makes the same cells and boards of the runs
pg_database plant_check
factory_config "$WORK/check.conf" plant_check
"$STATION" sync --db "$WORK/check-station.db" --config "$WORK/check.conf" >/dev/null
pg_admin -d plant_check -v runs=100000 -v stations=50 -f "$SOURCE_ROOT/tests/bench/factory_plant.sql"
differ=$(pg_admin -d plant_check -At <<'SQL'
CREATE TEMP TABLE generated_cells AS TABLE yield_cells;
CREATE TEMP TABLE generated_boards AS TABLE boards;
SELECT yield_summary_rebuild() \g /dev/null
SELECT (SELECT count(*) FROM ((TABLE yield_cells EXCEPT ALL TABLE generated_cells) UNION ALL
                              (TABLE generated_cells EXCEPT ALL TABLE yield_cells)) AS d),
       (SELECT count(*) FROM ((TABLE boards EXCEPT ALL TABLE generated_boards) UNION ALL
                              (TABLE generated_boards EXCEPT ALL TABLE boards)) AS d);
SQL
)
expect_eq "$differ" "0|0" "generated summary cells and boards unlike the station's rebuild"
pg_admin -d postgres -c "DROP DATABASE plant_check"

# the plant: N runs of 50 stations, in a database of its own
plant_runs=${BENCH_FACTORY_PLANT_RUNS:-10000000}
pg_database plant
factory_config "$WORK/plant.conf" plant
"$STATION" sync --db "$WORK/plant-station.db" --config "$WORK/plant.conf" >/dev/null
start=$(date +%s%N)
pg_admin -d plant -v runs="$plant_runs" -v stations=50 -f "$SOURCE_ROOT/tests/bench/factory_plant.sql"
end=$(date +%s%N)
echo "filled $plant_runs runs of 50 stations in $(((end - start) / 1000000000)) s" \
     "($(pg_value "select pg_size_pretty(pg_database_size('plant'))"), \
$(pg_admin -d plant -At -c "select count(*) from yield_cells") summary cells)"

report() {  # args...: the report's wall time in ms, median of 5, into $took; output in report.out
  local times=() i t0 t1
  for i in 1 2 3 4 5; do
    t0=$(date +%s%N)
    "$STATION" report yield --factory --config "$WORK/plant.conf" "$@" >"$WORK/report.out"
    t1=$(date +%s%N)
    times+=($(((t1 - t0) / 1000000)))
  done
  took=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
}
# the plant's totals are the generated ones (factory_plant.sql's header)
report
total=$(awk '$1 == "all" { print $2, $3, $4, $5, $6 }' "$WORK/report.out")
expect_eq "$total" "$((plant_runs - plant_runs / 25 - plant_runs / 500)) \
$(awk -v n="$plant_runs" 'BEGIN { b = n - n / 25 - n / 500
  printf "%.2f%% %.2f%%", 100 * (b - n / 25) / b, 100 * (b - n / 250) / b }') \
$((plant_runs / 25)) $((plant_runs / 500))" "the plant's yield (boards FPY final retests errors)"
figure "yield report, $plant_runs runs of 50 stations, by model and day" "$took" ms 1000 "<="
report --station EOL-07
figure "yield report of one station of them (--station EOL-07)" "$took" ms 1000 "<="

# the plans: the summary, for one station by its index, never the runs or the boards
plan() {  # label, then the report's options
  local label=$1
  shift
  "$STATION" report yield --factory --config "$WORK/plant.conf" --explain "$@" >"$WORK/plan.out"
  sed -n '/^plan in the factory database:/,$p' "$WORK/plan.out" >"$WORK/plan.txt"
  local read
  read=$(grep -oE '(Seq Scan|Index Scan|Index Only Scan|Bitmap Heap Scan|Bitmap Index Scan)( using| on) [a-z_]+' \
    "$WORK/plan.txt" | sort -u | paste -sd, -)
  echo "plan of the $label: $read"
  if ! grep -qE ' on yield_cells\b' "$WORK/plan.txt" ||
     grep -qE ' on (runs|boards)\b' "$WORK/plan.txt" ||
     { [ -n "${PLAN_INDEX:-}" ] && ! grep -qE "(using|on) $PLAN_INDEX\b" "$WORK/plan.txt"; }; then
    cat "$WORK/plan.txt"
    echo "MISSED: the $label does not read the yield summary${PLAN_INDEX:+ through $PLAN_INDEX}"
    misses=$((misses + 1))
  fi
}
plan "plant's yield report"
PLAN_INDEX=yield_cells_station plan "one station's yield report" --station EOL-07
[ "$misses" -eq 0 ]
