"""Retry helper used by the sync service."""

import time


def retry(call, attempts=5, base_delay=0.5):
    """Call ``call`` until it succeeds, doubling the delay after each failure.

    The delay starts at base_delay seconds and doubles each time (exponential backoff),
    at most ``attempts`` times in all.
    """
    for attempt in range(attempts):
        try:
            return call()
        except OSError:
            time.sleep(base_delay * 2**attempt)
    raise RuntimeError("gave up")
