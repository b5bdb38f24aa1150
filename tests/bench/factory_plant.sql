-- Fills a factory database whose schema the station made (`station sync`) with the runs of a
-- plant, on the server (generate_series), not through the shipper: psql -v runs=N
-- -v stations=S (S > 21). Run r (from 0) starts 3 s after run r-1 on station r % S (each
-- station one run every 3 S s, 150 s for 50) in production weeks of 201 600 runs; a station
-- runs one order a week, of one of five models, by one operator a shift. Every 25th run (r % 25
-- = 3) fails at overcharge; the run 21 later (r % 25 = 24, another station) retests that board,
-- which fails again one time in ten; every 500th run (r % 500 = 137) ends ERROR. So the yield
-- over N runs: boards N - N/25 - N/500, first pass less N/25, final pass less N/250, retests
-- N/25, station errors N/500 (for N a multiple of 500).
--
-- Its yield summary is filled with what the runs' trigger would have made of these runs. For
-- speed, the session replicates (session_replication_role: no per-row trigger, the summary's
-- included, and no foreign-key checks), and the indexes of the runs other than their primary
-- key and of the boards are dropped first and made again at the end from their own
-- definitions.
\set ON_ERROR_STOP 1
\o /dev/null
SET session_replication_role = replica;
SET maintenance_work_mem = '1GB';

INSERT INTO stations (id)
SELECT format('EOL-%s', lpad(s::text, 2, '0')) FROM generate_series(1, :stations) AS s
ON CONFLICT DO NOTHING;

-- the indexes of the runs other than their primary key, and the boards', made again at the end
CREATE TEMP TABLE dropped AS
SELECT i.indrelid::regclass AS table_name, c.relname AS name,
       pg_get_indexdef(i.indexrelid) AS definition,
       (SELECT pg_get_constraintdef(k.oid) FROM pg_constraint AS k
        WHERE k.conindid = i.indexrelid AND k.conrelid = i.indrelid) AS constraint_definition
FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
WHERE (i.indrelid = 'runs'::regclass AND NOT i.indisprimary) OR i.indrelid = 'boards'::regclass;
SELECT CASE WHEN constraint_definition IS NULL THEN format('DROP INDEX %I', name)
            ELSE format('ALTER TABLE %s DROP CONSTRAINT %I', table_name, name) END
FROM dropped \gexec

INSERT INTO runs (id, uid, station_id, local_id, purpose, serial, model, fixture_id, slot,
                  operator, order_id, chemistry, cell_count, heater, profile, sequence_name,
                  app_version, outcome, first_failure, started_at, ended_at, duration_s)
OVERRIDING SYSTEM VALUE
SELECT r + 1, lpad(to_hex(r), 32, '0')::uuid, station, r / :stations + 1, 'eol',
       model || '-2602-' || lpad(board::text, 8, '0'), model, 'FX-' || substr(station, 5), 1,
       format('op-%s-%s', substr(station, 5), yield_shift(t)),
       format('PO-%s-%s', lpad((board % :stations + 1)::text, 2, '0'), board / 201600),
       'lfp', 16, false, 'default', 'eol', '0.1.0', outcome,
       CASE WHEN outcome = 'FAIL' THEN 'overcharge' END, t, t + interval '140 s', 140
FROM (SELECT r, board, t, format('EOL-%s', lpad((r % :stations + 1)::text, 2, '0')) AS station,
             (ARRAY['B2A24S15P', 'B2A8S20P', 'BD4A17S4P', 'B1A24S15P', 'BD6A20S8P'])
               [(board % :stations + board / 201600) % 5 + 1] AS model,
             CASE WHEN r % 500 = 137 THEN 'ERROR' WHEN r % 25 = 3 THEN 'FAIL'
                  WHEN r % 25 = 24 AND (r / 25) % 10 = 0 THEN 'FAIL' ELSE 'PASS' END AS outcome
      FROM (SELECT r, CASE WHEN r % 25 = 24 THEN r - 21 ELSE r END AS board,
                   timestamptz '2026-01-05 06:00:00+00' + r * interval '3 s' AS t
            FROM generate_series(0, :runs - 1) AS r) AS numbered) AS generated;
SELECT setval(pg_get_serial_sequence('runs', 'id'), :runs);

-- the yield summary (factory schema 3) as the runs' trigger keeps it, from what each run is
-- (the bench checks it against the station's yield_summary_rebuild() on a smaller plant): a
-- board's first run (r % 25 <> 24) and its final one (the retest 21 later for r % 25 = 3);
-- per cell, the boards first tested there with their first and final outcomes, the retests and
-- the station errors
INSERT INTO boards (serial, first_run_id, final_run_id)
SELECT serial, id, CASE WHEN (id - 1) % 25 = 3 THEN id + 21 ELSE id END
FROM runs WHERE outcome IN ('PASS', 'FAIL') AND (id - 1) % 25 <> 24;
-- (grouped by the hour first: a production day and shift are whole hours, of 1200 runs each)
INSERT INTO yield_cells
SELECT yield_day(hour), yield_shift(hour), model, station_id, fixture_id, operator, order_id,
       sum(boards), sum(first_pass), sum(final_pass), sum(retests), sum(errors)
FROM (SELECT timestamptz '2026-01-05 06:00:00+00' + r / 1200 * interval '1 hour' AS hour,
             model, station_id, fixture_id, operator, order_id,
             count(*) FILTER (WHERE outcome <> 'ERROR' AND r % 25 <> 24) AS boards,
             count(*) FILTER (WHERE outcome = 'PASS' AND r % 25 <> 24) AS first_pass,
             count(*) FILTER (WHERE outcome <> 'ERROR' AND r % 25 <> 24 AND
                              (outcome = 'PASS' OR (r % 25 = 3 AND (r + 21) / 25 % 10 <> 0)))
               AS final_pass,
             count(*) FILTER (WHERE outcome <> 'ERROR' AND r % 25 = 24) AS retests,
             count(*) FILTER (WHERE outcome = 'ERROR') AS errors
      FROM (SELECT *, id - 1 AS r FROM runs) AS numbered
      GROUP BY r / 1200, model, station_id, fixture_id, operator, order_id) AS hours
GROUP BY 1, 2, 3, 4, 5, 6, 7;

SELECT CASE WHEN constraint_definition IS NULL THEN definition
            ELSE format('ALTER TABLE %s ADD CONSTRAINT %I %s', table_name, name,
                        constraint_definition) END
FROM dropped \gexec
RESET session_replication_role;
ANALYZE runs;
VACUUM ANALYZE boards, yield_cells;
