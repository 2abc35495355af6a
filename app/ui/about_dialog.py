"""About Hearth: version, llama.cpp build, CPU variant, privacy promise and licences."""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout, QWidget

from app import __version__
from app.core.paths import resource_path


def build_info() -> dict[str, str]:
    """Versions and the CPU code in use; llama.cpp is imported only when asked."""
    from app.core.host import cpu_variant, llama_system_info

    try:
        llama_version = version("llama-cpp-python")
    except PackageNotFoundError:
        llama_version = "?"
    try:
        qt_version = version("PySide6-Essentials")
    except PackageNotFoundError:
        qt_version = "?"
    return {
        "hearth": __version__,
        "llama_cpp_python": llama_version,
        "pyside6": qt_version,
        "cpu_variant": cpu_variant(),
        "system_info": llama_system_info(),
    }


def licence_text() -> str:
    """The shipped licence notices in ``licenses.json`` order, or a short summary."""
    folder = resource_path("licenses")
    parts = []
    try:
        index = json.loads((folder / "licenses.json").read_text(encoding="utf-8"))
        notices = index.get("notices", [])
    except (OSError, ValueError, AttributeError):
        notices = []
    for notice in notices:
        path = folder / str(notice.get("file", ""))
        if not path.is_file():
            continue  # optional notices (gathered at build time) may be absent from source
        body = path.read_text(encoding="utf-8", errors="replace")
        parts.append(f"== {notice.get('title', path.name)} ==\n\n{body}")
    if parts:
        return "\n\n".join(parts)
    return (
        "DeepSeek-R1 distill model weights: MIT licence.\n"
        "llama.cpp and llama-cpp-python: MIT licence.\n"
        "Qt and PySide6: LGPL-3.0. Qt is shipped as separate shared libraries, so you may "
        "replace them with your own build of the same version (relinking)."
    )


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("About Hearth"))
        self.setAccessibleName(self.tr("About Hearth"))
        self.resize(620, 520)
        info = build_info()
        header = QLabel(self)
        header.setTextFormat(Qt.TextFormat.RichText)
        header.setWordWrap(True)
        header.setText(
            "<h2>Hearth {v}</h2><p>{tagline}</p>"
            "<p><b>{privacy}</b></p>"
            "<p>llama-cpp-python {lv} · PySide6 {qv}<br>{cpu_label}: {cpu}</p>".format(
                v=info["hearth"],
                tagline=self.tr("A private, offline assistant that runs on your own computer."),
                privacy=self.tr(
                    "No telemetry, no update checks, no crash uploads. Your chats never "
                    "leave this computer."
                ),
                lv=info["llama_cpp_python"],
                qv=info["pyside6"],
                cpu_label=self.tr("CPU code"),
                cpu=info["cpu_variant"],
            )
        )
        header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.licences = QTextBrowser(self)
        self.licences.setAccessibleName(self.tr("Licences"))
        self.licences.setPlainText(
            self.tr("llama.cpp system info: %1").replace("%1", info["system_info"])
            + "\n\n"
            + licence_text()
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(self.licences, 1)
        layout.addWidget(buttons)
