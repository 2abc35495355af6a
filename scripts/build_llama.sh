#!/usr/bin/env bash
# Build (or reuse) the llama-cpp-python wheel Hearth installs and ships, and print its path.
#
#   WHEEL=$(scripts/build_llama.sh)          # stdout carries the wheel path and nothing else
#   pip install --force-reinstall --no-deps "$WHEEL"
#
# The wheel carries one ggml CPU library per x86 CPU generation (GGML_BACKEND_DL +
# GGML_CPU_ALL_VARIANTS) in llama_cpp/lib; at run time ggml scores them against the
# CPU and loads the best one. The AMX ("sapphirerapids") library is removed from the
# wheel: it segfaults in llama_decode on quantized models on AMX Xeons we build on.
# docs/BUILD.md has the measurements, the reasons and what the engine must call.
#
# Settings (environment):
#   LLAMA_VERSION        llama-cpp-python version              (default 0.3.36)
#   LLAMA_CMAKE_ARGS     CMake flags                           (default: the variant build)
#   LLAMA_DROP_VARIANTS  CPU variants removed from the wheel   (default "sapphirerapids")
#   HEARTH_WHEEL_CACHE   cache root        (default ~/.cache/hearth/wheels, or $XDG_CACHE_HOME)
#   PYTHON               interpreter whose pip builds          (default python3)
#   CMAKE_BUILD_PARALLEL_LEVEL  compile jobs                   (default: number of CPUs)
#   LLAMA_REBUILD=1      ignore a cached wheel and build again
set -euo pipefail

LLAMA_VERSION="${LLAMA_VERSION:-0.3.36}"
LLAMA_CMAKE_ARGS="${LLAMA_CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DCMAKE_INSTALL_BINDIR=llama_cpp/lib}"
LLAMA_DROP_VARIANTS="${LLAMA_DROP_VARIANTS-sapphirerapids}"
PYTHON="${PYTHON:-python3}"
CACHE_ROOT="${HEARTH_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hearth/wheels}"
# Bump when the post-processing below changes, so cached wheels made the old way are not reused.
RECIPE=1

say() { printf 'build_llama: %s\n' "$*" >&2; }

if command -v sha256sum >/dev/null 2>&1; then hash_cmd=(sha256sum); else hash_cmd=(shasum -a 256); fi
key=$(printf '%s|%s|%s|%s' "$RECIPE" "$LLAMA_VERSION" "$LLAMA_CMAKE_ARGS" "$LLAMA_DROP_VARIANTS" |
    "${hash_cmd[@]}" | cut -c1-12)
out="$CACHE_ROOT/llama-$LLAMA_VERSION-$key"
mkdir -p "$CACHE_ROOT"

# Two make runs (or two clones) on one machine must not compile the same wheel twice.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$out.lock"
    flock 9
fi

find_wheel() { compgen -G "$out/llama_cpp_python-$LLAMA_VERSION-*.whl" | head -n 1 || true; }

if [[ "${LLAMA_REBUILD:-0}" != 1 && -f "$out/.built" ]]; then
    wheel=$(find_wheel)
    if [[ -n "$wheel" ]]; then
        say "reusing $wheel"
        printf '%s\n' "$wheel"
        exit 0
    fi
fi

# The sdist is 77 MB: keep one copy so rebuilds with other flags do not download it again.
sdist_dir="$CACHE_ROOT/sdist"
sdist="$sdist_dir/llama_cpp_python-$LLAMA_VERSION.tar.gz"
if [[ ! -f "$sdist" ]]; then
    say "downloading the llama-cpp-python $LLAMA_VERSION source"
    mkdir -p "$sdist_dir"
    "$PYTHON" -m pip download --quiet --no-deps --no-binary :all: \
        "llama-cpp-python==$LLAMA_VERSION" -d "$sdist_dir" >&2
fi

work=$(mktemp -d "$CACHE_ROOT/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT

jobs="${CMAKE_BUILD_PARALLEL_LEVEL:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)}"
say "compiling with CMAKE_ARGS=\"$LLAMA_CMAKE_ARGS\" on $jobs jobs (the variant build takes 15-30 min on 2 cores)"
started=$SECONDS
# --no-cache-dir: pip's own wheel cache is keyed by the source, not by CMAKE_ARGS, so it
# could hand back a wheel compiled with other flags.
CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL="$jobs" \
    "$PYTHON" -m pip wheel --no-cache-dir --no-deps "$sdist" -w "$work/raw" >&2
say "compiled in $((SECONDS - started)) s"

raw=$(compgen -G "$work/raw/llama_cpp_python-$LLAMA_VERSION-*.whl" | head -n 1 || true)
if [[ -z "$raw" ]]; then
    say "pip produced no wheel in $work/raw"
    exit 1
fi
mkdir -p "$work/final"
final="$work/final/$(basename "$raw")"

# Remove the dropped variants from the wheel (and from its RECORD), then check that the
# variant libraries sit in llama_cpp/lib, the one directory the engine hands to ggml.
"$PYTHON" - "$raw" "$final" "$LLAMA_DROP_VARIANTS" <<'PY'
import re
import sys
import zipfile

source, target, dropped_names = sys.argv[1], sys.argv[2], sys.argv[3].split()
variant = re.compile(r"(?:^|/)(?:lib)?ggml-cpu-([A-Za-z0-9_.]+?)\.(?:so|dll|dylib)$")


def is_dropped(name: str) -> bool:
    match = variant.search(name)
    return bool(match) and match.group(1) in dropped_names


with zipfile.ZipFile(source) as wheel_in:
    names = wheel_in.namelist()
    removed = {name for name in names if is_dropped(name)}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as wheel_out:
        for info in wheel_in.infolist():
            if info.filename in removed:
                continue
            data = wheel_in.read(info)
            if info.filename.endswith(".dist-info/RECORD"):
                kept = [
                    line
                    for line in data.decode("utf-8").splitlines()
                    if line.split(",", 1)[0] not in removed
                ]
                data = ("\n".join(kept) + "\n").encode("utf-8")
            wheel_out.writestr(info, data)

shipped = sorted(
    variant.search(name).group(1)
    for name in names
    if name.startswith("llama_cpp/lib/") and variant.search(name) and name not in removed
)
stray = sorted(n for n in names if variant.search(n) and not n.startswith("llama_cpp/lib/"))
say = lambda text: print(f"build_llama: {text}", file=sys.stderr)  # noqa: E731
if removed:
    say("removed from the wheel: " + ", ".join(sorted(removed)))
if stray:
    say("warning: CPU variant files outside llama_cpp/lib: " + ", ".join(stray))
if shipped:
    say("CPU variants in llama_cpp/lib: " + ", ".join(shipped))
elif any(n.startswith("llama_cpp/lib/") and "ggml-cpu" in n for n in names):
    say("single CPU backend build (no runtime-selected variants)")
else:
    say("error: no ggml CPU library in llama_cpp/lib; the install layout changed")
    sys.exit(1)
PY

mkdir -p "$out"
rm -f "$out"/llama_cpp_python-*.whl
mv "$final" "$out/"
printf 'version=%s\ncmake_args=%s\ndropped_variants=%s\ncompile_seconds=%s\n' \
    "$LLAMA_VERSION" "$LLAMA_CMAKE_ARGS" "$LLAMA_DROP_VARIANTS" "$((SECONDS - started))" \
    >"$out/BUILD-INFO"
touch "$out/.built"
wheel=$(find_wheel)
say "wheel: $wheel ($(du -h "$wheel" | cut -f1))"
printf '%s\n' "$wheel"
