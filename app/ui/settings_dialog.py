"""The settings dialog: model, sampling, appearance, downloads and privacy.

It edits a copy of :class:`~app.core.settings.Settings` and hands back a new frozen value;
the caller saves it. Sampling can also be saved for the open chat only (per-chat
overrides kept in the store).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.calibrate import CACHE_TYPES, kv_cache_bytes, needs_flash_attn
from app.core.chat import SamplingParams
from app.core.errors import HearthError
from app.core.paths import app_paths
from app.core.settings import MAX_CONTEXT, MIN_CONTEXT, Settings, default_context, default_threads
from app.ui.api_tab import ApiTab

CONTEXT_CHOICES = (4096, 8192, 16384, 32768)
#: KV bytes per token at f16 when no model is loaded: DeepSeek-R1-Distill-Qwen-1.5B's shape.
REFERENCE_KV_BYTES_PER_TOKEN = 28 * 1024


def sampling_overrides(base: SamplingParams, chosen: SamplingParams) -> dict[str, Any]:
    """The sampling fields that differ from ``base`` (what a per-chat override stores)."""
    base_values = base.to_dict()
    return {k: v for k, v in chosen.to_dict().items() if base_values.get(k) != v}


def apply_overrides(base: SamplingParams, overrides: dict[str, Any] | None) -> SamplingParams:
    """``base`` with a chat's stored overrides applied (unknown keys are ignored)."""
    if not overrides:
        return base
    known = {k: v for k, v in overrides.items() if k in SamplingParams.__dataclass_fields__}
    try:
        return replace(base, **known)
    except TypeError:
        return base


def _kv_bytes_per_token(model_path: str | Path | None) -> int:
    """KV bytes per token at f16 from the model's header (the reference shape without one)."""
    if model_path:
        try:
            from app.core.gguf import read_gguf_metadata

            per_token = read_gguf_metadata(Path(model_path)).kv_bytes_per_token
            if per_token:
                return int(per_token)
        except (OSError, HearthError):
            pass
    return REFERENCE_KV_BYTES_PER_TOKEN


def _named(widget: QWidget, name: str) -> QWidget:
    widget.setAccessibleName(name)
    return widget


