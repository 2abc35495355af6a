"""The inference worker: one long-lived QObject that owns the engine, on its own QThread.

Requests go in by queued signals from :class:`InferenceClient` (which lives on the GUI
thread); results come out as past-tense signals carrying the request id. Stop and
"answer now" are thread-safe flags on a :class:`~app.core.cancel.TurnControl`, set
directly from the GUI thread, so they land between tokens and between prompt batches
(and inside a batch, through llama.cpp's abort callback) without waiting for the
worker's event loop.

Token deltas are batched on the worker side (~40 ms) so the GUI thread receives a
handful of small signals per second instead of one per token.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.core.cancel import CancelToken, TurnControl
from app.core.chat import (
    AnswerDelta,
    ContextTrimmed,
    PromptProgress,
    ReasoningClosed,
    ReasoningDelta,
    TurnFinished,
    TurnRequest,
    TurnStats,
)
from app.core.errors import CancelledError, HearthError

log = logging.getLogger(__name__)

#: How often the worker hands batched text to the GUI thread.
BATCH_INTERVAL_S = 0.040


@dataclass(frozen=True, slots=True)
class LoadRequest:
    path: str
    n_ctx: int
    n_threads: int


class InferenceWorker(QObject):
    """Lives on the inference thread. Only this object touches the engine."""

    # --- results (past tense, with the request id) ---
    model_loaded = Signal(int, object, str)  # request id, ModelInfo, template warning ("" if none)
    model_load_failed = Signal(int, str)  # request id, human message
    prompt_progressed = Signal(int, int, int)  # request id, done, total
    context_trimmed = Signal(int, int)  # request id, messages dropped
    tokens_ready = Signal(int, str, str)  # request id, reasoning delta, answer delta
    reasoning_counted = Signal(int, int)  # request id, reasoning tokens so far
    reasoning_closed = Signal(int, str)  # request id, reason
    turn_finished = Signal(int, str, object)  # request id, finish reason, TurnStats
    turn_failed = Signal(int, str)  # request id, human message
    shut_down = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._engine: Any = None

    @Slot(int, object, object)
    def load_model(self, request_id: int, request: LoadRequest, cancel: CancelToken) -> None:
        from app.core.engine import Engine

        self._close_engine()
        try:
            engine = Engine.load(
                request.path, n_ctx=request.n_ctx, n_threads=request.n_threads, cancel=cancel
            )
        except CancelledError:
            self.model_load_failed.emit(request_id, "")
            return
        except HearthError as exc:
            log.warning("model load failed: %s (%s)", exc, exc.detail)
            self.model_load_failed.emit(request_id, str(exc))
            return
        except Exception as exc:  # a bug or a native failure: report it, keep running
            log.exception("unexpected error while loading a model")
            self.model_load_failed.emit(request_id, f"The model could not be loaded: {exc}")
            return
        self._engine = engine
        self.model_loaded.emit(request_id, engine.info, engine.template_warning or "")

    @Slot(int, object, object)
    def run_turn(self, request_id: int, request: TurnRequest, control: TurnControl) -> None:
        if self._engine is None:
            self.turn_failed.emit(request_id, "No model is loaded. Open a model file first.")
            return
        reasoning_parts: list[str] = []
        answer_parts: list[str] = []
        last_flush = time.monotonic()
        # The engine yields one reasoning delta per generated token, so counting them gives
        # the live "Thinking… N tokens" figure exactly (text length would not, e.g. for CJK).
        reasoning_tokens = 0

        def flush() -> None:
            nonlocal last_flush
            if reasoning_parts:
                self.reasoning_counted.emit(request_id, reasoning_tokens)
            if reasoning_parts or answer_parts:
                self.tokens_ready.emit(request_id, "".join(reasoning_parts), "".join(answer_parts))
                reasoning_parts.clear()
                answer_parts.clear()
            last_flush = time.monotonic()

        try:
            for event in self._engine.stream_turn(request, control):
                if isinstance(event, AnswerDelta):
                    answer_parts.append(event.text)
                elif isinstance(event, ReasoningDelta):
                    reasoning_parts.append(event.text)
                    reasoning_tokens += 1
                elif isinstance(event, PromptProgress):
                    self.prompt_progressed.emit(request_id, event.done, event.total)
                    continue
                elif isinstance(event, ReasoningClosed):
                    flush()
                    self.reasoning_closed.emit(request_id, event.reason)
                    continue
                elif isinstance(event, ContextTrimmed):
                    self.context_trimmed.emit(request_id, event.dropped)
                    continue
                elif isinstance(event, TurnFinished):
                    flush()
                    self.turn_finished.emit(request_id, event.reason, event.stats)
                    return
                if time.monotonic() - last_flush >= BATCH_INTERVAL_S:
                    flush()
        except HearthError as exc:
            flush()
            log.warning("turn %d failed: %s (%s)", request_id, exc, exc.detail)
            self.turn_failed.emit(request_id, str(exc))
            return
        except Exception as exc:
            flush()
            log.exception("unexpected error during generation")
            self.turn_failed.emit(request_id, f"Generation stopped because of an error: {exc}")
            return
        # The engine always ends with TurnFinished; reaching here means it did not.
        flush()
        self.turn_finished.emit(request_id, "stop", TurnStats())

    @Slot()
    def shutdown(self) -> None:
        self._close_engine()
        self.shut_down.emit()
        thread = QThread.currentThread()
        thread.quit()

    def _close_engine(self) -> None:
        if self._engine is not None:
            try:
                self._engine.close()
            except Exception:
                log.exception("closing the engine failed")
            self._engine = None


class InferenceClient(QObject):
    """The GUI thread's handle on the inference worker.

    It owns the worker thread, hands out request ids, forwards stop/answer-now as flags,
    and re-emits only the results of the current request (stale ids are dropped).
    """

    model_loading = Signal(str)  # path
    model_loaded = Signal(object, str)  # ModelInfo, template warning
    model_load_failed = Signal(str)  # human message ("" when cancelled)
    prompt_progressed = Signal(int, int)
    context_trimmed = Signal(int)
    tokens_ready = Signal(str, str)
    reasoning_counted = Signal(int)
    reasoning_closed = Signal(str)
    turn_finished = Signal(str, object)  # reason, TurnStats
    turn_failed = Signal(str)

    # Requests to the worker: queued across threads because the worker lives elsewhere.
    _load_requested = Signal(int, object, object)
    _turn_requested = Signal(int, object, object)
    _shutdown_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._current_turn = 0
        self._current_load = 0
        self._control: TurnControl | None = None
        self._load_cancel: CancelToken | None = None
        self._model_info: Any = None
        self._thread = QThread()
        self._thread.setObjectName("inference")
        self._worker = InferenceWorker()
        self._worker.moveToThread(self._thread)
        self._load_requested.connect(self._worker.load_model)
        self._turn_requested.connect(self._worker.run_turn)
        self._shutdown_requested.connect(self._worker.shutdown)
        self._worker.model_loaded.connect(self._on_model_loaded)
        self._worker.model_load_failed.connect(self._on_model_load_failed)
        self._worker.prompt_progressed.connect(self._on_prompt_progressed)
        self._worker.context_trimmed.connect(self._on_context_trimmed)
        self._worker.tokens_ready.connect(self._on_tokens_ready)
        self._worker.reasoning_counted.connect(self._on_reasoning_counted)
        self._worker.reasoning_closed.connect(self._on_reasoning_closed)
        self._worker.turn_finished.connect(self._on_turn_finished)
        self._worker.turn_failed.connect(self._on_turn_failed)
        self._thread.start()
        self._running = True

    # --- state ---
    @property
    def model_info(self) -> Any:
        return self._model_info

    @property
    def is_generating(self) -> bool:
        return self._control is not None

    @property
    def is_loading(self) -> bool:
        return self._load_cancel is not None

    # --- requests ---
    def load_model(self, path: str | Path, *, n_ctx: int, n_threads: int) -> int:
        self.stop()
        if self._load_cancel is not None:
            self._load_cancel.cancel()
        request_id = next(self._ids)
        self._current_load = request_id
        self._load_cancel = CancelToken()
        self._model_info = None
        self.model_loading.emit(str(path))
        self._load_requested.emit(
            request_id, LoadRequest(str(path), n_ctx, n_threads), self._load_cancel
        )
        return request_id

    def start_turn(self, request: TurnRequest) -> int:
        self.stop()
        request_id = next(self._ids)
        self._current_turn = request_id
        self._control = TurnControl()
        self._turn_requested.emit(request_id, request, self._control)
        return request_id

    def stop(self) -> None:
        """Stop the current turn at once: a flag the decode loop and abort callback read."""
        if self._control is not None:
            self._control.cancel()

    def answer_now(self) -> None:
        if self._control is not None:
            self._control.request_answer_now()

    def shutdown(self, timeout_ms: int = 1000) -> bool:
        """Stop everything and join the worker thread. True if it ended in time."""
        if not self._running:
            return True
        self._running = False
        self.stop()
        if self._load_cancel is not None:
            self._load_cancel.cancel()
        self._shutdown_requested.emit()
        finished = self._thread.wait(timeout_ms)
        if not finished:
            log.warning("inference thread did not stop within %d ms", timeout_ms)
        return bool(finished)

    # --- results from the worker (GUI thread) ---
    @Slot(int, object, str)
    def _on_model_loaded(self, request_id: int, info: Any, warning: str) -> None:
        if request_id != self._current_load:
            return
        self._load_cancel = None
        self._model_info = info
        self.model_loaded.emit(info, warning)

    @Slot(int, str)
    def _on_model_load_failed(self, request_id: int, message: str) -> None:
        if request_id != self._current_load:
            return
        self._load_cancel = None
        self.model_load_failed.emit(message)

    @Slot(int, int, int)
    def _on_prompt_progressed(self, request_id: int, done: int, total: int) -> None:
        if request_id == self._current_turn and self._control is not None:
            self.prompt_progressed.emit(done, total)

    @Slot(int, int)
    def _on_context_trimmed(self, request_id: int, dropped: int) -> None:
        if request_id == self._current_turn:
            self.context_trimmed.emit(dropped)

    @Slot(int, str, str)
    def _on_tokens_ready(self, request_id: int, reasoning: str, answer: str) -> None:
        if request_id == self._current_turn:
            self.tokens_ready.emit(reasoning, answer)

    @Slot(int, int)
    def _on_reasoning_counted(self, request_id: int, count: int) -> None:
        if request_id == self._current_turn:
            self.reasoning_counted.emit(count)

    @Slot(int, str)
    def _on_reasoning_closed(self, request_id: int, reason: str) -> None:
        if request_id == self._current_turn:
            self.reasoning_closed.emit(reason)

    @Slot(int, str, object)
    def _on_turn_finished(self, request_id: int, reason: str, stats: Any) -> None:
        if request_id != self._current_turn:
            return
        self._control = None
        self.turn_finished.emit(reason, stats)

    @Slot(int, str)
    def _on_turn_failed(self, request_id: int, message: str) -> None:
        if request_id != self._current_turn:
            return
        self._control = None
        self.turn_failed.emit(message)
