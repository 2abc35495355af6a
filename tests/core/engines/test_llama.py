"""The llama.cpp engine's turn logic against tiny generated models: streaming, stop, KV
reuse, reasoning control, context fitting, sampling.

The models have random weights, so their text is gibberish; the tests check behaviour
(events, counts, cache bookkeeping), never content.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core.cancel import TurnControl
from app.core.chat import (
    AnswerDelta,
    ChatMessage,
    PromptProgress,
    ReasoningClosed,
    ReasoningDelta,
    TurnEvent,
    TurnFinished,
)
from app.core.engines.base import Engine as EngineProtocol
from app.core.engines.llama import LlamaEngine as Engine
from app.core.engines.llama import Utf8Stream, common_prefix_length, load_engine
from app.core.errors import ContextOverflowError, GenerationError
from tests.support.models import TINY_N_CTX, run_turn, user_turn

# One token per character in the tiny vocabulary: no merge uses these letters alone.
_PLAIN_LETTERS = "bcdfgjkmpqvwxyz"


def plain_text(n_chars: int, *, offset: int = 0) -> str:
    """Text that the tiny vocabulary turns into exactly one token per character."""
    return "".join(_PLAIN_LETTERS[(i * 7 + offset) % len(_PLAIN_LETTERS)] for i in range(n_chars))


@pytest.fixture(scope="module")
def batch64_engine(tiny_model_f32: Path) -> Iterator[Engine]:
    """Small batches and context: several prompt batches without long prompts."""
    with Engine.load(tiny_model_f32, n_ctx=1024, n_threads=2, n_batch=64) as engine:
        yield engine


def cancel_from_another_thread(control: TurnControl) -> None:
    """Stop the turn from a second thread, as the GUI's Stop button does."""
    thread = threading.Thread(target=control.cancel)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_model_without_template_falls_back_to_builtin_r1(tiny_model_no_template: Path) -> None:
    with Engine.load(tiny_model_no_template, n_ctx=1024, n_threads=2) as engine:
        assert engine.template_warning is not None
        assert "no chat template" in engine.template_warning
        assert engine.info.template_from_gguf is False
        assert engine.info.is_r1 is True
        result = run_turn(engine, user_turn(max_tokens=16))
        assert result.finished.stats.generated_tokens == 16
        assert result.reasoning  # the built-in template opens the reply inside <think>


def test_load_engine_gives_the_protocol_description(tiny_model_f32: Path) -> None:
    with load_engine(tiny_model_f32, n_ctx=512, n_threads=2) as engine:
        assert isinstance(engine, EngineProtocol)
        info = engine.engine_info
        assert info.kind == "local" and info.n_ctx == 512
        assert info.model_id == tiny_model_f32.name
        assert info.details["quant"] == engine.info.quant
        assert info.name.endswith(engine.info.quant)


def test_model_info_describes_the_file(loaded_engine: Engine, tiny_model_f32: Path) -> None:
    info = loaded_engine.info
    assert info.path == tiny_model_f32
    assert info.file_name == tiny_model_f32.name
    assert info.size_bytes == tiny_model_f32.stat().st_size
    assert info.architecture == "qwen2"
    assert info.quant == "F32"
    assert info.n_params > 1_000_000
    assert info.n_ctx == TINY_N_CTX
    assert info.n_threads == 2
    assert info.template_from_gguf is True
    assert info.is_r1 is True
    assert loaded_engine.template_warning is None


# --- streaming ---------------------------------------------------------------------------


def test_streams_at_least_16_tokens_from_f32(loaded_engine: Engine) -> None:
    result = run_turn(loaded_engine, user_turn(max_tokens=24))
    finished = result.finished
    assert finished.reason == "length"
    assert finished.stats.generated_tokens == 24
    deltas = [e for e in result.events if isinstance(e, ReasoningDelta | AnswerDelta)]
    assert len(deltas) >= 16
    assert isinstance(result.events[0], PromptProgress)
    assert finished.stats.tokens_per_s > 0
    assert finished.stats.ttft_ms > 0
    assert finished.stats.context_used == finished.stats.prompt_tokens + 24


