"""Text that is safe to print to a terminal.

Model names come from GGUF metadata and chat text from a model or an imported file; both
can hold terminal escape sequences that recolour the terminal, rewrite its title, move
the cursor to hide text, or worse. Everything the CLI prints from such sources goes
through :func:`for_terminal`:

- whole escape sequences are removed: CSI (``ESC [`` … and the one-byte ``0x9b``), OSC
  (``ESC ]`` … up to BEL or ST, the window-title and hyperlink sequences), DCS/SOS/PM/APC
  strings and the short ``ESC x`` forms;
- every other C0 or C1 control character but newline and tab (carriage return, backspace,
  BEL, DEL, …) becomes U+FFFD, so its presence stays visible;
- ``\\r\\n`` becomes ``\\n``.

Text printed in pieces (a streamed answer) is safe piece by piece: a sequence split
across two pieces loses its ESC in the first, and what follows is plain printable text.
"""

from __future__ import annotations

import re
from typing import Final

_SEQUENCES: Final = re.compile(
    r"""
      \x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?           # OSC … BEL/ST
    | \x1b[PX^_][^\x1b\x9c]*(?:\x1b\\|\x9c)?                # DCS, SOS, PM, APC … ST
    | \x1b\[[0-?]*[ -/]*[@-~]?                              # CSI
    | \x1b[ -/]*[0-~]?                                      # other escapes
    | \x9b[0-?]*[ -/]*[@-~]?                                # one-byte CSI
    | [\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?  # one-byte string starts
    """,
    re.VERBOSE,
)
# C0 controls but newline and tab, DEL and the C1 controls.
_CONTROLS: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAKS: Final = re.compile("[\n\t\u2028\u2029]")


def for_terminal(text: str, *, one_line: bool = False) -> str:
    """``text`` safe to print: escape sequences removed, other controls made visible.

    With ``one_line`` line breaks and tabs become spaces too (for table cells).
    """
    text = _SEQUENCES.sub("", text.replace("\r\n", "\n"))
    if one_line:
        text = _LINE_BREAKS.sub(" ", text)
    return _CONTROLS.sub("\ufffd", text)
