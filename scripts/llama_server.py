"""Run llama-cpp-python's OpenAI-compatible server with Hearth's llama.cpp build.

    python scripts/llama_server.py --model tiny.gguf --host 127.0.0.1 --port 8080 [...]

Every argument goes to ``python -m llama_cpp.server`` unchanged. Hearth's wheel is built
with ``GGML_BACKEND_DL`` (one CPU backend per instruction set, loaded at run time), so the
backends must be loaded from the wheel's ``lib`` folder before the first model is opened,
exactly as the app does; plain ``python -m llama_cpp.server`` would fail with "no backends
are loaded". Needs the wheel's ``[server]`` extra (fastapi, sse-starlette, ...).
"""

from __future__ import annotations

import ctypes
import logging
import runpy
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger("llama_server")


def load_backends(llama_cpp: Any) -> None:
    """Have ggml load the best CPU backend variant from the wheel's lib folder (a no-op for
    a build with one static CPU backend, or when backends are already loaded)."""
    lib_dir = Path(llama_cpp.__file__).resolve().parent / "lib"
    if not any(lib_dir.glob("*ggml-cpu-*")):
        return
    if sys.platform == "win32":
        ggml: Any = ctypes.CDLL(str(lib_dir / "ggml.dll"))
    else:
        # The handle of libllama resolves into the libggml it links; opening libggml by path
        # would load a second copy with its own, empty backend registry.
        ggml = llama_cpp.llama_cpp._lib
    ggml.ggml_backend_reg_count.restype = ctypes.c_size_t
    if ggml.ggml_backend_reg_count() > 0:
        return
    ggml.ggml_backend_load_all_from_path.restype = None
    ggml.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
    ggml.ggml_backend_load_all_from_path(str(lib_dir).encode())


def main(argv: list[str]) -> int:
    try:
        import llama_cpp
        import llama_cpp.server.app  # only importable with the [server] extra
    except ImportError as exc:
        print(
            f"llama-cpp-python's server is not installed ({exc.name} is missing). Install the "
            'wheel\'s [server] extra: pip install "$WHEEL[server]".',
            file=sys.stderr,
        )
        return 2
    load_backends(llama_cpp)
    sys.argv = ["llama_cpp.server", *argv]
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
