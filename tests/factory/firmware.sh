#!/usr/bin/env bash
# Firmware releases distributed through the factory database: the firmware team publishes a
# signed release from one station, another station takes it (station firmware fetch,
# station sync, and the shipper's pass in station run) and can flash it; a newer release for
# a model supersedes the older one on the stations; an image changed in the factory database
# or signed by a key the station does not trust is refused and not released there.
. "$SOURCE_ROOT/tests/system/lib.sh"
. "$FACTORY_LIB"
pg_start "$1"
factory_config "$WORK/station.conf"
release_firmware                     # station A: $WORK/results.db, the team's key trusted
A=$WORK/results.db
OUT=$WORK/cmd.out
# st STATUS_VAR ARGS...: runs the station, its output in $OUT and on the log
st() {
  set +e
  "$STATION" "$@" >"$OUT" 2>&1
  STATUS=$?
  set -e
  cat "$OUT"
}
released_for() {  # DB MODEL: the version released for MODEL on the station
  "$STATION" firmware list --db "$1" | awk -v m="$2" 'NR > 1 && ("," $3 ",") ~ ("," m ",") { print $1 }'
}
MODEL=B2A24S15P

st firmware publish 11.30.2 --db "$A" --trusted-keys "$TRUSTED" --config "$WORK/station.conf"
expect_eq "$STATUS" 0 "exit status of a publish"
expect_grep "^$MODEL: 11.30.2 published to the factory database host=127.0.0.1" "$OUT"
models=$(sql "select models from firmware_images where version = '11.30.2'")
expect_eq "$(pg_value "select string_agg(r.model, ',' order by r.model) from firmware_releases r
    join firmware_images i on i.id = r.image_id where i.version = '11.30.2'")" \
  "$(echo "$models" | tr ',' '\n' | LC_ALL=C sort | paste -sd,)" "models released in the factory"
expect_eq "$(pg_value "select sha256 from firmware_images")" \
  "$(sql "select sha256 from firmware_images where version = '11.30.2'")" "published image"
st firmware publish 11.30.2 --db "$A" --trusted-keys "$TRUSTED" --config "$WORK/station.conf"
expect_grep "^$MODEL: 11.30.2 was already the release in the factory database" "$OUT"
expect_eq "$(pg_value "select count(*) from firmware_images")" 1 "images after a second publish"

# station B takes it
B=$WORK/b.db
st firmware fetch --db "$B" --trusted-keys "$TRUSTED" --config "$WORK/station.conf" --station EOL-B
expect_eq "$STATUS" 0 "exit status of a fetch"
expect_grep "^$MODEL: 11.30.2 released from the factory database \(published by " "$OUT"
expect_eq "$(released_for "$B" "$MODEL")" 11.30.2 "B's release for $MODEL"
expect_eq "$(sqlite3 "$B" "select sha256 from firmware_images")" \
  "$(sql "select sha256 from firmware_images where version = '11.30.2'")" "B's image"
"$STATION" firmware show 11.30.2 --db "$B" --trusted-keys "$TRUSTED" >"$OUT"
expect_grep '^  check +signature valid' "$OUT"
expect_eq "$(sqlite3 "$B" "select count(*) from audit_log where action = 'firmware.release'")" \
  "$(echo "$models" | tr ',' '\n' | wc -l)" "B's audited releases"
expect_eq "$(pg_value "select count(*) from firmware_fetches where station_id = 'EOL-B'")" \
  "$(echo "$models" | tr ',' '\n' | wc -l)" "releases B took"
st firmware fetch --db "$B" --trusted-keys "$TRUSTED" --config "$WORK/station.conf" --station EOL-B
expect_eq "$STATUS" 0 "exit status of a fetch with nothing new"
expect_eq "$(wc -c <"$OUT")" 0 "output of a fetch with nothing new"
expect_eq "$(sqlite3 "$B" "select count(*) from firmware_images")" 1 "B's images"

# a newer release for one model supersedes the older one, on A, in the factory and on B
"$STATION" firmware build-test-image --version 11.31 --models "$MODEL" --size 20000 \
  -o "$WORK/fw/fw-11.31.bin" >/dev/null
"$STATION" firmware sign --key "$WORK/fw/team.key" --image "$WORK/fw/fw-11.31.bin" \
  --version 11.31 --models "$MODEL" -o "$WORK/fw/fw-11.31.manifest" >/dev/null
"$STATION" firmware import "$WORK/fw/fw-11.31.manifest" --db "$A" --trusted-keys "$TRUSTED" >/dev/null
"$STATION" firmware release 11.31 --models "$MODEL" --db "$A" --trusted-keys "$TRUSTED" >/dev/null
st firmware publish 11.31 --db "$A" --trusted-keys "$TRUSTED" --config "$WORK/station.conf"
expect_grep "^$MODEL: 11.31 published to the factory database .*, supersedes 11.30.2" "$OUT"
expect_eq "$(pg_value "select i.version from firmware_releases r join firmware_images i
    on i.id = r.image_id where r.model = '$MODEL' and r.superseded_at is null")" 11.31 \
  "the factory's release for $MODEL"
