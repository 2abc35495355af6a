"""Engines: the local llama.cpp engine and remote OpenAI-compatible engines."""
