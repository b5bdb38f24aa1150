#!/usr/bin/env bash
# Three stations ship to one new factory database at once: they create its schema one after
# the other, and every run of each arrives once, under its own station.
. "$SOURCE_ROOT/tests/system/lib.sh"
. "$FACTORY_LIB"
pg_start "$1"
factory_config "$WORK/station.conf"
for n in 1 2 3; do
  "$MAKE_RUNS" "$WORK/eol-$n.db" "EOL-$n" $((20 + 5 * n)) "$((10 + n))" &
done
wait
pids=()
for n in 1 2 3; do
  "$STATION" sync --db "$WORK/eol-$n.db" --config "$WORK/station.conf" \
    >"$WORK/sync-$n.out" 2>&1 &
  pids+=($!)
done
for n in 1 2 3; do
  set +e
  wait "${pids[$((n - 1))]}"
  status=$?
  set -e
  cat "$WORK/sync-$n.out"
  expect_eq "$status" 0 "exit status of station EOL-$n's sync"
done
expect_eq "$(pg_value "select string_agg(version::text, ',' order by version) from station_schema")" \
  1,2,3 "schema migrations, each once"
for n in 1 2 3; do
  expect_eq "$(pg_value "select count(*) from runs where station_id = 'EOL-$n'")" \
    $((20 + 5 * n)) "runs of EOL-$n"
  expect_eq "$(pg_value "select count(*) from measurements m join runs r on r.id = m.run_id
      where r.station_id = 'EOL-$n'")" \
    "$(sqlite3 "$WORK/eol-$n.db" "select count(*) from measurements")" "measurements of EOL-$n"
  expect_eq "$(sqlite3 "$WORK/eol-$n.db" "select count(*) from outbox")" 0 "queue of EOL-$n"
done
expect_eq "$(pg_value "select count(distinct uid) from runs")" 90 "distinct runs"
expect_eq "$(pg_value "select string_agg(id, ',' order by id) from stations")" \
  "EOL-1,EOL-2,EOL-3" "stations"
echo ok
