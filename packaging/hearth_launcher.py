"""Entry script of the frozen app: the same ``main`` as ``python -m app``.

PyInstaller needs a script file; ``app/__main__.py`` itself would be frozen as the
module ``__main__`` and not as ``app.__main__``, so it is imported here instead.
"""

import multiprocessing
import sys

from app.__main__ import main

if __name__ == "__main__":
    # Any library that spawns a process (multiprocessing) re-runs this executable; this
    # makes such a child do its work instead of starting a second Hearth.
    multiprocessing.freeze_support()
    sys.exit(main())
