"""The Simplified Chinese UI: complete, compiled, consistent, and actually used at runtime.

When a test here fails after adding a ``self.tr()`` string, run
``.venv/bin/python scripts/update_translations.py``, translate the new messages in
``resources/i18n/hearth_zh_CN.ts`` (Qt Linguist, or by hand), and run the script again.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.core.paths import AppPaths
from app.core.settings import Settings
from app.core.store import ChatStore
from app.ui import i18n
from app.workers.inference import InferenceClient

ROOT = Path(__file__).resolve().parents[2]


def _load_script() -> ModuleType:
    path = ROOT / "scripts" / "update_translations.py"
    spec = importlib.util.spec_from_file_location("hearth_update_translations", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


tools = _load_script()


@pytest.fixture(scope="module")
def committed() -> list[Any]:
    assert tools.TS_PATH.exists(), "run scripts/update_translations.py"
    return tools.read_ts(tools.TS_PATH)


def _report(problems: list[str]) -> str:
    return "\n".join(
        [*problems, "Fix: run scripts/update_translations.py and translate what it lists."]
    )


# --- completeness --------------------------------------------------------------------


def test_every_ui_string_is_in_the_ts_file(committed: list[Any]) -> None:
    refreshed = tools.refreshed_messages(tools.TS_PATH)
    assert len(refreshed) > 100  # lupdate really found the app's strings
    problems = tools.coverage_problems(committed, refreshed)
    assert not problems, _report(problems)


def test_every_message_has_a_finished_translation(committed: list[Any]) -> None:
    unfinished = [
        problem
        for message in committed
        for problem in tools.message_problems(message)
        if "unfinished" in problem or "empty" in problem or "no longer" in problem
    ]
    assert not unfinished, _report(unfinished)


def test_placeholders_and_accelerators_match(committed: list[Any]) -> None:
    problems = [
        problem
        for message in committed
        if message.state == ""
        for problem in tools.message_problems(message)
    ]
    assert not problems, _report(problems)


def test_plural_messages_have_one_chinese_form(committed: list[Any]) -> None:
    plurals = [message for message in committed if message.numerus]
    assert plurals, "the UI has %n messages; lupdate should mark them numerus"
    for message in plurals:
        assert len(message.translations) == 1, message.label
        assert "%n" in message.translations[0], message.label


def test_a_new_untranslated_string_is_caught(tmp_path: Path) -> None:
    """The check itself: a fresh tr() call is reported, not silently accepted."""
    module = tmp_path / "extra_widget.py"
    module.write_text(
        "from PySide6.QtWidgets import QWidget\n\n"
        "class ExtraWidget(QWidget):\n"
        "    def label(self) -> str:\n"
        '        return self.tr("A string nobody has translated yet")\n',
        encoding="utf-8",
    )
    scratch = tmp_path / "copy.ts"
    scratch.write_bytes(tools.TS_PATH.read_bytes())
    tools.run_lupdate(scratch, [*tools.source_files(), module])
    refreshed = tools.read_ts(scratch)
    problems = tools.coverage_problems(tools.read_ts(tools.TS_PATH), refreshed)
    assert any("A string nobody has translated yet" in problem for problem in problems)
    added = [m for m in refreshed if m.context == "ExtraWidget"]
    assert added and tools.message_problems(added[0])


def test_marker_check_catches_a_lost_placeholder() -> None:
    broken = tools.Message(
        context="MainWindow",
        source="&File %1",
        comment="",
        numerus=False,
        state="",
        translations=("文件",),
    )
    problems = tools.message_problems(broken)
    assert any("place markers" in problem for problem in problems)
    assert any("accelerators" in problem for problem in problems)


def test_compiled_qm_matches_the_ts() -> None:
    problems = tools.qm_problems(tools.TS_PATH, tools.QM_PATH)
    assert not problems, _report(problems)


def test_example_prompts_are_the_classic_chinese_ones(committed: list[Any]) -> None:
    examples = {m.source: m.translations[0] for m in committed if m.context == "EmptyState"}
    chinese = set(examples.values())
    assert any("鸡兔同笼" in text or "雉兔同笼" in text for text in chinese)
    assert "用 Python 写一个快速排序函数，并解释它是如何工作的。" in chinese
    assert "如果所有A都是B，有些B是C，能否推出有些A是C？" in chinese


# --- runtime -------------------------------------------------------------------------


def test_installed_translator_translates_known_strings(chinese: QApplication) -> None:
    translate = QCoreApplication.translate
    assert translate("MainWindow", "Send") == "发送"
    assert translate("MainWindow", "Stop") == "停止"
    assert translate("AssistantMessageWidget", "Regenerate") == "重新生成"
    assert translate("Sidebar", "New chat") == "新对话"
    thinking = translate("ReasoningBlock", "Thinking… %n token(s) · %1 s", "", 12)
    assert thinking == "思考中… 12 个词元 · %1 秒"
    assert translate("ReasoningBlock", "Thought for %1 s") == "思考了 %1 秒"


@pytest.fixture
def store(isolated_app_dirs: AppPaths) -> Iterator[ChatStore]:
    store = ChatStore.open(isolated_app_dirs.database)
    yield store
    store.close()


def test_a_window_built_after_install_speaks_chinese(
    chinese: QApplication, qtbot: QtBot, store: ChatStore
) -> None:
    from app.ui.main_window import MainWindow

    window = MainWindow(settings=Settings(), store=store, client=InferenceClient())
    qtbot.addWidget(window)
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus == ["文件(&F)", "视图(&V)", "帮助(&H)"]
    assert window.new_chat_action.text() == "新对话(&N)"
    assert window.send_button.text() == "发送"
    assert window.model_label.text() == "未加载模型"
    assert window.banner.open_button.text() == "打开模型文件…"
    examples = window.chat_view.empty_state.examples()
    assert "如果所有A都是B，有些B是C，能否推出有些A是C？" in examples
    window.close()


def test_inherited_tr_calls_find_their_base_class_context(
    chinese: QApplication, qtbot: QtBot
) -> None:
    """lupdate files MessageWidget's strings under MessageWidget; subclasses must find them."""
    from app.ui import render
    from app.ui.chat_view import AssistantMessageWidget

    widget = AssistantMessageWidget("m1", render.theme_for(False))
    qtbot.addWidget(widget)
    assert widget.prev_branch.toolTip() == "上一个版本"
    assert widget.regenerate_button.text() == "重新生成"


