"""Chat formatting: the model's own Jinja chat template, sandboxed, plus DeepSeek-R1 rules.

A GGUF carries its chat template as Jinja source written by strangers, so it runs in
jinja2's immutable sandbox with the same options Hugging Face uses (``trim_blocks``,
``lstrip_blocks``, ``raise_exception``, ``strftime_now``), which is what template
authors test against, and with budgets on time, steps and sizes (``template_sandbox.py``),
so a hostile template ends in bounded time. A GGUF template is tried on a sample
conversation when the model loads; one that fails there, or later on a real conversation,
is replaced by the built-in R1 format with a notice, never by a crash or a hang.

On top of the template, R1 models get the rules DeepSeek recommends: no system role, no
old reasoning in the history, and a reply that starts inside ``<think>``.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, NoReturn

import jinja2
import jinja2.ext
from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.parser import Parser

from app.core.cancel import CancelToken
from app.core.chat import ChatMessage
from app.core.errors import CancelledError, GenerationError
from app.core.template_sandbox import (
    BoundedSandbox,
    RenderLimits,
    TemplateLimitError,
    compile_bounded,
    render_bounded,
)

log = logging.getLogger(__name__)

R1_BOS: Final = "<｜begin▁of▁sentence｜>"
R1_EOS: Final = "<｜end▁of▁sentence｜>"
R1_USER: Final = "<｜User｜>"
R1_ASSISTANT: Final = "<｜Assistant｜>"
THINK_OPEN: Final = "<think>"
THINK_CLOSE: Final = "</think>"

#: The DeepSeek-R1-Distill chat template (the newer variant whose generation prompt is
#: ``<｜Assistant｜><think>\n``), used when a GGUF has none. Same output as the official
#: template for system/user/assistant turns; the tool-call branches are left out because
#: Hearth never sends tools.
BUILTIN_R1_TEMPLATE: Final = r"""
{%- if not add_generation_prompt is defined -%}
    {%- set add_generation_prompt = false -%}
{%- endif -%}
{%- set ns = namespace(system_prompt='') -%}
{%- for message in messages -%}
    {%- if message['role'] == 'system' -%}
        {%- set ns.system_prompt = message['content'] -%}
    {%- endif -%}
{%- endfor -%}
{{- bos_token -}}{{- ns.system_prompt -}}
{%- for message in messages -%}
    {%- if message['role'] == 'user' -%}
        {{- '<｜User｜>' + message['content'] -}}
    {%- elif message['role'] == 'assistant' -%}
        {%- set content = message['content'] -%}
        {%- if '</think>' in content -%}
            {%- set content = content.split('</think>')[-1] -%}
        {%- endif -%}
        {{- '<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>' -}}
    {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}
    {{- '<｜Assistant｜><think>\n' -}}
{%- endif -%}
""".strip()

# Blank lines at the start of an answer are layout left over from "</think>\n\n".
_LEADING_BLANK_LINES: Final = re.compile(r"\A(?:[^\S\n]*\n)+")


class ChatTemplateError(GenerationError):
    """The model's chat template is broken, unsafe, or refused the conversation."""


@dataclass(frozen=True, slots=True)
class RenderedPrompt:
    """A prompt ready to tokenize (special tokens appear as text: tokenize with special=True)."""

    text: str
    #: True when the text ends inside an open ``<think>``: generation starts as reasoning.
    opens_in_reasoning: bool
    #: A sentence for the user when the model's template failed on this conversation and
    #: the built-in R1 format was used instead; empty otherwise.
    notice: str = ""


