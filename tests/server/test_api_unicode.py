"""Text that is not valid Unicode (JSON can spell a lone surrogate) gets a 400 or a clean
error, never a 500 from deep inside, and the engine stays free for the next request."""

from __future__ import annotations

import httpx
import pytest

from tests.server.conftest import MODEL_ID, Live, ScriptedEngine

CHAT = "/v1/chat/completions"


def _post(live: Live, raw: str) -> httpx.Response:
    headers = {**live.headers, "Content-Type": "application/json"}
    return httpx.post(f"{live.url}{CHAT}", content=raw.encode(), headers=headers, timeout=30)


@pytest.mark.parametrize(
    ("raw", "param"),
    [
        (
            '{"model": "%s", "messages": [{"role": "user", "content": "hi \\ud800"}]}',
            "messages[0].content",
        ),
        (
            '{"model": "%s", "messages": [{"role": "system", "content": "\\udfff x"},'
            ' {"role": "user", "content": "hi"}]}',
            "messages[0].content",
        ),
        (
            '{"model": "%s", "messages": [{"role": "user", "content": '
            '[{"type": "text", "text": "a\\ud83d"}]}]}',
            "messages[0].content",
        ),
        (
            '{"model": "%s", "messages": [{"role": "assistant", "content": "a", '
            '"reasoning_content": "\\ud800"}, {"role": "user", "content": "b"}]}',
            "messages[0].reasoning_content",
        ),
        (
            '{"model": "%s", "stop": ["\\ud800"], "messages": [{"role": "user", "content": "x"}]}',
            "stop",
        ),
    ],
)
def test_a_lone_surrogate_gets_400_naming_the_field(
    live: Live, scripted_engine: ScriptedEngine, raw: str, param: str
) -> None:
    response = _post(live, raw % MODEL_ID)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param and "Unicode" in error["message"]
    assert not scripted_engine.requests  # never reached the engine
    # A pair written as two escapes is a real character, and fine.
    fine = '{"model": "%s", "messages": [{"role": "user", "content": "\\ud83d\\ude00"}]}'
    assert _post(live, fine % MODEL_ID).status_code == 200


def test_a_lone_surrogate_quoted_back_in_an_error_is_still_json(live: Live) -> None:
    raw = '{"model": "no\\ud800such", "messages": [{"role": "user", "content": "hi"}]}'
    response = _post(live, raw)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"
    part = '{"model": "%s", "messages": [{"role": "user", "content": [{"type": "x\\ud800"}]}]}'
    response = _post(live, part % MODEL_ID)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_content"
