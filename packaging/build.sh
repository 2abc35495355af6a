#!/usr/bin/env bash
# `make package`: build the double-click app, prove it runs, and (Linux) wrap it up.
#
#   bash packaging/build.sh                      dist/Hearth/ (+ Linux tarball)
#   MODEL=path/to.gguf bash packaging/build.sh   the same, carrying that model, for
#                                                machines with no network
#
# Steps: PyInstaller builds dist/Hearth/ from packaging/hearth.spec; the frozen app runs
# `--version` and `--self-test` offscreen in a throw-away data folder (the self-test
# builds a tiny quantized model itself, or, with MODEL, also runs on the bundled model);
# any failure fails the build. On Linux, dist/Hearth-<version>-linux-x86_64.tar.gz is
# then made. Figures go to build/package-report.txt.
#
# Environment: PYTHON (default .venv/bin/python), MODEL, SKIP_TARBALL=1, CLEAN=1 (drop
# PyInstaller's cache first), SELFTEST_TIMEOUT (seconds, default 600).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-.venv/bin/python}"
MODEL="${MODEL:-}"
SELFTEST_TIMEOUT="${SELFTEST_TIMEOUT:-600}"
REPORT=build/package-report.txt
ICON_DIR=build/icons
mkdir -p build dist

step() { printf '\n== %s\n' "$*"; }
# Python for clocks and sizes: date +%N, du -b and stat -c are GNU-only.
now() { "$PYTHON" -c 'import time; print(time.time())'; }
seconds_since() { "$PYTHON" -c 'import sys, time; print(f"{time.time() - float(sys.argv[1]):.1f}")' "$1"; }
size_mb() {
    "$PYTHON" - "$1" <<'PY'
import os, sys
root = sys.argv[1]
if os.path.isfile(root):
    total = os.path.getsize(root)
else:
    total = sum(
        os.lstat(os.path.join(d, f)).st_size for d, _, files in os.walk(root) for f in files
    )
print(f"{total / 1048576:.1f}")
PY
}

case "$(uname -s)" in
    Linux) OS=linux; APP_DIR=dist/Hearth; EXE=dist/Hearth/Hearth ;;
    Darwin) OS=macos; APP_DIR=dist/Hearth.app; EXE=dist/Hearth.app/Contents/MacOS/Hearth ;;
    MINGW*|MSYS*|CYGWIN*) OS=windows; APP_DIR=dist/Hearth; EXE=dist/Hearth/hearth-cli.exe ;;
    *) echo "build.sh: unsupported system $(uname -s)" >&2; exit 1 ;;
esac

VERSION="$("$PYTHON" -c 'import app; print(app.__version__)')"

step "PyInstaller"
if ! "$PYTHON" -m PyInstaller --version >/dev/null 2>&1; then
    echo "PyInstaller is missing from $PYTHON; installing it (it is in the dev extra)."
    "$PYTHON" -m pip install --quiet "pyinstaller>=6.10"
fi
echo "PyInstaller $("$PYTHON" -m PyInstaller --version)"

if [[ -n "$MODEL" ]]; then
    if [[ ! -f "$MODEL" ]]; then
        echo "build.sh: MODEL=$MODEL does not exist." >&2
        exit 1
    fi
    if [[ "$(head -c 4 "$MODEL")" != "GGUF" ]]; then
        echo "build.sh: MODEL=$MODEL is not a GGUF file." >&2
        exit 1
    fi
    HEARTH_BUNDLE_MODEL="$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL")"
    export HEARTH_BUNDLE_MODEL
    echo "Bundling model $HEARTH_BUNDLE_MODEL ($(du -h "$HEARTH_BUNDLE_MODEL" | cut -f1))"
else
    unset HEARTH_BUNDLE_MODEL
fi
export HEARTH_ICON_DIR="$PWD/$ICON_DIR"

clean_flag=()
if [[ "${CLEAN:-0}" == 1 ]]; then clean_flag=(--clean); fi
started="$(now)"
if ! "$PYTHON" -m PyInstaller --noconfirm ${clean_flag[@]+"${clean_flag[@]}"} --log-level WARN \
        --distpath dist --workpath build/pyinstaller packaging/hearth.spec \
        > build/pyinstaller.log 2>&1; then
    tail -n 40 build/pyinstaller.log
    echo "build.sh: PyInstaller failed; full log in build/pyinstaller.log" >&2
    exit 1
