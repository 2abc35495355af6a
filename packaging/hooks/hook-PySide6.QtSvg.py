"""Replaces PyInstaller's hook for PySide6.QtSvg: the same collection, filtered.

PyInstaller collects every plugin of each plugin type the module may use and every
translation; ``packaging/bundle_rules.py`` keeps only what Hearth needs. Filtering
here, before PyInstaller's binary dependency analysis, also keeps the shared libraries
that only the dropped plugins need out of the bundle.
"""

import sys
from pathlib import Path

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bundle_rules import filter_qt_entries

hiddenimports, _binaries, _datas = add_qt6_dependencies(__file__)
binaries = filter_qt_entries(_binaries)
datas = filter_qt_entries(_datas)