st sync --db "$B" --trusted-keys "$TRUSTED" --config "$WORK/station.conf" --station EOL-B
expect_eq "$STATUS" 0 "exit status of a sync taking a release"
expect_grep "^$MODEL: 11.31 released from the factory database .*, supersedes 11.30.2" "$OUT"
expect_eq "$(released_for "$B" "$MODEL")" 11.31 "B's release for $MODEL after the sync"
other=$(echo "$models" | tr ',' '\n' | grep -vx "$MODEL" | head -n 1)
expect_eq "$(released_for "$B" "$other")" 11.30.2 "B's release for $other"
# an engineer's later release on B stands until the factory database has a newer one
"$STATION" firmware release 11.30.2 --models "$MODEL" --db "$B" --trusted-keys "$TRUSTED" >/dev/null
st firmware fetch --db "$B" --trusted-keys "$TRUSTED" --config "$WORK/station.conf" --station EOL-B
expect_grep "^$MODEL: keeps its release 11.30.2" "$OUT"
expect_eq "$(released_for "$B" "$MODEL")" 11.30.2 "B's own release for $MODEL"

# a station that does not trust the team's key refuses every release and stores nothing
"$STATION" firmware keygen --out "$WORK/other" >/dev/null
mkdir "$WORK/other-keys" && cp "$WORK/other.pub" "$WORK/other-keys/"
C=$WORK/c.db
st firmware fetch --db "$C" --trusted-keys "$WORK/other-keys" --config "$WORK/station.conf" \
  --station EOL-C
expect_eq "$STATUS" 1 "exit status of a fetch refusing releases"
expect_grep "^$MODEL: firmware 11.31 from the factory database .* refused, not released on this station: .*signed by key [0-9a-f]+, which this station does not trust" "$OUT"
expect_eq "$(sqlite3 "$C" "select count(*) from firmware_images")" 0 "C's images"
expect_eq "$(sqlite3 "$C" "select count(*) from firmware_releases")" 0 "C's releases"
expect_eq "$(pg_value "select count(*) from firmware_fetches where station_id = 'EOL-C'")" 0 \
  "releases C took"

# an image changed in the factory database is refused; the other releases are taken
pg_admin -d factory -c "update firmware_images set image = set_byte(image, 300,
    255 - get_byte(image, 300)) where version = '11.31'"
D=$WORK/d.db
st sync --db "$D" --trusted-keys "$TRUSTED" --config "$WORK/station.conf" --station EOL-D
expect_eq "$STATUS" 1 "exit status of a sync refusing a release"
expect_grep "^$MODEL: firmware 11.31 from the factory database .* refused, not released on this station: .*SHA-256" "$OUT"
expect_eq "$(released_for "$D" "$MODEL")" "" "D's release for $MODEL"
expect_eq "$(sqlite3 "$D" "select count(*) from firmware_images where version = '11.31'")" 0 \
  "the changed image on D"
expect_eq "$(released_for "$D" "$other")" 11.30.2 "D's release for $other"
# the image as published, its manifest changed: the signature no longer verifies
pg_admin -d factory -c "update firmware_images set image = set_byte(image, 300,
    255 - get_byte(image, 300)), manifest = replace(manifest, 'image-file=fw-11.31.bin',
    'image-file=fw-11.32.bin') where version = '11.31'"
st firmware fetch --db "$D" --trusted-keys "$TRUSTED" --config "$WORK/station.conf" --station EOL-D
expect_eq "$STATUS" 1 "exit status of a fetch of a changed manifest"
expect_grep "^$MODEL: firmware 11.31 .* refused, .*wrong signature" "$OUT"
expect_eq "$(released_for "$D" "$MODEL")" "" "D's release for $MODEL after the changed manifest"

# the shipper's pass in station run takes the releases: the next run flashes the factory's
pg_admin -d factory -c "update firmware_images set manifest = replace(manifest,
    'image-file=fw-11.32.bin', 'image-file=fw-11.31.bin') where version = '11.31'"
expect_eq "$(pg_value "select sha256 from firmware_images where version = '11.31'")" \
  "$(sql "select sha256 from firmware_images where version = '11.31'")" "the image restored"
start_twin
echo "clock = virtual" >>"$WORK/fixture.conf"
echo "ship_wait_s = 20" >>"$WORK/station.conf"
E=$WORK/e.db
"$STATION" run --fixture "$WORK/fixture.conf" --serial B2A24S15P-2649-00301 --db "$E" \
  --trusted-keys "$TRUSTED" --config "$WORK/station.conf" --station EOL-E --quiet \
  >"$OUT" 2>&1 || true
expect_eq "$(released_for "$E" "$MODEL")" 11.31 "E's release for $MODEL after a run"
st run --fixture "$WORK/fixture.conf" --serial B2A24S15P-2649-00302 --db "$E" \
  --trusted-keys "$TRUSTED" --config "$WORK/station.conf" --station EOL-E --quiet
expect_eq "$STATUS" 0 "exit status of the run flashing the factory's release"
expect_eq "$(sqlite3 "$E" "select firmware_sha256 from runs where serial = 'B2A24S15P-2649-00302'")" \
  "$(sql "select sha256 from firmware_images where version = '11.31'")" "the image flashed"
echo ok
