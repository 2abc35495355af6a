"""Chat formatting: R1 rules, generic templates, continuation, and the sandbox."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.core.chat import ChatMessage
from app.core.errors import GenerationError, HearthError
from app.core.template import (
    BUILTIN_R1_TEMPLATE,
    R1_BOS,
    R1_EOS,
    ChatTemplate,
    RenderedPrompt,
    strip_reasoning,
    template_for,
)

BOS = R1_BOS
EOS = R1_EOS
USER = "<｜User｜>"
ASSISTANT = "<｜Assistant｜>"

# The older R1 GGUF template: identical, except its generation prompt is "<｜Assistant｜>"
# alone, and it is written on one line the way GGUF metadata usually stores it.
OLD_R1_TEMPLATE = (
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}"
    "{% endif %}{% set ns = namespace(system_prompt='') %}{%- for message in messages %}"
    "{%- if message['role'] == 'system' %}{% set ns.system_prompt = message['content'] %}"
    "{%- endif %}{%- endfor %}{{bos_token}}{{ns.system_prompt}}{%- for message in messages %}"
    "{%- if message['role'] == 'user' %}{{'<｜User｜>' + message['content']}}{%- endif %}"
    "{%- if message['role'] == 'assistant' %}{% set content = message['content'] %}"
    "{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}"
    "{{'<｜Assistant｜>' + content + '<｜end▁of▁sentence｜>'}}{%- endif %}{%- endfor -%}"
    "{% if add_generation_prompt %}{{'<｜Assistant｜>'}}{% endif %}"
)

# A ChatML template written across lines: it renders correctly only with trim_blocks and
# lstrip_blocks on, as Hugging Face renders it.
CHATML_TEMPLATE = """\
{% for message in messages %}
    {% if loop.first and message['role'] != 'system' %}
<|im_start|>system
You are a helpful assistant.<|im_end|>
    {% endif %}