class SettingsDialog(QDialog):
    """Edit settings; ``result_settings()`` and ``chat_overrides()`` give the outcome."""

    network_log_requested = Signal()

    def __init__(
        self,
        settings: Settings,
        *,
        chat_overrides: dict[str, Any] | None = None,
        chat_open: bool = False,
        engines: Any = None,
        gateway: Any = None,
        model_path: str | Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._kv_bytes_per_token = _kv_bytes_per_token(model_path)
        self.setWindowTitle(self.tr("Settings"))
        self.setAccessibleName(self.tr("Settings"))
        self.setMinimumWidth(520)
        self._settings = settings
        sampling = apply_overrides(settings.sampling, chat_overrides)
        tabs = QTabWidget(self)
        tabs.addTab(self._model_tab(settings), self.tr("Model"))
        tabs.addTab(
            self._sampling_tab(sampling, chat_open, bool(chat_overrides)), self.tr("Answers")
        )
        tabs.addTab(self._appearance_tab(settings), self.tr("Appearance"))
        tabs.addTab(self._privacy_tab(settings), self.tr("Downloads && privacy"))
        self.api_tab = ApiTab(settings, app_paths().config, self)
        tabs.addTab(self.api_tab, self.tr("Local API"))
        # Remote engines (an EngineRegistry and the network gateway), saved as they are edited.
        self.engines_page: Any = None
        if engines is not None and gateway is not None:
            from app.ui.engines_dialog import EnginesPage

            self.engines_page = EnginesPage(engines, gateway, self)
            tabs.addTab(self.engines_page, self.tr("Engines"))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self._accept_if_valid)
        buttons.rejected.connect(self.reject)
        self.error_label = QLabel(self)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)  # may quote a path or URL
        self.error_label.setObjectName("settingsError")
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.tabs = tabs

    # --- tabs ---
    def _model_tab(self, settings: Settings) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.threads = QSpinBox(page)
        self.threads.setRange(0, 64)
        self.threads.setSpecialValueText(
            self.tr("Automatic (%1)").replace("%1", str(default_threads()))
        )
        self.threads.setValue(settings.threads)
        _named(self.threads, self.tr("Threads"))
        # Prompt reading is compute-bound, writing the answer memory-bound: on machines
        # with many cores or hyper-threads the best counts can differ.
        self.prompt_threads = QSpinBox(page)
        self.prompt_threads.setRange(0, 64)
        self.prompt_threads.setSpecialValueText(self.tr("Same as threads"))
        self.prompt_threads.setValue(settings.prompt_threads)
        _named(self.prompt_threads, self.tr("Threads for reading the prompt"))
        self.context = QComboBox(page)
        self.context.addItem(
            self.tr("Automatic (%1 tokens)").replace("%1", str(default_context())), 0
        )
        for size in CONTEXT_CHOICES:
            self.context.addItem(self.tr("%1 tokens").replace("%1", str(size)), size)
        index = self.context.findData(settings.context_length)
        self.context.setCurrentIndex(max(0, index))
        _named(self.context, self.tr("Context length"))
        note = QLabel(
            self.tr(
                "Threads and context length apply the next time a model is loaded. "
                "A longer context remembers more of the chat but needs more memory."
            ),
            page,
        )
        note.setWordWrap(True)
        form.addRow(self.tr("Threads:"), self.threads)
        form.addRow(self.tr("Prompt threads:"), self.prompt_threads)
        form.addRow(self.tr("Context length:"), self.context)
        form.addRow(note)
        self.flash_attention = QComboBox(page)
        for label, value in (
            (self.tr("Automatic (the faster one on this computer)"), "auto"),
            (self.tr("On"), "on"),
            (self.tr("Off"), "off"),
        ):
            self.flash_attention.addItem(label, value)
        self.flash_attention.setCurrentIndex(
            max(0, self.flash_attention.findData(settings.flash_attention))
        )
        _named(self.flash_attention, self.tr("Flash attention"))
        self.kv_cache = QComboBox(page)
        for cache_type in CACHE_TYPES:
            self.kv_cache.addItem(cache_type, cache_type)
        self.kv_cache.setCurrentIndex(max(0, self.kv_cache.findData(settings.kv_cache_type)))
        _named(self.kv_cache, self.tr("Memory cache type"))
        self.kv_note = QLabel(page)
        self.kv_note.setTextFormat(Qt.TextFormat.PlainText)
        self.kv_note.setWordWrap(True)
        form.addRow(self.tr("Flash attention:"), self.flash_attention)
        form.addRow(self.tr("Memory cache type:"), self.kv_cache)
        form.addRow(self.kv_note)
        self.kv_cache.currentIndexChanged.connect(self._update_kv_choices)
        self.context.currentIndexChanged.connect(self._update_kv_choices)
        self._update_kv_choices()
        return page

    def _update_kv_choices(self) -> None:
        """Show each cache type's RAM at the chosen context; quantized types force FA on."""
        n_ctx = int(self.context.currentData() or 0) or default_context()
        names = {
            "f16": self.tr("f16 (full precision)"),
            "q8_0": self.tr("q8_0 (about half the memory)"),
            "q4_0": self.tr("q4_0 (about a quarter of the memory)"),
        }
        for index in range(self.kv_cache.count()):
            cache_type = str(self.kv_cache.itemData(index))
            mib = kv_cache_bytes(self._kv_bytes_per_token, n_ctx, cache_type) / (1 << 20)
            self.kv_cache.setItemText(
                index,
                self.tr("%1 — %2 MB for %3 tokens")
                .replace("%1", names.get(cache_type, cache_type))
                .replace("%2", f"{mib:.0f}")
                .replace("%3", str(n_ctx)),
            )
        quantized = needs_flash_attn(str(self.kv_cache.currentData()))
        if quantized:
            self.flash_attention.setCurrentIndex(self.flash_attention.findData("on"))
        self.flash_attention.setEnabled(not quantized)
        note = self.tr(
            "The memory cache holds what the model has read of the chat. A smaller type "
            "lets a long chat fit in less memory, at a small cost in accuracy. "
            "Flash attention and the cache type apply the next time a model is loaded."
        )
        if quantized:
            note += " " + self.tr("q8_0 and q4_0 need flash attention, so it is turned on.")
        self.kv_note.setText(note)

    def _sampling_tab(
        self, sampling: SamplingParams, chat_open: bool, has_overrides: bool
    ) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)

        def spin(
            low: float, high: float, step: float, value: float, decimals: int = 2
        ) -> QDoubleSpinBox:
            box = QDoubleSpinBox(page)
            box.setRange(low, high)
            box.setSingleStep(step)
            box.setDecimals(decimals)
            box.setValue(value)
            return box

        self.temperature = spin(0.0, 2.0, 0.05, sampling.temperature)
        self.top_p = spin(0.0, 1.0, 0.01, sampling.top_p)
        self.min_p = spin(0.0, 1.0, 0.01, sampling.min_p)
        self.repeat_penalty = spin(0.5, 2.0, 0.01, sampling.repeat_penalty)
        self.top_k = QSpinBox(page)
        self.top_k.setRange(0, 1000)
        self.top_k.setValue(sampling.top_k)
        self.max_tokens = QSpinBox(page)
        self.max_tokens.setRange(16, 131072)
        self.max_tokens.setValue(sampling.max_tokens)
        self.random_seed = QCheckBox(self.tr("Random seed each time"), page)
        self.seed = QSpinBox(page)
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(sampling.seed or 0)
        self.random_seed.setChecked(sampling.seed is None)
        self.seed.setEnabled(sampling.seed is not None)
        self.random_seed.toggled.connect(lambda random: self.seed.setEnabled(not random))
        self.budget_enabled = QCheckBox(self.tr("Limit thinking to"), page)
        self.budget = QSpinBox(page)
        self.budget.setRange(64, 65536)
        self.budget.setSingleStep(256)
        self.budget.setSuffix(self.tr(" tokens"))
        self.budget.setValue(sampling.thinking_budget or 2048)
        self.budget_enabled.setChecked(sampling.thinking_budget is not None)
        self.budget.setEnabled(sampling.thinking_budget is not None)
        self.budget_enabled.toggled.connect(self.budget.setEnabled)
        self.loop_guard = QCheckBox(
            self.tr("Stop thinking when the reasoning repeats itself"), page
        )
        self.loop_guard.setChecked(sampling.loop_guard)
        self.system_prompt = QPlainTextEdit(page)
        self.system_prompt.setPlainText(self._settings.system_prompt)
        self.system_prompt.setPlaceholderText(
            self.tr(
                "Optional. DeepSeek recommends none; "
                "for R1 models it is added to your first message."
            )
        )
        self.system_prompt.setMaximumHeight(90)
        for widget, name in (
            (self.temperature, self.tr("Temperature")),
            (self.top_p, self.tr("Top-p")),
            (self.top_k, self.tr("Top-k")),
            (self.min_p, self.tr("Min-p")),
            (self.repeat_penalty, self.tr("Repeat penalty")),
            (self.max_tokens, self.tr("Maximum answer length")),
            (self.random_seed, self.tr("Random seed")),
            (self.seed, self.tr("Seed")),
            (self.budget_enabled, self.tr("Limit thinking")),
            (self.budget, self.tr("Thinking budget")),
            (self.loop_guard, self.tr("Loop guard")),
            (self.system_prompt, self.tr("System prompt")),
        ):
            _named(widget, name)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.random_seed)
        seed_row.addWidget(self.seed)
        budget_row = QHBoxLayout()
        budget_row.addWidget(self.budget_enabled)
        budget_row.addWidget(self.budget)
        form.addRow(self.tr("Temperature:"), self.temperature)
        form.addRow(self.tr("Top-p:"), self.top_p)
        form.addRow(self.tr("Top-k:"), self.top_k)
        form.addRow(self.tr("Min-p:"), self.min_p)
        form.addRow(self.tr("Repeat penalty:"), self.repeat_penalty)
        form.addRow(self.tr("Maximum answer length:"), self.max_tokens)
        form.addRow(self.tr("Seed:"), seed_row)
        form.addRow(self.tr("Thinking:"), budget_row)
        form.addRow("", self.loop_guard)
        form.addRow(self.tr("System prompt:"), self.system_prompt)
        defaults = QPushButton(self.tr("Restore DeepSeek's recommended values"), page)
        _named(defaults, self.tr("Restore recommended values"))
        defaults.clicked.connect(self._restore_sampling_defaults)
        form.addRow(defaults)
        self.for_this_chat = QCheckBox(
            self.tr("Use these answer settings for this chat only"), page
        )
        _named(self.for_this_chat, self.tr("Use these answer settings for this chat only"))
        self.for_this_chat.setVisible(chat_open)
        self.for_this_chat.setChecked(chat_open and has_overrides)
        form.addRow(self.for_this_chat)
        return page

    def _appearance_tab(self, settings: Settings) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.theme = QComboBox(page)
        for label, value in (
            (self.tr("Follow the system"), "system"),
            (self.tr("Light"), "light"),
            (self.tr("Dark"), "dark"),
        ):
            self.theme.addItem(label, value)
        self.theme.setCurrentIndex(max(0, self.theme.findData(settings.theme)))
        _named(self.theme, self.tr("Theme"))
        self.language = QComboBox(page)
        # Language names are shown in their own language, so anyone can find theirs.
        for label, value in (
            (self.tr("Follow the system"), "system"),
            ("简体中文", "zh_CN"),
            ("English", "en"),
        ):
            self.language.addItem(label, value)
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        _named(self.language, self.tr("Language"))
        self.language_note = QLabel(self.tr("A new language applies after Hearth restarts."), page)
        self.language_note.setWordWrap(True)
        form.addRow(self.tr("Theme:"), self.theme)
        form.addRow(self.tr("Language:"), self.language)
        form.addRow(self.language_note)
        return page

    def _privacy_tab(self, settings: Settings) -> QWidget:
        page = QWidget(self)
        form = QFormLayout(page)
        self.offline = QCheckBox(self.tr("Offline mode: never use the network"), page)
        self.offline.setChecked(settings.offline)
        _named(self.offline, self.tr("Offline mode"))
        self.source = QComboBox(page)
        for label, value in (
            (self.tr("Fastest (test each source)"), "auto"),
            (self.tr("Hugging Face"), "huggingface"),
            (self.tr("Hugging Face mirror"), "mirror"),
            (self.tr("ModelScope (魔搭)"), "modelscope"),
        ):
            self.source.addItem(label, value)
        self.source.setCurrentIndex(max(0, self.source.findData(settings.source_preference)))
        _named(self.source, self.tr("Preferred download source"))
        self.endpoint = QLineEdit(settings.custom_hf_endpoint, page)
        self.endpoint.setPlaceholderText("https://hf-mirror.example.com")
        _named(self.endpoint, self.tr("Your own Hugging Face mirror"))
        log_button = QPushButton(self.tr("Show the network log…"), page)
        _named(log_button, self.tr("Show the network log"))
        log_button.clicked.connect(self.network_log_requested)
        note = QLabel(
            self.tr(
                "Hearth only goes online to download models you ask for. It sends no "
                "telemetry, checks for no updates and uploads no crash reports."
            ),
            page,
        )
        note.setWordWrap(True)
        form.addRow(self.offline)
        form.addRow(self.tr("Download from:"), self.source)
        form.addRow(self.tr("Your own mirror:"), self.endpoint)
        form.addRow(note)
        form.addRow(log_button)
        return page

    # --- outcome ---
    def _restore_sampling_defaults(self) -> None:
        base = SamplingParams()
        self.temperature.setValue(base.temperature)
        self.top_p.setValue(base.top_p)
        self.top_k.setValue(base.top_k)
        self.min_p.setValue(base.min_p)
        self.repeat_penalty.setValue(base.repeat_penalty)
        self.max_tokens.setValue(base.max_tokens)
        self.random_seed.setChecked(True)
        self.budget_enabled.setChecked(False)
        self.loop_guard.setChecked(base.loop_guard)

    def chosen_sampling(self) -> SamplingParams:
        return SamplingParams(
            temperature=round(self.temperature.value(), 4),
            top_p=round(self.top_p.value(), 4),
            top_k=self.top_k.value(),
            min_p=round(self.min_p.value(), 4),
            repeat_penalty=round(self.repeat_penalty.value(), 4),
            max_tokens=self.max_tokens.value(),
            seed=None if self.random_seed.isChecked() else self.seed.value(),
            thinking_budget=self.budget.value() if self.budget_enabled.isChecked() else None,
            loop_guard=self.loop_guard.isChecked(),
        )

    def validation_error(self) -> str:
        endpoint = self.endpoint.text().strip()
        if endpoint and not endpoint.startswith("https://"):
            return self.tr(
                "Your own mirror must be an https:// address, so downloads stay encrypted."
            )
        return ""

    def _accept_if_valid(self) -> None:
        error = self.validation_error()
        if error:
            self.error_label.setText(error)
            self.error_label.setVisible(True)
            return
        self.accept()

    def result_settings(self) -> Settings:
        """The edited settings. Chat-only sampling leaves the global sampling unchanged."""
        context = int(self.context.currentData() or 0)
        sampling = (
            self._settings.sampling if self.for_this_chat.isChecked() else self.chosen_sampling()
        )
        return replace(
            self._settings,
            threads=self.threads.value(),
            prompt_threads=self.prompt_threads.value(),
            context_length=min(MAX_CONTEXT, max(MIN_CONTEXT, context)) if context else 0,
            flash_attention=self.flash_attention.currentData(),
            kv_cache_type=self.kv_cache.currentData(),
            sampling=sampling,
            system_prompt=self.system_prompt.toPlainText().strip(),
            theme=self.theme.currentData(),
            language=self.language.currentData(),
            source_preference=self.source.currentData(),
            custom_hf_endpoint=self.endpoint.text().strip().rstrip("/"),
            offline=self.offline.isChecked(),
            **self.api_tab.values(),
        )

    def chat_overrides(self) -> dict[str, Any] | None:
        """Per-chat sampling overrides to store, or None to clear them."""
        if not self.for_this_chat.isChecked():
            return None
        return sampling_overrides(self._settings.sampling, self.chosen_sampling())
