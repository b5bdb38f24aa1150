#!/usr/bin/env bash
# Shipping to the factory database (a real PostgreSQL started here): runs of 285 measurements
# per second shipped by `station sync` to a local server, and the latency from the verdict
# line of `station run` (on the twin, virtual clock) to the run visible in PostgreSQL.
. "$SOURCE_ROOT/tests/system/lib.sh"
. "$SOURCE_ROOT/tests/factory/lib_pg.sh"
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
[ "$misses" -eq 0 ]