@dataclass(frozen=True, slots=True)
class ChatTemplate:
    """A compiled chat template and what we know about it."""

    source: str
    bos_token: str
    eos_token: str
    #: False when the GGUF had no template and the built-in R1 template is used.
    from_gguf: bool
    #: DeepSeek-R1 style, detected from the template text.
    is_r1: bool
    limits: RenderLimits = field(default_factory=RenderLimits, repr=False, compare=False)
    # Compiled once here, so a syntax error surfaces when the model loads, not mid-chat.
    _compiled: jinja2.Template = field(init=False, repr=False, compare=False)
    # Set once a render went over its limits: later renders use the built-in format.
    _over_budget: bool = field(init=False, repr=False, compare=False, default=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_compiled", _compile(self.source))

    def render(
        self,
        messages: Sequence[ChatMessage],
        *,
        system_prompt: str = "",
        continue_last: bool = False,
        reasoning_closed: bool = False,
        cancel: CancelToken | None = None,
    ) -> RenderedPrompt:
        """Format ``messages`` as the prompt for the next assistant reply.

        With ``continue_last`` the last message is a partial assistant reply that the model
        continues; ``reasoning_closed`` says its reasoning had already ended even if no
        answer text exists yet. ``cancel`` abandons the render (``CancelledError``).

        If a GGUF template fails or goes over its budget on this conversation, the prompt
        is formatted with the built-in R1 template instead and ``notice`` says so.
        """
        history = list(messages)
        partial: ChatMessage | None = None
        if continue_last:
            if not history or history[-1].role != "assistant":
                raise ChatTemplateError.of(
                    "template.continue_answer_only",
                    detail=f"continue_last with last role {history[-1].role if history else None}",
                )
            partial = history.pop()
        notice = ""
        try:
            if self._over_budget:
                raise ChatTemplateError("over budget before", detail="limit: earlier render")
            text = self._render_history(history, system_prompt, cancel)
            is_r1 = self.is_r1
        except ChatTemplateError as exc:
            if not self.from_gguf:
                raise
            if exc.detail.startswith("limit:"):
                # A template that ran out of time once would cost its whole budget on every
                # render (fitting a long chat renders several times): use R1 from now on.
                object.__setattr__(self, "_over_budget", True)
            log.warning("chat template failed on this conversation; using R1: %s", exc.detail)
            notice = (
                "This model's chat template failed on this conversation; the built-in "
                "DeepSeek-R1 format was used instead."
            )
            text = _builtin_r1(self.bos_token, self.eos_token)._render_history(
                history, system_prompt, cancel
            )
            is_r1 = True
        if is_r1:
            text = _open_think(text)
        opens = text.rstrip().endswith(THINK_OPEN)
        if partial is not None:
            prompt = _append_partial(text, opens, partial, reasoning_closed=reasoning_closed)
        else:
            prompt = RenderedPrompt(text=text, opens_in_reasoning=opens)
        if notice:
            prompt = RenderedPrompt(prompt.text, prompt.opens_in_reasoning, notice)
        return prompt

    def probe(self) -> None:
        """Render a plain sample conversation, raising ``ChatTemplateError`` on any failure.

        Run when a model loads, so a template that fails or runs away on every conversation
        is replaced by the built-in one at once, with the load's notice.
        """
        sample = [
            ChatMessage("user", "Hello"),
            ChatMessage("assistant", "Hi! How can I help?"),
            ChatMessage("user", "What is 2+2?"),
        ]
        self._render_history(sample, "You are a helpful assistant.", None)

    def _render_history(
        self, history: list[ChatMessage], system_prompt: str, cancel: CancelToken | None
    ) -> str:
        rows = (
            _r1_rows(history, system_prompt)
            if self.is_r1
            else _generic_rows(history, system_prompt)
        )
        return self._render_rows(rows, cancel)

    def _render_rows(self, rows: list[dict[str, str]], cancel: CancelToken | None) -> str:
        input_chars = sum(len(row["content"]) for row in rows)
        input_chars += len(self.bos_token) + len(self.eos_token)
        try:
            return render_bounded(
                self._compiled,
                {
                    "messages": rows,
                    "add_generation_prompt": True,
                    "bos_token": self.bos_token,
                    "eos_token": self.eos_token,
                },
                limits=self.limits,
                input_chars=input_chars,
                cancel=cancel,
            )
        except (ChatTemplateError, CancelledError):
            raise
        except TemplateLimitError as exc:
            log.warning("chat template stopped at its limits: %s", exc)
            raise ChatTemplateError.of(
                "template.over_limit",
                detail=f"limit: {exc}",
            ) from exc
        except SecurityError as exc:
            log.warning("chat template blocked by the sandbox: %s", exc)
            raise ChatTemplateError.of(
                "template.unsafe",
                detail=str(exc),
            ) from exc
        except Exception as exc:
            # Template bugs surface as any exception type (TypeError, UndefinedError,
            # ValueError, RecursionError, MemoryError...).
            log.warning("chat template failed: %s: %s", type(exc).__name__, exc)
            raise ChatTemplateError.of(
                "template.failed",
                detail=f"{type(exc).__name__}: {exc}",
            ) from exc


#: Gemma's turn format, for Gemma GGUFs that ship without a template (some community
#: conversions do). Gemma has no system role: a system message opens the first user turn.
BUILTIN_GEMMA_TEMPLATE = (
    "{{ bos_token }}"
    "{% if messages and messages[0]['role'] == 'system' %}"
    "{% set system = messages[0]['content'] | trim + '\n\n' %}"
    "{% set turns = messages[1:] %}"
    "{% else %}{% set system = '' %}{% set turns = messages %}{% endif %}"
    "{% for message in turns %}"
    "{% set role = 'model' if message['role'] == 'assistant' else 'user' %}"
    "<start_of_turn>{{ role }}\n"
    "{% if loop.first and role == 'user' %}{{ system }}{% endif %}"
    "{{ message['content'] | trim }}<end_of_turn>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


def builtin_template_name(architecture: str) -> str:
    """Which built-in template a model without its own gets: Gemma's for Gemma, else R1's."""
    return "Gemma" if architecture.startswith("gemma") else "DeepSeek-R1"


def template_for(
    gguf_template: str | None, *, bos_token: str, eos_token: str, architecture: str = ""
) -> ChatTemplate:
    """The chat template for a model: its own, or a built-in one if it has none.

    Hearth is made for DeepSeek-R1 distills, so R1's template is the fallback; Gemma
    models get their own turn format, which they cannot do without.
    """
    if gguf_template is None or not gguf_template.strip():
        gemma = builtin_template_name(architecture) == "Gemma"
        return ChatTemplate(
            source=BUILTIN_GEMMA_TEMPLATE if gemma else BUILTIN_R1_TEMPLATE,
            bos_token=bos_token,
            eos_token=eos_token,
            from_gguf=False,
            is_r1=not gemma,
        )
    template = ChatTemplate(
        source=gguf_template,
        bos_token=bos_token,
        eos_token=eos_token,
        from_gguf=True,
        is_r1=is_r1_template(gguf_template),
    )
    template.probe()
    return template


def is_r1_template(source: str) -> bool:
    """True for DeepSeek-R1 style templates (they speak in ``<｜User｜>``/``<｜Assistant｜>``)."""
    return R1_USER in source and R1_ASSISTANT in source


def strip_reasoning(content: str) -> str:
    """An assistant message without inline reasoning: the text after the last ``</think>``."""
    if THINK_CLOSE not in content:
        return content
    return _LEADING_BLANK_LINES.sub("", content.split(THINK_CLOSE)[-1])


# --- message preparation ---------------------------------------------------------------


def _history_content(message: ChatMessage) -> str:
    # Old reasoning costs context and DeepSeek trains without it; ChatMessage.reasoning is
    # never sent, and reasoning inline in the content is cut off here.
    return strip_reasoning(message.content) if message.role == "assistant" else message.content


def _r1_rows(history: Sequence[ChatMessage], system_prompt: str) -> list[dict[str, str]]:
    """R1 sends no system role: the system text becomes the start of the first user turn."""
    system_parts = [system_prompt.strip()] if system_prompt.strip() else []
    system_parts += [m.content.strip() for m in history if m.role == "system" and m.content.strip()]
    rows = [{"role": m.role, "content": _history_content(m)} for m in history if m.role != "system"]
    if system_parts:
        system_text = "\n\n".join(system_parts)
        for row in rows:
            if row["role"] == "user":
                row["content"] = f"{system_text}\n\n{row['content']}"
                break
        else:
            rows.insert(0, {"role": "user", "content": system_text})
    return rows


def _generic_rows(history: Sequence[ChatMessage], system_prompt: str) -> list[dict[str, str]]:
    rows = [{"role": m.role, "content": _history_content(m)} for m in history]
    system_text = system_prompt.strip()
    if system_text:
        if rows and rows[0]["role"] == "system":
            rows[0]["content"] = f"{system_text}\n\n{rows[0]['content']}"
        else:
            rows.insert(0, {"role": "system", "content": system_text})
    return rows


def _open_think(text: str) -> str:
    """Make an R1 prompt end inside ``<think>\\n`` (older R1 GGUFs stop at ``<｜Assistant｜>``)."""
    if text.endswith(R1_ASSISTANT):
        return f"{text}{THINK_OPEN}\n"
    if text.endswith(THINK_OPEN):
        return f"{text}\n"
    return text


def _append_partial(
    text: str, opens: bool, partial: ChatMessage, *, reasoning_closed: bool
) -> RenderedPrompt:
    """Append a partial assistant reply after the generation prompt, as the model wrote it."""
    reasoning, content = partial.reasoning, partial.content
    closed = reasoning_closed
    thinking = opens or bool(reasoning)
    if not reasoning:
        # The reply may carry its reasoning inline, as raw model output does.
        stripped = content.lstrip()
        opened_inline = stripped.startswith(THINK_OPEN)
        if opened_inline or (opens and THINK_CLOSE in content):
            if opened_inline:
                stripped = stripped[len(THINK_OPEN) :].lstrip("\n")
            head, tag, tail = stripped.partition(THINK_CLOSE)
            reasoning = head
            content = _LEADING_BLANK_LINES.sub("", tail)
            closed = closed or bool(tag)
            thinking = True
    closed = closed or bool(content)
    if thinking:
        if not opens:
            text = f"{text}{THINK_OPEN}\n"
        if closed:
            text = f"{text}{reasoning.rstrip()}\n{THINK_CLOSE}\n\n{content}"
            return RenderedPrompt(text=text, opens_in_reasoning=False)
        return RenderedPrompt(text=text + reasoning, opens_in_reasoning=True)
    return RenderedPrompt(text=text + content, opens_in_reasoning=False)


# --- the sandbox -----------------------------------------------------------------------


class _HearthSandbox(BoundedSandbox):
    """The bounded sandbox, but an unsafe attribute fails loudly instead of rendering ''."""

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        raise SecurityError(
            f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe."
        )


class _GenerationTag(jinja2.ext.Extension):
    """``{% generation %}…{% endgeneration %}`` (a Hugging Face training marker): the body."""

    # jinja2 declares `tags` as a plain set attribute, so it cannot be a ClassVar here.
    tags: set[str] = {"generation"}  # noqa: RUF012

    def parse(self, parser: Parser) -> list[nodes.Node]:
        next(parser.stream)
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return list(body)


def _raise_exception(message: str) -> NoReturn:
    raise ChatTemplateError.of("template.refused", reason=message, detail=message)


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    # Templates expect plain JSON (non-ASCII kept), not jinja2's HTML-escaped tojson.
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


def _make_environment() -> _HearthSandbox:
    env = _HearthSandbox(
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=[_GenerationTag, jinja2.ext.loopcontrols],
    )
    env.globals["raise_exception"] = _raise_exception
    env.globals["strftime_now"] = _strftime_now
    env.filters["tojson"] = _tojson
    env.seal_filters()
    return env


# One environment for all templates: it holds no per-template state, and rendering is
# thread-safe.
_ENVIRONMENT: Final = _make_environment()


def _compile(source: str) -> jinja2.Template:
    try:
        return compile_bounded(_ENVIRONMENT, source)
    except jinja2.TemplateSyntaxError as exc:
        log.warning("chat template syntax error at line %s: %s", exc.lineno, exc.message)
        raise ChatTemplateError.of(
            "template.broken",
            detail=f"line {exc.lineno}: {exc.message}",
        ) from exc
    except Exception as exc:
        # Anything else the compiler raises (a RecursionError on deep nesting, a
        # ValueError from a literal with too many digits, a source over the size limit)
        # means the same to the user: the template cannot be used.
        log.warning("chat template could not be compiled: %s: %s", type(exc).__name__, exc)
        raise ChatTemplateError.of(
            "template.broken",
            detail=f"{type(exc).__name__}: {exc}",
        ) from exc


@functools.lru_cache(maxsize=8)
def _builtin_r1(bos_token: str, eos_token: str) -> ChatTemplate:
    """The built-in R1 template, the fallback for a GGUF template that fails at render."""
    return ChatTemplate(
        source=BUILTIN_R1_TEMPLATE,
        bos_token=bos_token,
        eos_token=eos_token,
        from_gguf=False,
        is_r1=True,
    )