# --- language choice -----------------------------------------------------------------


class _FakeLocale:
    """Stands in for QLocale inside app.ui.i18n: only ``system().name()`` is used."""

    system_name = "en_US"

    @classmethod
    def system(cls) -> _FakeLocale:
        return cls()

    def name(self) -> str:
        return self.system_name


@pytest.mark.parametrize(
    ("system_locale", "expected"),
    [
        ("zh_CN", "zh_CN"),
        ("zh_TW", "zh_CN"),
        ("zh_HK", "zh_CN"),
        ("zh_SG", "zh_CN"),
        ("en_US", "en"),
        ("en_GB", "en"),
        ("de_DE", "en"),
        ("ja_JP", "en"),
        ("C", "en"),
    ],
)
def test_system_setting_follows_the_os_locale(
    monkeypatch: pytest.MonkeyPatch, system_locale: str, expected: str
) -> None:
    monkeypatch.setattr(_FakeLocale, "system_name", system_locale)
    monkeypatch.setattr(i18n, "QLocale", _FakeLocale)
    assert i18n.resolve_language("system") == expected


@pytest.mark.parametrize("system_locale", ["zh_CN", "en_US"])
def test_an_explicit_language_wins_over_the_os(
    monkeypatch: pytest.MonkeyPatch, system_locale: str
) -> None:
    monkeypatch.setattr(_FakeLocale, "system_name", system_locale)
    monkeypatch.setattr(i18n, "QLocale", _FakeLocale)
    assert i18n.resolve_language("zh_CN") == "zh_CN"
    assert i18n.resolve_language("en") == "en"


def test_english_plurals_read_naturally(qapp: QApplication) -> None:
    from app.ui import i18n

    translators = i18n.install_translators(qapp, "en")
    try:
        translate = QCoreApplication.translate
        assert translate("ChatController", "%n token(s)", "", 1) == "1 token"
        assert translate("ChatController", "%n token(s)", "", 7) == "7 tokens"
    finally:
        for translator in translators:
            qapp.removeTranslator(translator)
