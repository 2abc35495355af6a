"""The API key never reaches an error's text or detail, even when the server quotes it."""

from __future__ import annotations

import json

import pytest

from app.core.engines.remote_wire import RemoteEndpoint, http_error, not_openai_error

KEY = "sk-echoed-back-5a4b3c2d1e"


def _endpoint() -> RemoteEndpoint:
    return RemoteEndpoint("Team GPU", "https://gpu.example:8000/v1", "r1-32b", api_key=KEY)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 503])
def test_an_error_body_that_quotes_the_key_is_masked(status: int) -> None:
    body = json.dumps({"error": {"message": f"Incorrect API key provided: {KEY}"}}).encode()
    error = http_error(status, {}, body, _endpoint())
    for text in (str(error), repr(error), error.detail):
        assert KEY not in text
    assert "***" in error.detail


@pytest.mark.parametrize("content_type", ["text/html", "text/plain"])
def test_a_non_openai_body_that_quotes_the_key_is_masked(content_type: str) -> None:
    body = f"<html>Bearer {KEY} is not welcome here</html>".encode()
    error = not_openai_error(_endpoint(), content_type, body)
    for text in (str(error), repr(error), error.detail):
        assert KEY not in text
