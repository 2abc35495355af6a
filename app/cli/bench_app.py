"""The app layer (L4) of ``python -m app bench``: the real ``InferenceClient`` (over the
engine host) and ``MainWindow`` offscreen, with a 5 ms QTimer heartbeat on the GUI thread
recording how late it fires; and the tok/s chart.

Split from ``app/cli/bench.py`` (the harness, L1 reference and L3 engine layers).
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from app.cli.bench import HEARTBEAT_MS, BenchConfig, _params, _say, filler_text

# --- L4: the app ---------------------------------------------------------------------------


class Heartbeat:
    """A 5 ms QTimer on the GUI thread; records how late each tick fires while active."""

    def __init__(self, interval_ms: int = HEARTBEAT_MS) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.interval_s = interval_ms / 1000
        self.lateness_ms: list[float] = []
        #: perf_counter time of each recorded tick, parallel to lateness_ms.
        self.tick_times: list[float] = []
        self.active = False
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.active:
            self.lateness_ms.append(max(0.0, (now - self._last - self.interval_s) * 1000))
            self.tick_times.append(now)
        self._last = now

    def start(self) -> None:
        self._last = time.perf_counter()
        self.active = True

    def pause(self) -> None:
        self.active = False

    def stop(self) -> None:
        self.active = False
        self._timer.stop()


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    """Run the Qt event loop until ``condition()`` holds or the time is up.

    A nested QEventLoop checked by a 10 ms timer: the GUI thread sleeps between events
    instead of spinning (a busy loop would steal a core from the inference thread).
    """
    from PySide6.QtCore import QEventLoop, QTimer

    if condition():
        return True
    loop = QEventLoop()
    deadline = time.perf_counter() + timeout_s

    def check() -> None:
        if condition() or time.perf_counter() > deadline:
            loop.quit()

    poll = QTimer()
    poll.setInterval(10)
    poll.timeout.connect(check)
    poll.start()
    loop.exec()
    poll.stop()
    return condition()


@dataclass(slots=True)
class AppSession:
    window: Any
    client: Any
    store: Any
    heartbeat: Heartbeat
    finished: list[tuple[str, Any, float]]
    first_tokens: list[float]
    event_times: list[float]
    progress: list[float]


def _open_app(model: Path | None, config: BenchConfig, threads: int, data_dir: Path) -> Any:
    """QApplication (offscreen), store, InferenceClient and MainWindow, as the app builds them."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.core.settings import Settings
    from app.core.store import ChatStore
    from app.ui.main_window import MainWindow
    from app.workers.inference import InferenceClient

    app = QApplication.instance() or QApplication(["hearth-bench"])
    store = ChatStore.open(data_dir / "bench-chats.sqlite3")
    client = InferenceClient()
    settings = Settings(
        sampling=_params(config, config.gen_tokens),
        context_length=config.n_ctx,
        threads=threads,
    )
    window = MainWindow(settings=settings, store=store, client=client)
    window.resize(1100, 800)
    window.show()
    from app.main import freeze_startup_objects

    freeze_startup_objects()  # as run_gui does: full collections skip start-up's objects
    session = AppSession(window, client, store, Heartbeat(), [], [], [], [])
    window.controller.generation_finished.connect(
        lambda reason, stats: session.finished.append((reason, stats, time.perf_counter()))
    )
    # What the window shows, as a person sees it: the chat's turns run through the
    # controller's session on the host, not through the client's own turn signals.
    controller = window.controller
    controller.text_arrived.connect(lambda: session.first_tokens.append(time.perf_counter()))
    controller.prompt_progressed.connect(lambda *_: session.progress.append(time.perf_counter()))
    if model is not None:
        loaded: list[Any] = []
        client.model_loaded.connect(lambda info, _warning: loaded.append(info))
        client.model_load_failed.connect(lambda message: loaded.append(message))
        # As window.load_model would, but through a factory whose engine notes the time
        # of each text event: the public way in, instead of reaching into the host.
        client.load_engine(
            partial(_timed_engine, model, settings, session.event_times), label=str(model)
        )
        if not wait_until(lambda: bool(loaded), 120) or isinstance(loaded[0], str):
            raise RuntimeError(f"the app could not load the model: {loaded}")
    _ = app
    return session


class _TimedEngine:
    """The local engine, noting the time of each text event (one list append)."""

    def __init__(self, engine: Any, sink: list[float]) -> None:
        self._engine = engine
        self._sink = sink

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)

    def stream_turn(self, request: Any, control: Any) -> Iterator[Any]:
        from app.core.chat import AnswerDelta, ReasoningDelta

        sink, clock = self._sink, time.perf_counter
        for event in self._engine.stream_turn(request, control):
            if isinstance(event, ReasoningDelta | AnswerDelta):
                sink.append(clock())
            yield event