def test_streams_at_least_16_tokens_from_quantized_model(tiny_model_q: Path) -> None:
    """A llama.cpp build whose quantized kernels crash (AMX) must fail here."""
    with Engine.load(tiny_model_q, n_ctx=1024, n_threads=2) as engine:
        assert engine.info.quant == "Q4_K_M"
        result = run_turn(engine, user_turn(max_tokens=24))
        assert result.finished.reason == "length"
        assert result.finished.stats.generated_tokens == 24
        assert (result.reasoning + result.answer).strip()


def test_prompt_progress_counts_up_to_the_evaluated_tokens(batch64_engine: Engine) -> None:
    batch64_engine.reset_cache()
    request = user_turn(plain_text(300), max_tokens=4)
    result = run_turn(batch64_engine, request)
    progress = result.progress
    total = result.finished.stats.evaluated_tokens
    assert progress[0] == PromptProgress(0, total)
    assert progress[-1] == PromptProgress(total, total)
    assert [p.done for p in progress] == sorted(p.done for p in progress)
    assert len(progress) == 1 + -(-total // 64)  # one per n_batch chunk, plus the start
    assert result.finished.stats.prompt_tokens == batch64_engine.count_tokens(request)


def test_count_tokens_matches_the_prompt(loaded_engine: Engine) -> None:
    request = user_turn("count me")
    tokens = loaded_engine.tokenize(loaded_engine.template.render(request.messages).text)
    assert loaded_engine.count_tokens(request) == len(tokens)
    assert tokens.count(tokens[0]) == 1  # exactly one BOS, though the template writes one


# --- UTF-8 -------------------------------------------------------------------------------


def test_utf8_stream_joins_characters_split_across_pieces() -> None:
    text = "你好, 😀 ok"
    stream = Utf8Stream()
    outputs = [stream.feed(bytes([b])) for b in text.encode("utf-8")]
    assert "".join(outputs) + stream.flush() == text
    # A piece holding only part of a character yields nothing rather than garbage.
    assert outputs[:3] == ["", "", "你"]
    assert "\ufffd" not in "".join(outputs)


def test_utf8_stream_replaces_invalid_bytes_instead_of_raising() -> None:
    stream = Utf8Stream()
    assert stream.feed(b"a\xff") == "a\ufffd"
    assert stream.feed(b"\xe4\xbd") == ""
    assert stream.flush() == "\ufffd"


def test_model_tokens_split_a_character_and_stream_back_whole(loaded_engine: Engine) -> None:
    text = "你好😀"
    tokens = loaded_engine.tokenize(text)[1:]  # without BOS
    assert len(tokens) == len(text.encode("utf-8"))  # byte-level: one token per byte here
    stream = Utf8Stream()
    pieces = [stream.feed(loaded_engine.token_bytes(t)) for t in tokens]
    assert "".join(pieces) == text
    assert [p for p in pieces if p] == ["你", "好", "😀"]


# --- stop ----------------------------------------------------------------------------------


def test_cancel_during_prefill_stops_between_batches(batch64_engine: Engine) -> None:
    engine = batch64_engine
    engine.reset_cache()
    request = user_turn(plain_text(300), max_tokens=8)

    def stop_after_first_batch(event: TurnEvent, control: TurnControl) -> None:
        if isinstance(event, PromptProgress) and event.done > 0:
            cancel_from_another_thread(control)

    result = run_turn(engine, request, on_event=stop_after_first_batch)
    finished = result.finished
    assert finished.reason == "stopped"
    assert finished.stats.generated_tokens == 0
    assert finished.stats.evaluated_tokens == 64 < finished.stats.prompt_tokens
    # The evaluated part stays cached: the retry evaluates only the rest.
    prompt = engine.tokenize(engine.template.render(request.messages).text)
    assert list(engine.cached_tokens) == prompt[:64]
    retry = run_turn(engine, request)
    assert retry.finished.reason == "length"
    assert engine.last_eval_count == len(prompt) - 64


class _CancelInsideBatch(TurnControl):
    """Reads as cancelled only after a few polls, i.e. inside llama_decode's abort callback."""

    def __init__(self, polls_before_stop: int) -> None:
        super().__init__()
        self.polls = 0
        self.polls_before_stop = polls_before_stop

    @property
    def cancelled(self) -> bool:
        self.polls += 1
        return self.polls > self.polls_before_stop


def test_abort_callback_stops_inside_a_batch_and_context_stays_usable(
    loaded_engine: Engine,
) -> None:
    engine = loaded_engine
    engine.reset_cache()
    request = user_turn(plain_text(400), max_tokens=8)  # one batch (n_batch 512)
    control = _CancelInsideBatch(polls_before_stop=3)
    result = run_turn(engine, request, control)
    finished = result.finished
    assert finished.reason == "stopped"
    assert control.polls > 3  # the abort callback polled while llama_decode ran
    assert finished.stats.evaluated_tokens < finished.stats.prompt_tokens
    prompt = engine.tokenize(engine.template.render(request.messages).text)
    kept = len(engine.cached_tokens)
    assert list(engine.cached_tokens) == prompt[:kept]
    retry = run_turn(engine, request)
    assert retry.finished.reason == "length"
    assert retry.finished.stats.generated_tokens == 8
    assert engine.last_eval_count == len(prompt) - kept


def test_cancel_during_decode_ends_the_turn_and_the_engine_still_works(
    loaded_engine: Engine,
) -> None:
    deltas = 0

    def stop_after_five_deltas(event: TurnEvent, control: TurnControl) -> None:
        nonlocal deltas
        if isinstance(event, ReasoningDelta | AnswerDelta):
            deltas += 1
            if deltas == 5:
                cancel_from_another_thread(control)

    result = run_turn(loaded_engine, user_turn(max_tokens=500), on_event=stop_after_five_deltas)
    assert result.finished.reason == "stopped"
    assert 5 <= result.finished.stats.generated_tokens < 20
    again = run_turn(loaded_engine, user_turn("again", max_tokens=16))
    assert again.finished.reason == "length"
    assert again.finished.stats.generated_tokens == 16


def test_close_from_another_thread_during_a_turn(tiny_model_f32: Path) -> None:
    engine = Engine.load(tiny_model_f32, n_ctx=1024, n_threads=2)

    def close_on_first_delta(event: TurnEvent, _control: TurnControl) -> None:
        if isinstance(event, ReasoningDelta) and not engine.closed:
            closer = threading.Thread(target=engine.close)
            closer.start()
            closer.join(timeout=10)

    result = run_turn(engine, user_turn(max_tokens=500), on_event=close_on_first_delta)
    assert result.finished.reason == "stopped"
    assert engine.closed
    with pytest.raises(GenerationError, match="unloaded"):
        run_turn(engine, user_turn())


def test_close_is_idempotent(tiny_model_f32: Path) -> None:
    engine = Engine.load(tiny_model_f32, n_ctx=512, n_threads=2)
    engine.close()
    engine.close()
    assert engine.closed
    assert engine.info.file_name == tiny_model_f32.name  # still describes what was loaded
    with pytest.raises(GenerationError):
        engine.count_tokens(user_turn())


# --- KV reuse ----------------------------------------------------------------------------


def test_same_prompt_again_evaluates_only_the_last_token(loaded_engine: Engine) -> None:
    loaded_engine.reset_cache()
    request = user_turn(plain_text(300), max_tokens=8)
    first = run_turn(loaded_engine, request)
    assert loaded_engine.last_eval_count == first.finished.stats.prompt_tokens
    second = run_turn(loaded_engine, request)
    stats = second.finished.stats
    assert loaded_engine.last_eval_count == 1
    assert stats.evaluated_tokens == 1
    assert stats.cached_tokens == stats.prompt_tokens - 1


def test_second_turn_evaluates_only_the_new_tokens(loaded_engine: Engine) -> None:
    loaded_engine.reset_cache()
    first_request = user_turn(plain_text(400), max_tokens=12)
    first = run_turn(loaded_engine, first_request)
    cached_after_first = list(loaded_engine.cached_tokens)
    assert len(cached_after_first) == first.finished.stats.prompt_tokens + 12

    history = (*first_request.messages, ChatMessage("assistant", "fine words", reasoning="hm"))
    second_request = user_turn("and now?", history=history, max_tokens=4)
    prompt = loaded_engine.tokenize(loaded_engine.template.render(second_request.messages).text)
    reused = common_prefix_length(cached_after_first, prompt)
    # R1 templates drop old reasoning, so reuse ends where the first reply began.
    assert reused >= first.finished.stats.prompt_tokens - 3

    second = run_turn(loaded_engine, second_request)
    assert loaded_engine.last_eval_count == len(prompt) - reused
    assert second.finished.stats.evaluated_tokens == len(prompt) - reused
    assert second.finished.stats.cached_tokens == reused
    assert loaded_engine.last_eval_count < len(prompt) // 4


# --- reasoning control -------------------------------------------------------------------


def test_thinking_budget_closes_reasoning_and_the_answer_follows(loaded_engine: Engine) -> None:
    result = run_turn(loaded_engine, user_turn(max_tokens=40, thinking_budget=8))
    assert result.closes == [ReasoningClosed("budget")]
    stats = result.finished.stats
    assert stats.reasoning_tokens == 8
    assert stats.generated_tokens == 40
    close_at = result.events.index(ReasoningClosed("budget"))
    before, after = result.events[:close_at], result.events[close_at + 1 :]
    assert not any(isinstance(e, AnswerDelta) for e in before)
    assert not any(isinstance(e, ReasoningDelta) for e in after)
    assert result.answer.strip()
    # "\n</think>\n\n" went into the context as if the model had written it.
    close_tokens = loaded_engine.tokenize("\n</think>\n\n")[1:]
    cached = list(loaded_engine.cached_tokens)
    start = stats.prompt_tokens + 8
    assert cached[start : start + len(close_tokens)] == close_tokens


def test_answer_now_closes_reasoning_at_once(loaded_engine: Engine) -> None:
    def answer_now_on_first_thought(event: TurnEvent, control: TurnControl) -> None:
        if isinstance(event, ReasoningDelta):
            control.request_answer_now()

    result = run_turn(loaded_engine, user_turn(max_tokens=30), on_event=answer_now_on_first_thought)
    assert result.closes == [ReasoningClosed("answer_now")]
    assert result.finished.stats.reasoning_tokens < 5
    assert result.answer.strip()


def test_answer_now_before_the_first_token_skips_reasoning(loaded_engine: Engine) -> None:
    control = TurnControl()
    control.request_answer_now()
    result = run_turn(loaded_engine, user_turn(max_tokens=16), control)
    assert result.closes == [ReasoningClosed("answer_now")]
    assert result.finished.stats.reasoning_tokens == 0
    assert result.reasoning == ""


def test_loop_guard_closes_repetitive_reasoning(loaded_engine: Engine) -> None:
    # Greedy decoding of a random model falls into a cycle within a few hundred tokens.
    request = user_turn("loop", max_tokens=600, temperature=0.0, loop_guard=True)
    result = run_turn(loaded_engine, request)
    assert result.closes == [ReasoningClosed("loop")]
    assert result.answer


# --- context -----------------------------------------------------------------------------


def test_prompt_longer_than_context_is_refused_plainly(loaded_engine: Engine) -> None:
    request = user_turn(plain_text(TINY_N_CTX), max_tokens=16)
    with pytest.raises(ContextOverflowError) as caught:
        run_turn(loaded_engine, request)
    message = str(caught.value)
    assert message.startswith("Your message is too long for this model's context (")
    assert f"limit {TINY_N_CTX - 256})" in message
    assert "Settings" in message
    after = run_turn(loaded_engine, user_turn("short", max_tokens=8))
    assert after.finished.reason == "length"


def test_old_turns_are_dropped_to_fit(batch64_engine: Engine) -> None:
    engine = batch64_engine  # n_ctx 1024: prompts up to 768 tokens leave room to answer
    history = (
        ChatMessage("user", plain_text(250, offset=1)),
        ChatMessage("assistant", plain_text(250, offset=2)),
        ChatMessage("user", plain_text(250, offset=3)),
        ChatMessage("assistant", plain_text(150, offset=4)),
    )
    request = user_turn("the newest question", history=history, max_tokens=16)
    assert engine.count_tokens(request) > 1024 - 256
    result = run_turn(engine, request)
    assert [t.dropped for t in result.trims] == [2]
    stats = result.finished.stats
    assert stats.trimmed_messages == 2
    assert stats.prompt_tokens <= 1024 - 256
    assert result.finished.reason == "length"


def test_trimming_drops_the_fewest_whole_exchanges(batch64_engine: Engine) -> None:
    engine = batch64_engine
    history: list[ChatMessage] = []
    for i in range(12):
        history.append(ChatMessage("user", plain_text(60, offset=i)))
        history.append(ChatMessage("assistant", plain_text(60, offset=i + 1)))
    request = user_turn("last", history=history, max_tokens=16)
    result = run_turn(engine, request)
    (trim,) = result.trims
    assert trim.dropped % 2 == 0  # whole user/assistant exchanges
    limit = engine.n_ctx - engine.answer_reserve(request.params)
    assert engine.count_tokens(user_turn("last", history=history[trim.dropped :])) <= limit
    one_exchange_more = user_turn("last", history=history[trim.dropped - 2 :])
    assert engine.count_tokens(one_exchange_more) > limit


def test_context_filling_up_during_generation_finishes_with_length(
    tiny_model_f32: Path,
) -> None:
    with Engine.load(tiny_model_f32, n_ctx=256, n_threads=2) as engine:
        result = run_turn(engine, user_turn("fill", max_tokens=5000))
        assert result.finished.reason == "length"
        assert result.finished.stats.context_used == engine.n_ctx


# --- sampling ----------------------------------------------------------------------------


def test_fixed_seed_reproduces_the_reply_at_temperature(loaded_engine: Engine) -> None:
    def reply(seed: int) -> tuple[str, int]:
        loaded_engine.reset_cache()
        result = run_turn(loaded_engine, user_turn(max_tokens=32, temperature=0.9, seed=seed))
        return result.reasoning + result.answer, result.finished.stats.seed

    first, seed_used = reply(1234)
    again, _ = reply(1234)
    other, _ = reply(4321)
    assert seed_used == 1234
    assert first == again
    assert first != other


def test_without_a_seed_a_random_one_is_reported(loaded_engine: Engine) -> None:
    seeds = {run_turn(loaded_engine, user_turn(seed=None)).finished.stats.seed for _ in range(3)}
    assert len(seeds) == 3


def test_repeat_penalty_and_greedy_sampling_run(loaded_engine: Engine) -> None:
    result = run_turn(loaded_engine, user_turn(max_tokens=16, temperature=0.0, repeat_penalty=1.3))
    assert result.finished.stats.generated_tokens == 16


def test_a_second_turn_cannot_start_while_one_is_running(loaded_engine: Engine) -> None:
    first = loaded_engine.stream_turn(user_turn(max_tokens=50), TurnControl())
    next(first)
    with pytest.raises(GenerationError, match="busy"):
        next(loaded_engine.stream_turn(user_turn(), TurnControl()))
    first.close()  # abandoning a turn releases the engine
    assert run_turn(loaded_engine, user_turn(max_tokens=4)).finished.reason == "length"


def test_engine_is_free_once_turn_finished_arrives(loaded_engine: Engine) -> None:
    turn = loaded_engine.stream_turn(user_turn(max_tokens=4), TurnControl())
    last = None
    for event in turn:
        last = event
        if isinstance(event, TurnFinished):
            break  # the generator is still open here
    assert isinstance(last, TurnFinished)
    assert run_turn(loaded_engine, user_turn(max_tokens=4)).finished.reason == "length"
    turn.close()
