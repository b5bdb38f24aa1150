# Shared by the app's tests: the system tests' twin and checks (tests/system/lib.sh), and
# station_gui, which runs station-gui under its own X server (xvfb-run on a free display).
# G_DEBUG is fatal-criticals, not fatal-warnings: without a session bus (none under a bare
# X server) GtkApplication warns that it cannot register. Sourced; expects STATION, STATION_GUI, FIXTURE_SIM, SOURCE_ROOT, ARTIFACTS.
. "$SOURCE_ROOT/tests/system/lib.sh"
mkdir -p "$ARTIFACTS"

# station_gui [options...]: sets GUI_STATUS, output in $WORK/gui.out.
station_gui() {
  set +e
  timeout 180 xvfb-run -a -s "-screen 0 1280x1024x24" \
    env GDK_BACKEND=x11 GSK_RENDERER=cairo G_DEBUG=fatal-criticals \
    "$STATION_GUI" --fixture "$WORK/fixture.conf" --db "$WORK/results.db" \
    ${TRUSTED:+--trusted-keys "$TRUSTED"} "$@" >"$WORK/gui.out" 2>&1
  GUI_STATUS=$?
  set -e
  cat "$WORK/gui.out"
}