def _timed_engine(model: Path, settings: Any, sink: list[float], cancel: Any) -> Any:
    from app.core.engines.local_load import LocalLoad
    from app.core.paths import app_paths

    # As the app: the settings' options, "auto" flash attention calibrated (and cached).
    engine = LocalLoad.from_settings(settings, app_paths()).load(model, cancel)
    return _TimedEngine(engine, sink)


def _close_app(session: AppSession) -> None:
    session.heartbeat.stop()
    session.client.shutdown(timeout_ms=5000)
    session.window.close()
    session.window.deleteLater()
    session.store.close()
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _app_turn(session: AppSession, start: Callable[[], Any], timeout_s: float = 600) -> Any:
    """Start a turn, keep the heartbeat on until it finishes; returns (reason, stats, ttft)."""
    session.finished.clear()
    session.first_tokens.clear()
    session.event_times.clear()
    session.heartbeat.start()
    t0 = time.perf_counter()
    start()
    ok = wait_until(lambda: bool(session.finished), timeout_s)
    session.heartbeat.pause()
    if not ok:
        raise RuntimeError("the app's turn did not finish in time")
    reason, stats, _ended = session.finished[0]
    ttft = (session.first_tokens[0] - t0) * 1000 if session.first_tokens else math.nan
    return reason, stats, ttft


def app_phase(model: Path, config: BenchConfig, threads: int, report: Any) -> None:
    from app.core import bench

    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as tmp:
        session = _open_app(model, config, threads, Path(tmp))
        try:
            _app_measure(session, config, report)
        finally:
            _close_app(session)
    lateness = session.heartbeat.lateness_ms
    summary = bench.lateness_summary(lateness)
    report.set("heartbeat_p50_ms", summary["p50"])
    report.set("heartbeat_p99_ms", summary["p99"])
    report.set("heartbeat_max_ms", summary["max"])
    report.set("heartbeat_samples", summary["count"])


