"""The OpenAI wire format: request validation and response shapes.

Pure functions, no I/O, so every bad input can be tested without a server. A request that
asks for something the local engine cannot do (tools, logprobs, several choices) is refused
with a clear 400 rather than answered wrongly. Our end states become OpenAI's
``finish_reason`` only here, at the edge.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from app.core.chat import ChatMessage, SamplingParams, TurnRequest, TurnStats

#: DeepSeek's advice for R1 distills, used when the client sends no value.
R1_TEMPERATURE = 0.6
R1_TOP_P = 0.95
#: OpenAI allows at most four stop sequences.
MAX_STOP_SEQUENCES = 4
MAX_STOP_LENGTH = 200
MAX_MESSAGES = 10_000

#: Fields we read. Anything else is refused, so no client is silently given a wrong answer.
_KNOWN_FIELDS = frozenset(
    {
        "model",
        "messages",
        "stream",
        "stream_options",
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "seed",
        "presence_penalty",
        "frequency_penalty",
        "n",
        "user",
        "logprobs",
        "top_logprobs",
        "logit_bias",
        "response_format",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "functions",
        "function_call",
        "store",
        "metadata",
    }
)


class ApiError(Exception):
    """An error answered in OpenAI's shape: ``{"error": {"message", "type", "code"}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.param = param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return error_body(self.message, type_=self.type, code=self.code, param=self.param)


