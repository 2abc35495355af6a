"""The OpenAI wire format: validation, defaults, stop sequences and response shapes."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.chat import TurnStats
from app.server import wire
from app.server.wire import ApiError, StopScanner, parse_chat_request


def body(**extra: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": "hi"}], **extra}


def refused(raw: Any, **kwargs: Any) -> ApiError:
    with pytest.raises(ApiError) as info:
        parse_chat_request(raw, **kwargs)
    assert info.value.status == 400
    shape = info.value.body()["error"]
    assert set(shape) >= {"message", "type", "code"}
    assert shape["type"] == "invalid_request_error" and shape["message"]
    return info.value


def test_r1_defaults_apply_when_the_client_sends_none() -> None:
    parsed = parse_chat_request(body(), n_ctx=2048)
    assert parsed.turn.params.temperature == 0.6
    assert parsed.turn.params.top_p == 0.95
    assert parsed.turn.params.max_tokens == 2048
    assert not parsed.stream and parsed.stop == ()


def test_client_sampling_fields_are_honoured() -> None:
    parsed = parse_chat_request(
        body(temperature=0, top_p=0.5, max_tokens=12, seed=42, stop="END", stream=True),
        n_ctx=2048,
    )
    params = parsed.turn.params
    assert (params.temperature, params.top_p, params.max_tokens, params.seed) == (0, 0.5, 12, 42)
    assert parsed.stop == ("END",) and parsed.stream


def test_max_tokens_is_capped_by_the_context_and_new_name_wins() -> None:
    parsed = parse_chat_request(body(max_tokens=5, max_completion_tokens=99999), n_ctx=1024)
    assert parsed.turn.params.max_tokens == 1024


def test_messages_keep_roles_and_join_text_parts() -> None:
    parsed = parse_chat_request(
        body(
            messages=[
                {"role": "developer", "content": "Be brief."},
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}],
                },
                {"role": "assistant", "content": "x", "reasoning_content": "r"},
                {"role": "user", "content": "y"},
            ]
        )
    )
    roles = [m.role for m in parsed.turn.messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert parsed.turn.messages[1].content == "ab"
    assert not parsed.turn.continue_last


def test_a_trailing_assistant_message_is_continued() -> None:
    parsed = parse_chat_request(
        body(messages=[{"role": "user", "content": "q"}, {"role": "assistant", "content": "Sure"}])
    )
    assert parsed.turn.continue_last


@pytest.mark.parametrize(
    ("raw", "param"),
    [
        ([1, 2], None),
        ({"messages": [{"role": "user", "content": "x"}]}, "model"),
        (body(messages=[]), "messages"),
        (body(messages="hi"), "messages"),
        (body(messages=[{"role": "tool", "content": "x"}]), "messages[0].role"),
        (body(messages=[{"role": "system", "content": "x"}]), "messages"),
        (body(messages=[{"role": "user", "content": 5}]), "messages[0].content"),
        (body(temperature="hot"), "temperature"),
        (body(temperature=True), "temperature"),
        (body(temperature=3), "temperature"),
        (body(top_p=-0.1), "top_p"),
        (body(max_tokens=0), "max_tokens"),
        (body(max_tokens=1.5), "max_tokens"),
        (body(seed="7"), "seed"),
        (body(stream="yes"), "stream"),
        (body(stop=["a", "b", "c", "d", "e"]), "stop"),
        (body(stop=[1]), "stop"),
        (body(stream_options=[]), "stream_options"),
        (body(presence_penalty=5), "presence_penalty"),
    ],
)
def test_wrong_types_and_ranges_get_400(raw: Any, param: str | None) -> None:
    error = refused(raw)
    assert error.param == param


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tools", [{"type": "function", "function": {"name": "f"}}]),
        ("logprobs", True),
        ("logit_bias", {"1": 5}),
        ("response_format", {"type": "json_object"}),
        ("n", 9),  # n > 1 is a vote (app/server/choices.py), up to 8
        ("audio", {"voice": "x"}),
        ("frobnicate", 1),
    ],
)
def test_unsupported_fields_get_a_clear_400(field: str, value: Any) -> None:
    error = refused(body(**{field: value}))
    assert error.code == "unsupported_field"
    assert field in error.message or field in (error.param or "")


def test_image_parts_are_refused() -> None:
    error = refused(
        body(messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}])
    )
    assert error.code == "unsupported_content"


def test_harmless_fields_are_accepted() -> None:
    parse_chat_request(body(n=1, user="u", logprobs=False, store=False, metadata={"a": "b"}))


def test_penalties_are_honoured_only_when_the_engine_can() -> None:
    # A zero penalty changes nothing, so it is accepted whatever the engine supports.
    parse_chat_request(body(presence_penalty=0, frequency_penalty=0.0))
    fields = wire.SamplingParams.__dataclass_fields__
    if "presence_penalty" in fields:
        parsed = parse_chat_request(body(presence_penalty=0.5))
        assert parsed.turn.params.presence_penalty == 0.5  # type: ignore[attr-defined]
    else:
        assert refused(body(presence_penalty=0.5)).code == "unsupported_field"


@pytest.mark.parametrize(
    ("end", "finish"),
    [("finished", "stop"), ("length", "length"), ("stopped", "stop"), ("context_full", "length")],
)
def test_end_states_map_to_finish_reasons(end: str, finish: str) -> None:
    assert wire.finish_reason(end) == finish


def test_usage_counts_reasoning_separately() -> None:
    stats = TurnStats(prompt_tokens=10, generated_tokens=30, reasoning_tokens=20, cached_tokens=4)
    usage = wire.usage(stats)
    assert usage["prompt_tokens"] == 10 and usage["completion_tokens"] == 30
    assert usage["total_tokens"] == 40
    assert usage["completion_tokens_details"] == {"reasoning_tokens": 20}
    assert usage["prompt_tokens_details"] == {"cached_tokens": 4}


def test_stop_scanner_cuts_at_the_first_sequence_across_pieces() -> None:
    scanner = StopScanner(("STOP", "##"))
    out = "".join(scanner.feed(p) for p in ["Hello S", "TO", "P and more"])
    assert out == "Hello " and scanner.hit
    assert scanner.feed("later") == "" and scanner.flush() == ""


def test_stop_scanner_releases_held_text_at_the_end() -> None:
    scanner = StopScanner(("STOP",))
    # Up to len("STOP") - 1 characters wait, since they could begin the sequence.
    assert scanner.feed("abc ST") == "abc"
    assert scanner.flush() == " ST" and not scanner.hit


def test_stop_scanner_without_stops_passes_text_through() -> None:
    scanner = StopScanner(())
    assert scanner.feed("x") == "x" and scanner.flush() == ""
