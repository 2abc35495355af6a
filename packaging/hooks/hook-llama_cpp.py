"""PyInstaller hook for llama-cpp-python (``llama_cpp``).

pyinstaller-hooks-contrib (checked: 2026.9) ships no hook for llama_cpp, and the
package loads its native libraries with ``ctypes`` from ``llama_cpp/lib``, which
PyInstaller's import analysis cannot see. Without this hook ``import llama_cpp`` fails
in the frozen app with "Shared library with base name 'llama' not found".

The libraries go to ``llama_cpp/lib`` inside the bundle because llama_cpp computes that
directory from its own ``__file__``. Dynamically loaded CPU variants of a
``GGML_BACKEND_DL`` build (``libggml-cpu-*.so``/``.dll``/``.dylib``) are collected too,
so the runtime can pick the best one for the user's CPU.
"""

import sys
from pathlib import Path

from PyInstaller.utils.hooks import get_package_paths

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bundle_rules import select_llama_libraries

_, _package_dir = get_package_paths("llama_cpp")
_lib_dir = Path(_package_dir) / "lib"
_names = (
    [entry.name for entry in _lib_dir.iterdir() if entry.is_file()] if _lib_dir.is_dir() else []
)

binaries = [
    (str(_lib_dir / name), "llama_cpp/lib") for name in select_llama_libraries(_names, sys.platform)
]

# Only referenced by code paths Hearth never calls (Hub downloads, OpenAI types, HF
# tokenizers); following them would pull large packages into the bundle.
excludedimports = ["huggingface_hub", "openai", "transformers", "PIL", "llama_cpp.server"]
