"""The installed llama.cpp is the portable, runtime-selected build the Makefile makes."""

from __future__ import annotations

from pathlib import Path

from app.core.engines.native import cpu_variant, llama_system_info


def llama_lib_dir() -> Path:
    import llama_cpp

    return Path(llama_cpp.__file__).resolve().parent / "lib"


def test_one_cpu_module_per_generation_is_installed_and_none_has_amx() -> None:
    modules = sorted(p.name for p in llama_lib_dir().glob("libggml-cpu-*.so"))
    # A native or GGML_NATIVE=OFF-only build has no modules: it would crash on older CPUs
    # (or, with AMX on Sapphire Rapids, on quantized models).
    assert "libggml-cpu-x64.so" in modules, modules
    assert "libggml-cpu-haswell.so" in modules, modules
    assert not [m for m in modules if "sapphirerapids" in m], "the AMX module must be removed"


def test_a_variant_is_loaded_and_reported() -> None:
    variant = cpu_variant()
    assert variant.startswith("libggml-cpu-"), variant
    assert "runtime-selected" in variant
    assert "AVX" in llama_system_info() or "SSE" in llama_system_info()
