#!/usr/bin/env bash
# Time from starting the frozen app to its window being shown, on a real X server.
#
#   bash packaging/linux/measure-startup.sh [RUNS] [SCREENSHOT.png]
#
# Runs dist/Hearth/Hearth RUNS times (default 5) under Xvfb (started here if $DISPLAY is
# not set), each time with a fresh data folder, i.e. a first start. The clock stops when
# a window of the app's process is mapped (polled with xdotool every 10 ms). Prints each
# run and the median. With SCREENSHOT, the last run's screen is saved there (ImageMagick
# `import -window root`, cropped to the window) before the app is closed.
#
# Needs: xvfb, xdotool, imagemagick (Debian: apt-get install xvfb xdotool imagemagick).
# Extra app arguments: HEARTH_ARGS="--model x.gguf" bash packaging/linux/measure-startup.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

RUNS="${1:-5}"
SHOT="${2:-}"
EXE="${EXE:-dist/Hearth/Hearth}"
read -r -a extra_args <<< "${HEARTH_ARGS:-}"
[[ -x "$EXE" ]] || { echo "measure-startup.sh: build $EXE first (make package)" >&2; exit 1; }
for tool in xdotool python3; do
    command -v "$tool" >/dev/null || { echo "measure-startup.sh: $tool is missing" >&2; exit 1; }
done

scratch="$(mktemp -d)"
xvfb_pid=""
cleanup() {
    if [[ -n "$xvfb_pid" ]]; then kill "$xvfb_pid" 2>/dev/null || true; fi
    rm -rf "$scratch"
}
trap cleanup EXIT
if [[ -z "${DISPLAY:-}" ]]; then
    export DISPLAY=":${XVFB_DISPLAY:-91}"
    Xvfb "$DISPLAY" -screen 0 "${XVFB_SIZE:-1280x800x24}" -nolisten tcp -noreset >/dev/null 2>&1 &
    xvfb_pid=$!
    for _ in $(seq 100); do xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.05; done
fi
unset QT_QPA_PLATFORM

now_ms() { python3 -c 'import time; print(int(time.monotonic() * 1000))'; }
results=()
for run in $(seq "$RUNS"); do
    data="$scratch/data-$run"
    start="$(now_ms)"
    HEARTH_DATA_DIR="$data" "$EXE" ${extra_args[@]+"${extra_args[@]}"} >"$scratch/log-$run" 2>&1 &
    pid=$!
    shown=""
    for _ in $(seq 3000); do  # 30 s at most
        if xdotool search --onlyvisible --pid "$pid" >/dev/null 2>&1; then
            shown="$(now_ms)"
            break
        fi
        if ! kill -0 "$pid" 2>/dev/null; then break; fi
        sleep 0.01
    done
    if [[ -z "$shown" ]]; then
        echo "run $run: no window appeared; app output:" >&2
        cat "$scratch/log-$run" >&2
        kill "$pid" 2>/dev/null || true
        exit 1
    fi
    elapsed=$((shown - start))
    results+=("$elapsed")
    echo "run $run: window shown after $elapsed ms"
    if [[ "$run" == "$RUNS" && -n "$SHOT" ]]; then
        sleep "${SHOT_DELAY:-3}"  # let the first frame and any start-up work settle
        mkdir -p "$(dirname "$SHOT")"
        # The whole screen, cropped to the app's window (bare Xvfb has no window manager,
        # so the window sits at its own position and size).
        window="$(xdotool search --onlyvisible --pid "$pid" | head -n 1)"
        eval "$(xdotool getwindowgeometry --shell "$window")"
        import -window root -crop "${WIDTH}x${HEIGHT}+${X}+${Y}" +repage "$SHOT"
        echo "screenshot: $SHOT (${WIDTH}x${HEIGHT})"
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
done
printf '%s\n' "${results[@]}" | sort -n | awk '{ a[NR] = $1 } END {
    m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
    printf "median of %d runs: %d ms (min %d, max %d)\n", NR, m, a[1], a[NR] }'