def _app_measure(session: AppSession, config: BenchConfig, report: Any) -> None:
    from app.core import bench

    window, controller = session.window, session.window.controller
    host = session.client.host

    def count(text: str) -> int:
        # On the host thread, in queue order: the engine belongs to that thread alone.
        return int(host.call(lambda engine: len(engine.tokenize(text))).result(60))

    _say("L4 app, shallow")
    rates, ttfts = [], []
    for rep in range(config.repetitions):
        controller.new_conversation()
        text = "Explain how a hash map works, step by step." + (f" ({rep})" if rep else "")
        _reason, stats, ttft = _app_turn(session, lambda t=text: controller.send(t))
        rates.append(stats.tokens_per_s)
        ttfts.append(ttft)
    report.set("app_tg_tok_s", bench.median(rates))
    report.set("app_ttft_ms", bench.median(ttfts))
    report.series["app"] = bench.windowed_rates(list(session.event_times), stats.prompt_tokens, 16)

    _say("L4 app, deep (the long exchange is in the chat's history)")
    store = session.store
    conversation = store.create_conversation(title="deep")
    user = store.add_message(
        conversation.id, None, "user", filler_text(count, config.depth // 3, seed=1)
    )
    store.add_message(
        conversation.id, user.id, "assistant", filler_text(count, config.depth * 2 // 3, seed=2)
    )
    controller.open_conversation(conversation.id)
    _set_max_tokens(window, config.deep_gen_tokens)
    deep_rates = []
    for rep in range(config.repetitions):
        if rep == 0:
            start: Callable[[], Any] = partial(
                controller.send, "Now summarise all of that in detail."
            )
        else:
            answer_id = window.chat_view.messages[-1].message_id
            start = lambda a=answer_id: controller.regenerate(a)  # noqa: E731
        _reason, stats, _ttft = _app_turn(session, start)
        deep_rates.append(stats.tokens_per_s)
    report.set("app_tg_deep_tok_s", bench.median(deep_rates))
    report.series["app"] += bench.windowed_rates(list(session.event_times), stats.prompt_tokens, 16)

    _say("stop latency, decode and prefill")
    _set_max_tokens(window, 100000)
    stop_decode, stop_prefill = [], []
    for rep in range(config.stop_repetitions):
        controller.new_conversation()
        stop_decode.append(
            _stop_latency(
                session, f"Tell me a long story ({rep}).", tokens=True, after=config.stop_after_s
            )
        )
        controller.new_conversation()
        long_text = filler_text(count, 2000, seed=100 + rep)
        stop_prefill.append(
            _stop_latency(session, long_text, tokens=False, after=config.stop_after_s)
        )
    report.set("stop_decode_ms", bench.median(stop_decode))
    report.set("stop_prefill_ms", bench.median(stop_prefill))


def _set_max_tokens(window: Any, max_tokens: int) -> None:
    settings = window.settings
    window.settings = replace(settings, sampling=replace(settings.sampling, max_tokens=max_tokens))
    window.controller.settings = window.settings


def _stop_latency(session: AppSession, text: str, *, tokens: bool, after: float) -> float:
    """Milliseconds from Stop to the turn's end, during decode or during prefill.

    Stop is pressed ``after`` seconds into the phase: after the first tokens arrive
    (decode), or after the prompt evaluation has begun (prefill).
    """
    controller = session.window.controller
    session.finished.clear()
    session.first_tokens.clear()
    session.progress.clear()
    session.heartbeat.start()
    controller.send(text)
    phase_started = session.first_tokens if tokens else session.progress
    wait_until(lambda: bool(phase_started) or bool(session.finished), 120)
    target = time.perf_counter() + after
    wait_until(lambda: time.perf_counter() >= target or bool(session.finished), after + 5)
    if session.finished:  # finished before the stop: nothing to measure
        session.heartbeat.pause()
        return math.nan
    stopped = time.perf_counter()
    controller.stop()
    wait_until(lambda: bool(session.finished), 30)
    session.heartbeat.pause()
    if not session.finished:
        return math.nan
    return (session.finished[0][2] - stopped) * 1000


def heartbeat_child(model: Path, config: BenchConfig, threads: int) -> dict[str, float | None]:
    """One app turn with the heartbeat (run in a child so OMP_WAIT_POLICY takes effect)."""
    from app.core import bench

    with tempfile.TemporaryDirectory(prefix="hearth-hb-") as tmp:
        session = _open_app(model, config, threads, Path(tmp))
        try:
            rates = []
            for rep in range(max(1, config.repetitions - 1)):
                session.window.controller.new_conversation()
                text = f"Explain how a hash map works ({rep})."
                _r, stats, _t = _app_turn(session, lambda t=text: session.window.controller.send(t))
                rates.append(stats.tokens_per_s)
        finally:
            _close_app(session)
    summary = bench.lateness_summary(session.heartbeat.lateness_ms)
    figures = {
        "heartbeat_p50_ms": summary["p50"],
        "heartbeat_p99_ms": summary["p99"],
        "heartbeat_max_ms": summary["max"],
        "app_tg_tok_s": bench.median(rates),
    }
    return {k: (None if math.isnan(v) else v) for k, v in figures.items()}


# --- the chart -----------------------------------------------------------------------------

_COLOURS = {
    "reference": "#1f77b4",
    "engine": "#2ca02c",
    "app": "#d62728",
    # The llama-bench anchor (app/core/bench_anchor.py): per build and flash attention.
    "llama-bench FA0": "#000000",
    "llama-bench FA1": "#9467bd",
    "native FA0": "#ff7f0e",
    "native FA1": "#8c564b",
}


def write_chart(series: dict[str, list[tuple[float, float]]], path: Path) -> None:
    """tok/s against context position, one colour per layer (QPainter, no matplotlib)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter, QPen

    _app = QGuiApplication.instance() or QGuiApplication(["hearth-chart"])
    width, height, margin = 900, 500, 70
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    points = [p for values in series.values() for p in values]
    if not points:
        path.parent.mkdir(parents=True, exist_ok=True)
        image.save(str(path))
        return
    x_max = max(x for x, _ in points) * 1.05 or 1.0
    y_max = max(y for _, y in points) * 1.15 or 1.0
    plot = QRectF(margin, 30, width - margin - 20, height - margin - 30)

    def to_screen(x: float, y: float) -> QPointF:
        return QPointF(
            plot.left() + plot.width() * x / x_max, plot.bottom() - plot.height() * y / y_max
        )

    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setFont(QFont("Sans", 9))
    painter.setPen(QPen(QColor("#888888"), 1))
    painter.drawRect(plot)
    for i in range(6):
        y = y_max * i / 5
        p = to_screen(0, y)
        painter.drawText(
            QRectF(0, p.y() - 8, margin - 6, 16), Qt.AlignmentFlag.AlignRight, f"{y:.1f}"
        )
        x = x_max * i / 5
        q = to_screen(x, 0)
        painter.drawText(
            QRectF(q.x() - 30, plot.bottom() + 4, 60, 16), Qt.AlignmentFlag.AlignCenter, f"{x:.0f}"
        )
    axis_label = "context position of the generated token"
    painter.drawText(
        QRectF(plot.left(), height - 24, plot.width(), 18), Qt.AlignmentFlag.AlignCenter, axis_label
    )
    painter.save()
    painter.translate(14, plot.center().y())
    painter.rotate(-90)
    painter.drawText(QRectF(-60, -8, 120, 16), Qt.AlignmentFlag.AlignCenter, "tokens/s")
    painter.restore()
    legend_x = plot.left() + 10
    for name, values in series.items():
        colour = QColor(_COLOURS.get(name, "#555555"))
        painter.setPen(QPen(colour, 2))
        painter.setBrush(colour)
        for x, y in values:
            painter.drawEllipse(to_screen(x, y), 3, 3)
        label = f"● {name}"
        painter.drawText(QPointF(legend_x, 20), label)
        legend_x += painter.fontMetrics().horizontalAdvance(label) + 14
    painter.end()
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(str(path))
