"""Core errors reach a Chinese window in Chinese, with their names and numbers intact."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from app.core.error_messages import ENGLISH
from app.core.errors import DiskFullError, DownloadError, HearthError, IntegrityError
from app.core.gguf import GgufError, read_gguf_metadata
from app.core.host import QueueFullError
from app.ui.errors_i18n import CONTEXT, TEXTS, error_text
from tests.ui.test_translations import tools

ROOT = Path(__file__).resolve().parents[2]


def _placeholders(text: str) -> list[tuple[str, str]]:
    return sorted(
        (field, spec or "")
        for _, field, spec, _ in string.Formatter().parse(text)
        if field is not None
    )


# --- the table -----------------------------------------------------------------------


def test_the_ui_table_is_the_core_table() -> None:
    """Same codes, same English: Qt looks translations up by the English text."""
    assert TEXTS == ENGLISH


def test_every_chinese_translation_keeps_the_placeholders() -> None:
    messages = [m for m in tools.read_ts(tools.TS_PATH) if m.context == CONTEXT]
    assert {m.source for m in messages} == set(TEXTS.values())
    for message in messages:
        assert message.translations and message.translations[0].strip(), message.source
        assert _placeholders(message.translations[0]) == _placeholders(message.source), (
            message.source
        )


# --- English (no translator) ----------------------------------------------------------


def test_without_a_translator_the_english_sentence_is_shown(qapp: QApplication) -> None:
    error = DiskFullError.of("store.disk_full")
    assert error_text(error) == str(error)
    assert error_text(QueueFullError(4)) == str(QueueFullError(4))


def test_an_uncoded_error_or_unknown_text_is_shown_as_it_is(chinese: QApplication) -> None:
    assert error_text(HearthError("Something only English knows.")) == (
        "Something only English knows."
    )
    assert error_text("A sentence from elsewhere.") == "A sentence from elsewhere."
    assert error_text(("no.such.code", {}, "Fallback.")) == "Fallback."
    assert error_text(ValueError("plain")) == "plain"


# --- Chinese --------------------------------------------------------------------------


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_a_truncated_gguf_is_explained_in_chinese(chinese: QApplication, tmp_path: Path) -> None:
    path = tmp_path / "half.gguf"
    # A valid start (magic, version 3, no tensors, one key) cut off inside the key.
    path.write_bytes(b"GGUF" + (3).to_bytes(4, "little") + bytes(8) + (1).to_bytes(8, "little"))
    path.write_bytes(path.read_bytes() + (40).to_bytes(8, "little") + b"general.arch")
    with pytest.raises(GgufError) as caught:
        read_gguf_metadata(path)
    assert caught.value.code == "gguf.truncated_header"
    shown = error_text(caught.value)
    assert _is_chinese(shown)
    assert "half.gguf" in shown
    assert shown != str(caught.value)


def test_all_download_sources_failed_in_chinese(chinese: QApplication) -> None:
    error = DownloadError.of(
        "download.all_sources_failed_kept",
        name="model.gguf",
        reasons="hf-mirror could not be reached (3 tries)",
        downloaded="1.2 GB",
    )
    shown = error_text(error)
    assert _is_chinese(shown)
    assert "model.gguf" in shown and "1.2 GB" in shown
    bad = IntegrityError.of("download.bad_file", name="model.gguf", reasons="x")
    assert _is_chinese(error_text(bad))


def test_disk_full_in_chinese(chinese: QApplication) -> None:
    shown = error_text(DiskFullError.of("store.disk_full"))
    assert _is_chinese(shown)
    assert "English" not in shown


def test_queue_full_in_chinese_with_its_number(chinese: QApplication) -> None:
    shown = error_text(QueueFullError(7))
    assert _is_chinese(shown)
    assert "7" in shown


def test_counts_keep_their_format_in_chinese(chinese: QApplication) -> None:
    error = GgufError.of("gguf.too_many_tensors", name="x.gguf", count=123_456_789)
    shown = error_text(error)
    assert _is_chinese(shown)
    assert "123,456,789" in shown


def test_an_english_sentence_from_a_signal_is_matched_and_translated(
    chinese: QApplication,
) -> None:
    """Workers and session events carry the English text; the window still shows Chinese."""
    english = str(QueueFullError(3))
    shown = error_text(english)
    assert _is_chinese(shown) and "3" in shown
    error = GgufError.of("gguf.too_many_tensors", name="x.gguf", count=1_000_000)
    assert error_text(str(error)) == error_text(error)
    # Already Chinese: left alone.
    assert error_text(shown) == shown


def test_a_translation_that_cannot_be_filled_falls_back_to_english(
    chinese: QApplication,
) -> None:
    # The values do not fit the template (a missing name): English, never an exception.
    assert error_text(("gguf.empty", {}, "English fallback.")) == "English fallback."


def test_a_short_template_is_not_matched_against_any_text(chinese: QApplication) -> None:
    """ "{host} timed out." would swallow unrelated sentences; only coded errors use it."""
    assert error_text("The benchmark timed out.") == "The benchmark timed out."
