"""``python -m app --version``: version, llama.cpp build info and CPU variant."""

from __future__ import annotations


def version_text() -> str:
    from importlib.metadata import version

    from app import __version__
    from app.core.engines.native import cpu_variant, llama_system_info

    return "\n".join(
        [
            f"Hearth {__version__}",
            f"llama-cpp-python {version('llama-cpp-python')}",
            f"CPU variant: {cpu_variant()}",
            f"llama.cpp system info: {llama_system_info()}",
        ]
    )


def print_version() -> int:
    print(version_text())
    return 0