<|im_start|>{{ message['role'] }}
{{ message['content'] }}<|im_end|>
{% endfor %}
{% if add_generation_prompt %}
<|im_start|>assistant
{% endif %}
"""

THINKING_CHATML_TEMPLATE = CHATML_TEMPLATE.replace(
    "<|im_start|>assistant\n{% endif %}", "<|im_start|>assistant\n<think>\n{% endif %}"
)


def r1() -> ChatTemplate:
    return template_for(None, bos_token=BOS, eos_token=EOS)


def chat(*turns: tuple[str, str]) -> list[ChatMessage]:
    return [ChatMessage(role, content) for role, content in turns]  # type: ignore[arg-type]


HISTORY_EXPECTED = (
    f"{BOS}{USER}What is 2+2?{ASSISTANT}It is 4.{EOS}{USER}And 3+3?{ASSISTANT}It is 6.{EOS}"
    f"{USER}Thanks! And 4+4?{ASSISTANT}<think>\n"
)


class TestTemplateFor:
    def test_no_gguf_template_falls_back_to_builtin_r1(self) -> None:
        for missing in (None, "", "  \n"):
            template = template_for(missing, bos_token=BOS, eos_token=EOS)
            assert template.source == BUILTIN_R1_TEMPLATE
            assert template.from_gguf is False
            assert template.is_r1 is True

    def test_gguf_templates_are_detected(self) -> None:
        old = template_for(OLD_R1_TEMPLATE, bos_token=BOS, eos_token=EOS)
        assert (old.from_gguf, old.is_r1) == (True, True)
        chatml = template_for(CHATML_TEMPLATE, bos_token="", eos_token="<|im_end|>")
        assert (chatml.from_gguf, chatml.is_r1) == (True, False)

    def test_syntax_error_is_reported_when_the_template_is_loaded(self) -> None:
        with pytest.raises(GenerationError) as caught:
            template_for("{% for m in messages %}{{ m.content }}", bos_token="", eos_token="")
        assert "chat template is broken" in str(caught.value)
        assert "line 1" in caught.value.detail


class TestR1:
    def test_single_turn_opens_reasoning(self) -> None:
        rendered = r1().render(chat(("user", "Hi")))
        assert rendered == RenderedPrompt(f"{BOS}{USER}Hi{ASSISTANT}<think>\n", True)

    def test_history_reasoning_stored_separately_is_not_sent(self) -> None:
        messages = [
            ChatMessage("user", "What is 2+2?"),
            ChatMessage("assistant", "It is 4.", reasoning="2 plus 2 makes 4."),
            ChatMessage("user", "And 3+3?"),
            ChatMessage("assistant", "It is 6.", reasoning="3 and 3 is 6."),
            ChatMessage("user", "Thanks! And 4+4?"),
        ]
        rendered = r1().render(messages)
        assert rendered.text == HISTORY_EXPECTED
        assert rendered.opens_in_reasoning
        assert "plus" not in rendered.text

    def test_history_reasoning_inline_in_content_is_stripped(self) -> None:
        messages = chat(
            ("user", "What is 2+2?"),
            ("assistant", "<think>\n2 plus 2 makes 4.\n</think>\n\nIt is 4."),
            ("user", "And 3+3?"),
            ("assistant", "3 and 3 is 6.</think>It is 6."),
            ("user", "Thanks! And 4+4?"),
        )
        assert r1().render(messages).text == HISTORY_EXPECTED

    def test_the_gguf_template_strips_inline_reasoning_by_itself(self) -> None:
        # The raw template (without Hearth's preparation) applies split('</think>')[-1].
        template = r1()
        text = template._compiled.render(
            messages=[
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "<think>\nhm\n</think>Hello!"},
            ],
            bos_token=BOS,
            add_generation_prompt=False,
        )
        assert text == f"{BOS}{USER}Hi{ASSISTANT}Hello!{EOS}"

    def test_system_prompt_is_folded_into_the_first_user_turn(self) -> None:
        messages = chat(("user", "Hi"), ("assistant", "Hello."), ("user", "Bye"))
        expected = (
            f"{BOS}{USER}Answer briefly.\n\nHi{ASSISTANT}Hello.{EOS}{USER}Bye{ASSISTANT}<think>\n"
        )
        assert r1().render(messages, system_prompt="Answer briefly.").text == expected
        with_system_message = [ChatMessage("system", "Answer briefly."), *messages]
        rendered = r1().render(with_system_message)
        assert rendered.text == expected
        assert "system" not in rendered.text

    def test_system_prompt_without_a_user_turn_becomes_one(self) -> None:
        rendered = r1().render([], system_prompt="Be kind.")
        assert rendered.text == f"{BOS}{USER}Be kind.{ASSISTANT}<think>\n"

    def test_old_template_gets_think_appended(self) -> None:
        old = template_for(OLD_R1_TEMPLATE, bos_token=BOS, eos_token=EOS)
        messages = chat(("user", "Hi"), ("assistant", "<think>x</think>\n\nHello."), ("user", "2?"))
        raw = old._compiled.render(
            messages=[{"role": m.role, "content": strip_reasoning(m.content)} for m in messages],
            bos_token=BOS,
            add_generation_prompt=True,
        )
        assert raw.endswith(ASSISTANT)
        rendered = old.render(messages)
        assert rendered.text == raw + "<think>\n"
        assert rendered.opens_in_reasoning
        # Old and new templates give the same prompt.
        assert rendered == r1().render(messages)

    def test_continue_a_reasoning_only_partial(self) -> None:
        messages = [
            ChatMessage("user", "Hi"),
            ChatMessage("assistant", "", reasoning="The user greets me. I should"),
        ]
        rendered = r1().render(messages, continue_last=True)
        assert rendered == RenderedPrompt(
            f"{BOS}{USER}Hi{ASSISTANT}<think>\nThe user greets me. I should", True
        )

    def test_continue_a_partial_answer(self) -> None:
        messages = [
            ChatMessage("user", "Hi"),
            ChatMessage("assistant", "Hello! How can", reasoning="A greeting.\n"),
        ]
        rendered = r1().render(messages, continue_last=True)
        assert rendered == RenderedPrompt(
            f"{BOS}{USER}Hi{ASSISTANT}<think>\nA greeting.\n</think>\n\nHello! How can", False
        )

    def test_continue_after_reasoning_closed_without_answer_text(self) -> None:
        messages = [ChatMessage("user", "Hi"), ChatMessage("assistant", "", reasoning="Done.")]
        rendered = r1().render(messages, continue_last=True, reasoning_closed=True)
        assert rendered == RenderedPrompt(
            f"{BOS}{USER}Hi{ASSISTANT}<think>\nDone.\n</think>\n\n", False
        )

    def test_continue_a_partial_with_inline_reasoning(self) -> None:
        messages = chat(("user", "Hi"), ("assistant", "<think>\nA greeting.\n</think>\n\nHello"))
        rendered = r1().render(messages, continue_last=True)
        assert rendered == RenderedPrompt(
            f"{BOS}{USER}Hi{ASSISTANT}<think>\nA greeting.\n</think>\n\nHello", False
        )

    def test_continue_requires_an_assistant_message_last(self) -> None:
        with pytest.raises(GenerationError):
            r1().render(chat(("user", "Hi")), continue_last=True)


class TestGeneric:
    def chatml(self, source: str = CHATML_TEMPLATE) -> ChatTemplate:
        return template_for(source, bos_token="", eos_token="<|im_end|>")

    def test_chatml_renders_with_trim_and_lstrip_blocks(self) -> None:
        rendered = self.chatml().render(
            chat(("user", "Hi"), ("assistant", "Hello."), ("user", "?"))
        )
        assert rendered.text == (
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nHello.<|im_end|>\n"
            "<|im_start|>user\n?<|im_end|>\n"
            "<|im_start|>assistant\n"
        )
        assert rendered.opens_in_reasoning is False

    def test_system_prompt_is_a_leading_system_message(self) -> None:
        rendered = self.chatml().render(chat(("user", "Hi")), system_prompt="Be brief.")
        assert rendered.text == (
            "<|im_start|>system\nBe brief.<|im_end|>\n"
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        )

    def test_history_reasoning_is_not_sent(self) -> None:
        messages = [
            ChatMessage("user", "Hi"),
            ChatMessage("assistant", "<think>secret</think>\n\nHello.", reasoning="more"),
            ChatMessage("user", "?"),
        ]
        text = self.chatml().render(messages).text
        assert "<|im_start|>assistant\nHello.<|im_end|>" in text
        assert "secret" not in text
        assert "more" not in text

    def test_a_user_message_mentioning_think_does_not_open_reasoning(self) -> None:
        rendered = self.chatml().render(chat(("user", "What does <think> do?")))
        assert rendered.opens_in_reasoning is False

    def test_template_that_opens_think_starts_in_reasoning(self) -> None:
        rendered = self.chatml(THINKING_CHATML_TEMPLATE).render(chat(("user", "Hi")))
        assert rendered.text.endswith("<|im_start|>assistant\n<think>\n")
        assert rendered.opens_in_reasoning is True

    def test_continue_a_partial_answer(self) -> None:
        messages = chat(("user", "Hi"), ("assistant", "Hello! How"))
        rendered = self.chatml().render(messages, continue_last=True)
        assert rendered.text.endswith(
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello! How"
        )
        assert rendered.opens_in_reasoning is False

    def test_continue_a_partial_with_reasoning(self) -> None:
        messages = [ChatMessage("user", "Hi"), ChatMessage("assistant", "", reasoning="Hmm, a")]
        rendered = self.chatml().render(messages, continue_last=True)
        assert rendered.text.endswith("<|im_start|>assistant\n<think>\nHmm, a")
        assert rendered.opens_in_reasoning is True

    def test_bos_token_eos_token_and_strftime_now_are_available(self) -> None:
        source = (
            "{{ bos_token }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}"
            "{{ strftime_now('%Y') }}{% if add_generation_prompt %}>{% endif %}"
        )
        rendered = template_for(source, bos_token="<s>", eos_token="</s>").render(
            chat(("user", "a"))
        )
        assert rendered.text.startswith("<s>a</s>")
        assert rendered.text.endswith(">")
        assert rendered.text[len("<s>a</s>") : -1] in {
            datetime.now().strftime("%Y"),
            str(int(datetime.now().strftime("%Y")) - 1),  # rendered just before New Year
        }

    def test_generation_tag_tojson_and_loop_controls_work(self) -> None:
        source = (
            "{% for m in messages %}{% if m.role == 'system' %}{% continue %}{% endif %}"
            "{% generation %}{{ m | tojson }}{% endgeneration %}{% endfor %}"
        )
        rendered = template_for(source, bos_token="", eos_token="").render(
            chat(("system", "s"), ("user", "数"))
        )
        assert rendered.text == '{"role": "user", "content": "数"}'


class TestErrors:
    def test_a_refusal_on_a_real_conversation_falls_back_to_r1_with_its_reason(self) -> None:
        source = (
            "{% for m in messages %}{% if m.role == 'assistant' and loop.first %}"
            "{{ raise_exception('Conversation roles must alternate user/assistant') }}"
            "{% endif %}{{ m.content }}{% endfor %}"
        )
        template = template_for(source, bos_token=BOS, eos_token=EOS)
        rendered = template.render(chat(("assistant", "Hi"), ("user", "Q")))
        assert rendered.notice.startswith("This model's chat template failed")
        assert "Traceback" not in rendered.notice
        assert rendered.text == f"{BOS}{ASSISTANT}Hi{EOS}{USER}Q{ASSISTANT}<think>\n"
        assert rendered.opens_in_reasoning
        # A conversation the template accepts renders with it, and without a notice.
        fine = template.render(chat(("user", "Q")))
        assert fine.text == "Q" and fine.notice == ""

    def test_a_template_that_refuses_every_conversation_fails_at_load(self) -> None:
        with pytest.raises(GenerationError) as caught:
            template_for("{{ raise_exception('nope') }}", bos_token="", eos_token="")
        assert "refused this conversation (nope)" in str(caught.value)

    @pytest.mark.parametrize(
        "source",
        [
            "{{ ''.__class__.__mro__[1].__subclasses__() }}",
            "{{ ''.__class__ }}",
            "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
            "{{ cycler.__init__.__globals__.os.system('echo pwned') }}",
            "{{ messages.append({'role': 'user', 'content': 'x'}) }}",
            "{{ raise_exception.__globals__ }}",
        ],
    )
    def test_sandbox_blocks_escapes_with_a_readable_error(self, source: str) -> None:
        with pytest.raises(HearthError) as caught:
            template_for(source, bos_token="", eos_token="")
        assert "unsafe and was blocked" in str(caught.value)
        assert "unsafe" in caught.value.detail

    def test_an_escape_on_a_later_conversation_falls_back(self) -> None:
        source = "{% if messages|length > 5 %}{{ ''.__class__ }}{% endif %}ok"
        template = template_for(source, bos_token="", eos_token="")
        rendered = template.render(chat(*[("user", "x")] * 6))
        assert rendered.notice and "__class__" not in rendered.text

    def test_runtime_failure_gives_a_readable_error(self) -> None:
        with pytest.raises(GenerationError) as caught:
            template_for("{{ messages[0].content + 1 }}", bos_token="", eos_token="")
        assert "failed while formatting" in str(caught.value)
        assert "TypeError" in caught.value.detail

    def test_a_builtin_template_still_reports_errors(self) -> None:
        with pytest.raises(GenerationError):
            r1().render(chat(("user", "Hi")), continue_last=True)


def test_strip_reasoning() -> None:
    assert strip_reasoning("plain answer") == "plain answer"
    assert strip_reasoning("<think>\na\n</think>\n\n  code") == "  code"
    assert strip_reasoning("a</think>b</think>\nc") == "c"


def test_gemma_models_without_a_template_get_gemma_turns_with_the_system_folded_in() -> None:
    from app.core.template import template_for

    template = template_for(None, bos_token="<bos>", eos_token="<eos>", architecture="gemma3")
    assert not template.from_gguf and not template.is_r1
    rendered = template.render(
        [
            ChatMessage("user", "Hi"),
            ChatMessage("assistant", "Hello!"),
            ChatMessage("user", "2+2?"),
        ],
        system_prompt="Be brief.",
    )
    assert rendered.text == (
        "<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n"
        "<start_of_turn>model\nHello!<end_of_turn>\n"
        "<start_of_turn>user\n2+2?<end_of_turn>\n"
        "<start_of_turn>model\n"
    )
    assert not rendered.opens_in_reasoning
    other = template_for(None, bos_token="<s>", eos_token="</s>", architecture="qwen2")
    assert other.is_r1
