#!/usr/bin/env bash
# Build llama.cpp's own llama-bench from the same vendored sources as Hearth's wheel, and
# print the path of a directory holding the binaries. Used by `python -m app bench --anchor`.
#
#   DIR=$(scripts/build_llama_bench.sh)        # stdout: the directory, nothing else
#   $DIR/wheel/bin/llama-bench    llama-bench to run on the SHIPPED wheel's libraries
#   $DIR/native/bin/llama-bench   llama-bench from a -march=native build
# (app/core/anchor.py sets LD_LIBRARY_PATH and the working directory for each.)
#
# "wheel" build: llama-bench and its common code are compiled with the wheel's flags but
# with no CPU backend of their own (GGML_CPU=OFF). At run time it loads the shipped wheel's
# libllama/libggml (LD_LIBRARY_PATH) and picks the best of the shipped CPU variant modules
# (cwd = the wheel's lib folder, which ggml searches). So it measures the exact binaries
# Hearth ships, and it compiles in a few minutes instead of the wheel's 15-20.
# "native" build (skip with LLAMA_BENCH_NATIVE=0): one CPU backend tuned to this machine,
# llama.cpp's default, to measure what the portable wheel gives up.
#
# Settings: LLAMA_VERSION (0.3.36), HEARTH_WHEEL_CACHE, LLAMA_BENCH_NATIVE (1), LLAMA_REBUILD.
set -euo pipefail

LLAMA_VERSION="${LLAMA_VERSION:-0.3.36}"
CACHE_ROOT="${HEARTH_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hearth/wheels}"
NATIVE="${LLAMA_BENCH_NATIVE:-1}"
RECIPE=1
say() { printf 'build_llama_bench: %s\n' "$*" >&2; }

out="$CACHE_ROOT/llama-bench-$LLAMA_VERSION-r$RECIPE"
mkdir -p "$CACHE_ROOT"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$out.lock"
    flock 9
fi
# Each build is cached on its own, so asking for the native build later reuses the wheel one.
need_wheel=1; need_native=0
[[ "${LLAMA_REBUILD:-0}" != 1 && -x "$out/wheel/bin/llama-bench" ]] && need_wheel=0
[[ "$NATIVE" == 1 && ( "${LLAMA_REBUILD:-0}" == 1 || ! -x "$out/native/bin/llama-bench" ) ]] &&
    need_native=1
if [[ $need_wheel == 0 && $need_native == 0 ]]; then
    say "reusing $out"
    printf '%s\n' "$out"
    exit 0
fi

sdist="$CACHE_ROOT/sdist/llama_cpp_python-$LLAMA_VERSION.tar.gz"
if [[ ! -f "$sdist" ]]; then
    mkdir -p "$CACHE_ROOT/sdist"
    say "downloading the llama-cpp-python $LLAMA_VERSION source"
    "${PYTHON:-python3}" -m pip download --quiet --no-deps --no-binary :all: \
        "llama-cpp-python==$LLAMA_VERSION" -d "$CACHE_ROOT/sdist" >&2
fi
work=$(mktemp -d "$CACHE_ROOT/.bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
tar -xzf "$sdist" -C "$work"
src=$(compgen -G "$work/llama_cpp_python-*/vendor/llama.cpp" | head -n 1)
jobs="${CMAKE_BUILD_PARALLEL_LEVEL:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}"
common=(-DCMAKE_BUILD_TYPE=Release -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF
        -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_TOOLS=ON
        -DBUILD_SHARED_LIBS=ON -DCMAKE_SKIP_RPATH=ON)

build() {  # build <name> <cmake flags...>
    local name=$1; shift
    local started=$SECONDS
    say "configuring the $name build: $*"
    cmake -S "$src" -B "$work/$name" "${common[@]}" "$@" >"$work/$name.log" 2>&1 ||
        { tail -n 40 "$work/$name.log" >&2; exit 1; }
    cmake --build "$work/$name" --target llama-bench -j "$jobs" >>"$work/$name.log" 2>&1 ||
        { tail -n 40 "$work/$name.log" >&2; exit 1; }
    mkdir -p "$work/out/$name/bin"
    cp "$work/$name/bin/llama-bench" "$work/out/$name/bin/"
    find "$work/$name/bin" -maxdepth 1 -name '*.so*' -exec cp -a {} "$work/out/$name/bin/" \;
    say "$name build: $((SECONDS - started)) s"
}

mkdir -p "$out"
# Same flags as the wheel (scripts/build_llama.sh), minus the CPU modules it will borrow.
if [[ $need_wheel == 1 ]]; then
    build wheel -DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU=OFF
    # The shipped wheel's libllama/libggml must be the ones loaded (anchor.py puts them
    # first on LD_LIBRARY_PATH); keep only llama-bench's own helper libraries.
    rm -f "$work/out/wheel/bin/"libllama.so* "$work/out/wheel/bin/"libggml*.so*
    rm -rf "$out/wheel"
    mv "$work/out/wheel" "$out/wheel"
fi
if [[ $need_native == 1 ]]; then
    build native -DGGML_NATIVE=ON -DGGML_BACKEND_DL=OFF
    rm -rf "$out/native"
    mv "$work/out/native" "$out/native"
fi
printf 'version=%s\nrecipe=%s\n' "$LLAMA_VERSION" "$RECIPE" >"$out/BUILD-INFO"
say "llama-bench ready in $out"
printf '%s\n' "$out"
