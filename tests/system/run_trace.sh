#!/usr/bin/env bash
# Wire traces: --trace shows every SCPI line, Modbus frame and bootloader exchange on stderr,
# each with a timestamp and the link's resource; stdout stays what scripts parse; without
# --trace there is no trace, and G_MESSAGES_DEBUG selects one protocol.
. "$(dirname "$0")/lib.sh"
start_twin
echo "clock = virtual" >>"$WORK/fixture.conf"
release_firmware >/dev/null
serial=B2A24S15P-2648-00017

# traced_run NAME [station options before run...] -- [run options...]: stdout and stderr
# apart, in $WORK/NAME.out and $WORK/NAME.err; sets RUN_STATUS.
traced_run() {
  local name=$1
  shift
  # each run as the first of its model and order: none finds the plan another one stored
  rm -rf "$XDG_DATA_HOME/jk-eol-station/plans"
  set +e
  timeout 120 "$STATION" "$@" --fixture "$WORK/fixture.conf" --serial "$serial" \
    --db "$WORK/results.db" --trusted-keys "$TRUSTED" >"$WORK/$name.out" 2>"$WORK/$name.err"
  RUN_STATUS=$?
  set -e
}

stamp='[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}'
hex='[0-9A-F]{2}( [0-9A-F]{2})*'
scpi_sent="^\(station:[0-9]+\): jk-scpi-DEBUG: $stamp: ${RESOURCE[cellsim]} > \*IDN\?$"
scpi_received="^\(station:[0-9]+\): jk-scpi-DEBUG: $stamp: ${RESOURCE[cellsim]} < .+"
modbus_request="^\(station:[0-9]+\): jk-modbus-DEBUG: $stamp: ${RESOURCE[rs485]} > 01 03 $hex$"
modbus_answer="^\(station:[0-9]+\): jk-modbus-DEBUG: $stamp: ${RESOURCE[rs485]} < 01 03 $hex$"
boot_sync="^\(station:[0-9]+\): jk-boot-DEBUG: $stamp: ${RESOURCE[boot]}\?baud=115200 > 7F$"
boot_ack="^\(station:[0-9]+\): jk-boot-DEBUG: $stamp: .* < 79 ACK$"
boot_write="^\(station:[0-9]+\): jk-boot-DEBUG: $stamp: .* write 256 bytes at 0x08000000$"

traced_run plain run
expect_eq "$RUN_STATUS" 0 "exit status without --trace"
expect_grep "^PASS  $serial" "$WORK/plain.out"
if grep -qE -- '-DEBUG: ' "$WORK/plain.out" "$WORK/plain.err"; then
  fail "trace lines without --trace: $(grep -m3 -E -- '-DEBUG: ' "$WORK/plain.out" "$WORK/plain.err")"
fi

traced_run traced run --trace
expect_eq "$RUN_STATUS" 0 "exit status with --trace"
expect_grep "^PASS  $serial" "$WORK/traced.out"
for line in "$scpi_sent" "$scpi_received" "$modbus_request" "$modbus_answer" "$boot_sync" \
            "$boot_ack" "$boot_write"; do
  expect_grep "$line" "$WORK/traced.err"
done
# No full data blocks in the bootloader's trace, and nothing of the trace on stdout.
if grep -qE -- "jk-boot-DEBUG: .* [<>] ([0-9A-F]{2} ){16}" "$WORK/traced.err"; then
  fail "the bootloader trace carries whole data blocks"
fi
if grep -qE -- '-DEBUG: |^\(station' "$WORK/traced.out"; then
  fail "trace lines on stdout"
fi
# stdout has the same lines as without --trace but for the figures.
form() { sed -E 's/-?[0-9][0-9.]*(e[-+]?[0-9]+)?/N/g; s/ +/ /g' "$1"; }
diff <(form "$WORK/plain.out") <(form "$WORK/traced.out") >"$WORK/form.diff" ||
  fail "--trace changed stdout: $(head -5 "$WORK/form.diff")"

# The global form, and G_MESSAGES_DEBUG choosing the Modbus frames alone.
traced_run global --trace run
expect_eq "$RUN_STATUS" 0 "exit status of station --trace run"
expect_grep "$modbus_request" "$WORK/global.err"
expect_grep "$scpi_sent" "$WORK/global.err"
export G_MESSAGES_DEBUG=jk-modbus
traced_run modbus run
unset G_MESSAGES_DEBUG
expect_eq "$RUN_STATUS" 0 "exit status with G_MESSAGES_DEBUG=jk-modbus"
expect_grep "$modbus_answer" "$WORK/modbus.err"
if grep -qE -- 'jk-(scpi|boot)-DEBUG' "$WORK/modbus.err"; then
  fail "G_MESSAGES_DEBUG=jk-modbus shows other traces"
fi
if grep -qE -- '-DEBUG: ' "$WORK/modbus.out"; then
  fail "G_MESSAGES_DEBUG traces on stdout"
fi
echo "ok"
