#!/usr/bin/env bash
# The factory database's yield summary (yield_cells), kept up to date as runs arrive, holds
# what the runs give when every cell is computed from them again (the view
# yield_cells_from_runs), also when boards are tested on two stations and the later runs
# arrive first; the yield report read from it equals the one summed from the runs, and a
# rebuild of the summary gives the same cells.
. "$SOURCE_ROOT/tests/system/lib.sh"
. "$FACTORY_LIB"
pg_start "$1"
factory_config "$WORK/station.conf"
# the same boards (one seed) tested on two stations, EOL-1 first: every board's first run is
# on EOL-1, which ships last, so each of its runs arrives after a later run of its board
"$MAKE_RUNS" "$WORK/eol-1.db" EOL-1 90 31
"$MAKE_RUNS" "$WORK/eol-2.db" EOL-2 90 31 &
"$MAKE_RUNS" "$WORK/eol-3.db" EOL-3 60 32 &
wait
# the later station's runs first: each earlier run makes the board's first run a retest
for n in 2 3 1; do
  "$STATION" sync --db "$WORK/eol-$n.db" --config "$WORK/station.conf" >/dev/null
done
expect_eq "$(pg_value "select count(*) from runs")" 240 "runs shipped"
expect_eq "$(pg_value "select count(distinct serial) from runs r where exists (select 1 from runs o
    where o.serial = r.serial and o.station_id <> r.station_id)")" \
  "$(pg_value "select count(distinct serial) from runs where station_id = 'EOL-1'")" \
  "boards tested on two stations"
cells="day, shift, model, station_id, fixture_id, operator, order_id, boards, first_pass,
       final_pass, retests, station_errors"
differ() {
  pg_value "select count(*) from ((select $cells from yield_cells where boards + retests +
      station_errors > 0 except select $cells from yield_cells_from_runs) union all
      (select $cells from yield_cells_from_runs except select $cells from yield_cells)) d"
}
expect_eq "$(differ)" 0 "cells of the summary that differ from the runs'"
expect_eq "$(pg_value "select sum(boards) from yield_cells")" \
  "$(pg_value "select count(distinct serial) from runs where outcome in ('PASS', 'FAIL')")" \
  "boards in the summary"
# EOL-1 shipped last: a board first tested there had its EOL-2 run in the summary before
[ "$(pg_value "select sum(boards) from yield_cells where station_id = 'EOL-1'")" -gt 0 ] ||
  fail "no board's first run arrived after a later one"
[ "$(pg_value "select sum(retests) from yield_cells where station_id = 'EOL-2'")" -gt 0 ] ||
  fail "no retest on EOL-2"
# the report from the summary equals the one from the runs themselves
"$STATION" report yield --factory --config "$WORK/station.conf" --by station,model,day \
  >"$WORK/report.out"
cat "$WORK/report.out"
expect_eq "$(awk '$1 == "all" { print $2, $3 }' "$WORK/report.out")" \
  "$(pg_value "select sum(boards) || ' ' || round(100.0 * sum(first_pass) / sum(boards), 2)
      || '%' from yield_cells_from_runs")" \
  "boards and first-pass yield of the plant"
pg_value "select yield_summary_rebuild()" >/dev/null
expect_eq "$(differ)" 0 "cells that differ after a rebuild"
"$STATION" report yield --factory --config "$WORK/station.conf" --by station,model,day \
  >"$WORK/rebuilt.out"
diff -u "$WORK/report.out" "$WORK/rebuilt.out" || fail "the report changed with a rebuild"
echo ok
