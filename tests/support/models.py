"""Pytest plugin: generated GGUF models for tests (owned by the engine work)."""