def error_body(
    message: str, *, type_: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    # Messages may quote the client's input (an unknown model's name); a lone surrogate in
    # it would make the JSON answer itself unencodable (a 500 instead of this error).
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def bad_request(message: str, *, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code or "invalid_request")


#: The most choices (``n``) one request may ask for: the samples of one vote.
MAX_CHOICES = 8


@dataclass(frozen=True, slots=True)
class ChatCompletionRequest:
    """A validated ``POST /v1/chat/completions`` body."""

    model: str
    turn: TurnRequest
    stream: bool = False
    include_usage: bool = False
    stop: tuple[str, ...] = ()
    #: How many choices (samples of one job) to answer with.
    n: int = 1
    #: Fields that were given (for the log: which knobs a client turns, never their text).
    given: tuple[str, ...] = field(default_factory=tuple)


def _number(body: dict[str, Any], name: str, low: float, high: float) -> float | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise bad_request(f"'{name}' must be a number.", param=name)
    if not low <= value <= high:
        raise bad_request(f"'{name}' must be between {low:g} and {high:g}.", param=name)
    return float(value)


def _integer(body: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"'{name}' must be an integer.", param=name)
    if not low <= value <= high:
        raise bad_request(f"'{name}' must be between {low} and {high}.", param=name)
    return value


def _content_text(content: Any, index: int) -> str:
    param = f"messages[{index}].content"
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for part in content:
            if not isinstance(part, dict) or not isinstance(part.get("type"), str):
                raise bad_request(f"'{param}' parts must be objects with a 'type'.", param=param)
            if part["type"] != "text":
                raise bad_request(
                    f"'{param}' has a part of type '{part['type']}'; this model reads text only.",
                    param=param,
                    code="unsupported_content",
                )
            text = part.get("text")
            if not isinstance(text, str):
                raise bad_request(f"'{param}' text parts need a string 'text'.", param=param)
            parts.append(text)
        return "".join(parts)
    raise bad_request(f"'{param}' must be a string or a list of text parts.", param=param)


def _messages(raw: Any) -> tuple[ChatMessage, ...]:
    if not isinstance(raw, list) or not raw:
        raise bad_request("'messages' must be a non-empty list.", param="messages")
    if len(raw) > MAX_MESSAGES:
        raise bad_request(f"'messages' may hold at most {MAX_MESSAGES} items.", param="messages")
    messages: list[ChatMessage] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise bad_request(f"'messages[{index}]' must be an object.", param="messages")
        role = item.get("role")
        if role == "developer":  # OpenAI's newer name for the system role
            role = "system"
        if role not in ("system", "user", "assistant"):
            raise bad_request(
                f"'messages[{index}].role' must be system, user or assistant "
                f"(got {role!r}); tool messages are not supported.",
                param=f"messages[{index}].role",
            )
        if item.get("tool_calls") or item.get("function_call"):
            raise bad_request(
                "Tool calls are not supported by this server.",
                param=f"messages[{index}]",
                code="unsupported_field",
            )
        text = _unicode(_content_text(item.get("content"), index), f"messages[{index}].content")
        reasoning = item.get("reasoning_content") or ""
        if not isinstance(reasoning, str):
            raise bad_request(
                f"'messages[{index}].reasoning_content' must be a string.",
                param=f"messages[{index}].reasoning_content",
            )
        _unicode(reasoning, f"messages[{index}].reasoning_content")
        messages.append(ChatMessage(role, text, reasoning))
    if all(m.role == "system" for m in messages):
        raise bad_request("'messages' needs at least one user message.", param="messages")
    return tuple(messages)


def _unicode(text: str, param: str) -> str:
    """``text`` if it is valid Unicode. JSON can spell a lone surrogate (``"\\ud800"``),
    which no tokenizer can encode: refused here, not a 500 from the engine later."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise bad_request(
            f"'{param}' is not valid Unicode (it holds a lone surrogate at {exc.start}).",
            param=param,
        ) from exc
    return text


def _stop(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    values = [raw] if isinstance(raw, str) else raw
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise bad_request("'stop' must be a string or a list of strings.", param="stop")
    if len(values) > MAX_STOP_SEQUENCES:
        raise bad_request(f"'stop' may hold at most {MAX_STOP_SEQUENCES} sequences.", param="stop")
    if any(not v or len(v) > MAX_STOP_LENGTH for v in values):
        raise bad_request(
            f"Each 'stop' sequence must be 1 to {MAX_STOP_LENGTH} characters.", param="stop"
        )
    return tuple(_unicode(v, "stop") for v in values)


def _refuse_unsupported(body: dict[str, Any]) -> None:
    unknown = sorted(set(body) - _KNOWN_FIELDS)
    if unknown:
        raise bad_request(
            f"Unsupported field(s): {', '.join(unknown)}. This server honours model, messages, "
            "stream, temperature, top_p, max_tokens, stop, seed and the penalties.",
            param=unknown[0],
            code="unsupported_field",
        )
    for name in ("tools", "functions", "tool_choice", "function_call", "logit_bias"):
        if body.get(name) not in (None, [], {}, "none"):
            raise bad_request(
                f"'{name}' is not supported by this server.", param=name, code="unsupported_field"
            )
    if body.get("logprobs") not in (None, False) or body.get("top_logprobs") not in (None, 0):
        raise bad_request(
            "'logprobs' is not supported by this server.",
            param="logprobs",
            code="unsupported_field",
        )
    response_format = body.get("response_format")
    if response_format is not None and response_format != {"type": "text"}:
        raise bad_request(
            "Only the text response format is supported (no JSON mode or schemas).",
            param="response_format",
            code="unsupported_field",
        )
    n = body.get("n")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise bad_request("'n' must be a positive integer.", param="n")
    if isinstance(n, int) and n > MAX_CHOICES:
        # n > 1 is a majority-vote samples job (app/server/choices.py); the engine decodes
        # at most this many sequences together.
        raise bad_request(f"'n' may be at most {MAX_CHOICES}.", param="n", code="unsupported_field")
    if body.get("store") not in (None, False):
        raise bad_request(
            "'store' is not supported; see the api_save_chats setting.",
            param="store",
            code="unsupported_field",
        )


def _penalties(
    body: dict[str, Any], changes: dict[str, Any], sampling_fields: frozenset[str]
) -> None:
    for name in ("presence_penalty", "frequency_penalty"):
        value = _number(body, name, -2.0, 2.0)
        if value is None:
            continue
        if name in sampling_fields:
            changes[name] = value
        elif value != 0.0:
            raise bad_request(
                f"'{name}' is not supported by this engine yet.",
                param=name,
                code="unsupported_field",
            )


def parse_chat_request(body: Any, *, n_ctx: int = 0) -> ChatCompletionRequest:
    """Validate a decoded JSON body; raises :class:`ApiError` (400) with the reason."""
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    _refuse_unsupported(body)
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise bad_request("'model' must be a non-empty string.", param="model")
    messages = _messages(body.get("messages"))
    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise bad_request("'stream' must be true or false.", param="stream")
    options = body.get("stream_options")
    include_usage = False
    if options is not None:
        if not isinstance(options, dict):
            raise bad_request("'stream_options' must be an object.", param="stream_options")
        usage = options.get("include_usage", False)
        if not isinstance(usage, bool):
            raise bad_request(
                "'stream_options.include_usage' must be true or false.", param="stream_options"
            )
        include_usage = usage
    if body.get("user") is not None and not isinstance(body["user"], str):
        raise bad_request("'user' must be a string.", param="user")
    if body.get("metadata") is not None and not isinstance(body["metadata"], dict):
        raise bad_request("'metadata' must be an object.", param="metadata")

    defaults = SamplingParams(temperature=R1_TEMPERATURE, top_p=R1_TOP_P)
    changes: dict[str, Any] = {}
    temperature = _number(body, "temperature", 0.0, 2.0)
    if temperature is not None:
        changes["temperature"] = temperature
    top_p = _number(body, "top_p", 0.0, 1.0)
    if top_p is not None:
        changes["top_p"] = top_p
    limit = n_ctx if n_ctx > 0 else 1 << 20
    max_tokens = _integer(body, "max_completion_tokens", 1, 1 << 30)
    if max_tokens is None:
        max_tokens = _integer(body, "max_tokens", 1, 1 << 30)
    if max_tokens is not None:
        changes["max_tokens"] = min(max_tokens, limit)
    elif n_ctx > 0:
        # OpenAI's default is "until the context is full"; the engine stops there anyway.
        changes["max_tokens"] = n_ctx
    seed = _integer(body, "seed", -(1 << 63), (1 << 64) - 1)
    if seed is not None:
        changes["seed"] = seed
    sampling_fields = frozenset(SamplingParams.__dataclass_fields__)
    _penalties(body, changes, sampling_fields)
    params = SamplingParams(**{**defaults.to_dict(), **changes})
    continue_last = messages[-1].role == "assistant"
    return ChatCompletionRequest(
        model=model.strip(),
        turn=TurnRequest(messages=messages, params=params, continue_last=continue_last),
        stream=stream,
        include_usage=include_usage,
        stop=_stop(body.get("stop")),
        n=body["n"] if isinstance(body.get("n"), int) else 1,
        given=tuple(sorted(k for k in body if k not in ("messages", "model"))),
    )


# --- responses ---------------------------------------------------------------------------


def finish_reason(end: str) -> str:
    """Our end state (or the engine's older names) as OpenAI's ``finish_reason``."""
    if end in ("length", "context_full"):
        return "length"
    return "stop"


def new_completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def usage(stats: TurnStats | None) -> dict[str, Any]:
    if stats is None:
        return {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    return {
        "prompt_tokens": stats.prompt_tokens,
        "completion_tokens": stats.generated_tokens,
        "total_tokens": stats.prompt_tokens + stats.generated_tokens,
        "prompt_tokens_details": {"cached_tokens": stats.cached_tokens},
        "completion_tokens_details": {"reasoning_tokens": stats.reasoning_tokens},
    }


def completion_body(
    *,
    completion_id: str,
    model: str,
    created: int,
    content: str,
    reasoning: str,
    finish: str,
    stats: TurnStats | None,
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    message["reasoning_content"] = reasoning
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "system_fingerprint": None,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": usage(stats),
    }


def chunk_body(
    *,
    completion_id: str,
    model: str,
    created: int,
    delta: dict[str, Any] | None,
    finish: str | None = None,
    usage_value: dict[str, Any] | None = None,
    index: int = 0,
) -> dict[str, Any]:
    choices: list[dict[str, Any]] = []
    if delta is not None:
        choices.append({"index": index, "delta": delta, "finish_reason": finish, "logprobs": None})
    body: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "system_fingerprint": None,
        "choices": choices,
    }
    if usage_value is not None:
        body["usage"] = usage_value
    return body


def models_body(model_ids: list[str], *, owned_by: str = "hearth") -> dict[str, Any]:
    created = int(time.time())
    return {
        "object": "list",
        "data": [
            {"id": model_id, "object": "model", "created": created, "owned_by": owned_by}
            for model_id in model_ids
        ],
    }


class StopScanner:
    """Cuts the answer at the first stop sequence, holding back text that may start one.

    ``feed`` returns the text that is safe to send now; after a hit, ``hit`` is True and
    nothing more is returned. ``flush`` returns what was held back when the turn ends.
    """

    def __init__(self, stops: tuple[str, ...]) -> None:
        self._stops = stops
        self._hold = max((len(s) for s in stops), default=1) - 1
        self._pending = ""
        self.hit = False

    def feed(self, text: str) -> str:
        if self.hit:
            return ""
        if not self._stops:
            return text
        self._pending += text
        cut = min((i for s in self._stops if (i := self._pending.find(s)) >= 0), default=-1)
        if cut >= 0:
            self.hit = True
            out, self._pending = self._pending[:cut], ""
            return out
        keep = min(self._hold, len(self._pending))
        out = self._pending[: len(self._pending) - keep]
        self._pending = self._pending[len(self._pending) - keep :]
        return out

    def flush(self) -> str:
        out, self._pending = ("" if self.hit else self._pending), ""
        return out
