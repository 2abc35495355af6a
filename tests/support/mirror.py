"""Pytest plugin: a local HTTP mirror on 127.0.0.1 with injectable faults (owned by the downloads work)."""
