#!/usr/bin/env bash
# Benchmark: eight slots tested at once on the twin (real time, one clock), against one slot
# tested alone on the same fixture.
#  1. Each slot with its own instruments: cycle time of the batch of eight / cycle time of
#     one slot, target <= 1.05.
#  2. The electronic load, charger and DMM shared by the slots (fixture-sim --shared): a
#     slot waits while another holds an instrument it needs, so the batch takes longer. The
#     model's expected ratio comes from the run of one slot alone: its steps' times and the
#     shared instruments each step holds (its instruments = {...} in the sequence; the
#     fixture's own connect and safe-state steps hold them all), played for eight slots that
#     start together and take each step's instruments in the role table's order as they come
#     free (a freed instrument goes to whichever waiting slot asks first: the mean over many
#     draws of that order, and the range of 90 % of them). Target: measured ratio <= 1.05 x
#     the model's mean. BENCH_DIR, when set, keeps the lone run's steps there.
# Prints the figures against their targets; exits 1 when one is missed.
. "$(dirname "$0")/../system/lib.sh"
. "$(dirname "$0")/../system/lib_slots.sh"
SLOTS=8
release_firmware
missed=0
serial() { printf 'B2A24S15P-2648-%05d' "$1"; }

# run OUT ARGS...: a run or batch on the fixture; SECONDS_TAKEN its wall time.
run() {
  local out=$1 start
  shift
  start=$(date +%s.%N)
  set +e
  timeout 1800 "$STATION" run --fixture "$WORK/fixture.conf" --db "$WORK/results.db" \
    --trusted-keys "$TRUSTED" --quiet "$@" >"$out" 2>&1
  local status=$?
  set -e
  SECONDS_TAKEN=$(echo "$(date +%s.%N) - $start" | bc)
  [ "$status" -eq 0 ] || { cat "$out"; echo "(a run did not pass: exit $status)"; }
}

# measure NAME FIRST: one slot alone, then a batch of eight; RATIO, ONE, BATCH, ONE_RUN set.
measure() {
  local first=$2 args=() k
  run "$WORK/$1-one.out" --slot 1 --serial "$(serial "$first")"
  ONE=$SECONDS_TAKEN
  ONE_RUN=$(sql "select id from runs where serial = '$(serial "$first")'")
  for k in $(seq 1 "$SLOTS"); do args+=(--serial "$(serial $((first + k)))"); done
  run "$WORK/$1-batch.out" "${args[@]}"
  BATCH=$SECONDS_TAKEN
  RATIO=$(echo "scale=4; $BATCH / $ONE" | bc)
}

stop_twin() {
  kill "$TWIN_PID" && wait "$TWIN_PID" 2>/dev/null || true
  TWIN_PID=
  rm -f "$WORK/twin.out"
}

start_slots_twin "$SLOTS"
measure own 100
printf 'own instruments: one slot %.1f s, %d slots at once %.1f s, ratio %.3f (target <= 1.05)\n' \
  "$ONE" "$SLOTS" "$BATCH" "$RATIO"
awk -v r="$RATIO" 'BEGIN {exit !(r <= 1.05)}' || missed=1
stop_twin

start_slots_twin "$SLOTS" --shared eload,charger,dmm
measure shared 200
# The model: the lone run's steps (start, end, what each holds), played for eight slots.
sql "select name, strftime('%s', started_at) + substr(started_at, 21, 3) / 1000.0,
            strftime('%s', ended_at) + substr(ended_at, 21, 3) / 1000.0
     from steps where run_id = $ONE_RUN order by idx" >"$WORK/steps.txt"
[ -z "${BENCH_DIR:-}" ] || cp "$WORK/steps.txt" "$BENCH_DIR/slots_parallel_steps.txt"
EXPECTED=$(/usr/bin/python3 - "$WORK/steps.txt" "$SOURCE_ROOT/sequences/eol" "$SLOTS" <<'PY'
import glob, heapq, random, re, sys
steps_file, sequence_dir, slots = sys.argv[1], sys.argv[2], int(sys.argv[3])
shared = ["load", "charger", "dmm"]          # the role table's order
declared = {}
for path in glob.glob(sequence_dir + "/*.lua"):
    text = open(path).read()
    for name, roles in re.findall(r'name = "([a-z-]+)",\n\s*instruments = \{([^}]*)\}', text):
        declared[name] = [r for r in re.findall(r'"([a-z]+)"', roles)]
builtin_none = {"firmware-release", "board-identity", "shared-instruments"}
rows = [line.split("|") for line in open(steps_file).read().split("\n") if line]
plan = []  # (seconds holding, roles), (gap seconds, [])
for i, (name, start, end) in enumerate(rows):
    start, end = float(start), float(end)
    roles = [] if name in builtin_none else declared.get(name, shared)
    plan.append((end - start, [r for r in shared if r in roles]))
    if i + 1 < len(rows):
        plan.append((max(0.0, float(rows[i + 1][1]) - end), []))
one = float(rows[-1][2]) - float(rows[0][1])
# Discrete events: each slot walks the plan; a step takes its roles one by one in order,
# each as soon as it is free, then holds them for its time. A freed instrument goes to one of
# the slots waiting for it, whichever asks first: the lock is polled, so that is any of them;
# the model is the mean over many such draws.
def play(rng):
    holder = {r: None for r in shared}
    queue = {r: [] for r in shared}
    events = [(0.0, k, "next") for k in range(slots)]
    position = [-1] * slots
    end_of = [0.0] * slots
    def want(t, k):
        for r in plan[position[k]][1]:
            if holder[r] != k:
                if holder[r] is None:
                    holder[r] = k
                else:
                    queue[r].append(k)
                    return
        heapq.heappush(events, (t + plan[position[k]][0], k, "done"))
    while events:
        t, k, what = heapq.heappop(events)
        if what == "done":
            for r in plan[position[k]][1]:
                holder[r] = None
                if queue[r]:
                    waiter = queue[r].pop(rng.randrange(len(queue[r])))
                    holder[r] = waiter
                    heapq.heappush(events, (t, waiter, "resume"))
        if what == "resume":
            want(t, k)
            continue
        position[k] += 1
        if position[k] == len(plan):
            end_of[k] = t
            continue
        want(t, k)
    return max(end_of)
rng = random.Random(13)
plays = [play(rng) for _ in range(200)]
plays.sort()
print("%.4f %.4f %.4f %.1f" % (sum(plays) / len(plays) / one, plays[len(plays) // 20] / one,
                               plays[len(plays) * 19 // 20] / one,
                               sum(p[0] for p in plan if p[1])))
PY
)
read -r MODEL LOW HIGH HELD <<<"$EXPECTED"
printf 'shared load, charger and DMM: one slot %.1f s (holding them %.1f s), %d slots at once %.1f s\n' \
  "$ONE" "$HELD" "$SLOTS" "$BATCH"
printf '  ratio %.3f, the model expects %.3f (%.3f to %.3f in 90 %% of its draws; target <= %.3f)\n' \
  "$RATIO" "$MODEL" "$LOW" "$HIGH" "$(echo "$MODEL * 1.05" | bc)"
awk -v r="$RATIO" -v m="$MODEL" 'BEGIN {exit !(r <= 1.05 * m)}' || missed=1
waits=$(sql "select group_concat(round(m.value, 1), ' ') from measurements m join steps s on
             s.id = m.step_id join runs r on r.id = s.run_id
             where r.serial > '$(serial 200)' and m.name = 'shared_instrument_wait_s'
             order by r.slot")
echo "  each slot waited for them (s): $waits"
exit $missed