fi
build_seconds="$(seconds_since "$started")"
echo "built $APP_DIR in ${build_seconds} s (log: build/pyinstaller.log)"
# Libraries PyInstaller could not find on this machine are missing from the bundle, and
# users without them get no window. Name them so the build machine can be fixed.
if grep -q "Library not found" build/pyinstaller.log; then
    echo "warning: some libraries were not found on this build machine and are not bundled:"
    grep -o "could not resolve '[^']*', dependency of '[^']*'" build/pyinstaller.log \
        | sed "s|could not resolve '\([^']*\)', dependency of '.*/\([^/']*\)'|  \1 (needed by \2)|" \
        | sort -u
    # The same sentence the app prints at start-up (app/preflight.py), with the install lines.
    # shellcheck disable=SC2046
    "$PYTHON" -c 'import sys; from app.preflight import install_sentence; print(install_sentence(sys.argv[1:]))' \
        $(grep -o "could not resolve '[^']*'" build/pyinstaller.log | sed "s|could not resolve '\([^']*\)'|\1|" | sort -u) \
        | sed -e 's/^Hearth cannot open its window: this system/  This build machine/' -e 's/then start Hearth again/then build again/'
    echo "  Without them the bundle opens no window where the user's system lacks them too;"
    echo "  the frozen app then prints that line instead of starting (see docs/PACKAGING.md)."
fi

step "Frozen app: --version and --self-test"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
limit=()
if command -v timeout >/dev/null 2>&1; then limit=(timeout "$SELFTEST_TIMEOUT"); fi
run_frozen() {
    QT_QPA_PLATFORM=offscreen HEARTH_DATA_DIR="$scratch/data" ${limit[@]+"${limit[@]}"} "$EXE" "$@"
}
run_frozen --version | tee build/frozen-version.txt
started="$(now)"
if ! run_frozen --offline --self-test 2>&1 | tee build/frozen-selftest.txt; then
    echo "build.sh: the frozen self-test FAILED (output above)." >&2
    exit 1
fi
selftest_seconds="$(seconds_since "$started")"
if [[ -n "$MODEL" ]]; then
    case "$OS" in
        macos) bundled="dist/Hearth.app/Contents/Resources/models/$(basename "$MODEL")" ;;
        *) bundled="$APP_DIR/_internal/models/$(basename "$MODEL")" ;;
    esac
    echo "-- self-test on the bundled model $bundled"
    if ! run_frozen --offline --self-test --model "$bundled" 2>&1 \
            | tee build/frozen-selftest-bundled.txt; then
        echo "build.sh: the frozen self-test on the bundled model FAILED." >&2
        exit 1
    fi
fi

step "Size"
app_mb="$(size_mb "$APP_DIR")"
echo "$APP_DIR: $app_mb MB unpacked"
glibc=""
if [[ "$OS" == linux ]] && command -v objdump >/dev/null 2>&1; then
    # The bundle carries the build machine's libraries, so it needs at least its glibc.
    glibc="$(find "$APP_DIR" -type f \( -name '*.so*' -o -perm -u+x \) -size -200M -print0 \
        | xargs -0 objdump -T 2>/dev/null \
        | "$PYTHON" -c 'import sys; sys.path.insert(0, "packaging"); import bundle_rules as b; print(b.highest_glibc(sys.stdin.read()) or "")')"
    echo "needs glibc $glibc or newer"
fi
tarball=""
tar_mb=""
if [[ "$OS" == linux && "${SKIP_TARBALL:-0}" != 1 ]]; then
    step "Tarball"
    name="$("$PYTHON" -c 'import sys; sys.path.insert(0, "packaging"); import bundle_rules as b; print(b.tarball_name(sys.argv[1], sys.argv[2] or None))' "$VERSION" "$MODEL")"
    tarball="$(bash packaging/linux/make-tarball.sh "$name" "$ICON_DIR" "$glibc")"
    tar_mb="$(size_mb "$tarball")"
    echo "$tarball: $tar_mb MB"
fi

{
    echo "Hearth $VERSION package report ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -sm))"
    echo "build time (PyInstaller): ${build_seconds} s"
    echo "app folder unpacked: ${app_mb} MB ($APP_DIR${MODEL:+, with $(basename "$MODEL")})"
    if [[ -n "$glibc" ]]; then echo "oldest glibc it runs on: $glibc (from the bundled libraries)"; fi
    if [[ -n "$tarball" ]]; then echo "tarball: ${tar_mb} MB ($tarball)"; fi
    echo "frozen self-test wall time: ${selftest_seconds} s"
    echo "--- self-test output"
    cat build/frozen-selftest.txt
} > "$REPORT"
step "Done"
cat "$REPORT"
