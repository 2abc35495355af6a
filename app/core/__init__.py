"""Pure-Python core of Hearth. Nothing in this package may import Qt.

Importing the core also sets the environment guards that keep third-party libraries
(huggingface_hub in particular) from calling home; they are read at import time, so
they must be in place before anything else imports those libraries.
"""

import os as _os

# huggingface_hub reads these at import time. Telemetry would call huggingface.co even
# when a mirror endpoint is used, and the Xet transfer path bypasses mirrors entirely.
for _name, _value in {
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_XET": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "DO_NOT_TRACK": "1",
}.items():
    # Unconditional: a user's own HF_HUB_DISABLE_TELEMETRY=0 must not re-enable it in Hearth.
    _os.environ[_name] = _value
