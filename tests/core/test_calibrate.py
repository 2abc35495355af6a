"""Flash attention / KV-cache type: the decision, the cache, and the engine honouring it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from app.core import calibrate
from app.core.calibrate import (
    AttentionConfig,
    CalibrationCache,
    Measurement,
    decide,
    resolve_attention,
)
from app.core.cancel import CancelToken
from app.core.errors import CancelledError
from app.core.paths import AppPaths

# --- the decision -------------------------------------------------------------------------


def test_flash_attention_loses_when_slower_at_both_depths() -> None:
    # The Zen 3 figures: off 18.8 / 12.2 tok/s, on 16.4 / 11.65.
    assert not decide(Measurement(18.8, 12.2, 3000), Measurement(16.4, 11.65, 3000))


def test_flash_attention_wins_when_clearly_faster_overall() -> None:
    assert decide(Measurement(18.0, 9.0, 512), Measurement(17.8, 12.0, 512))


def test_a_win_inside_the_noise_margin_keeps_it_off() -> None:
    off = Measurement(20.0, 10.0, 512)
    on = Measurement(20.2, 10.1, 512)  # 1% faster: noise
    assert not decide(off, on)


def test_a_failed_measurement_never_wins() -> None:
    assert not decide(Measurement(20.0, 10.0, 512), Measurement(0.0, 12.0, 512))
    assert decide(Measurement(0.0, 0.0, 0), Measurement(20.0, 10.0, 512))


# --- resolving a setting ------------------------------------------------------------------


class FakeMeasurer:
    def __init__(self, off: Measurement, on: Measurement) -> None:
        self.results = {False: off, True: on}
        self.calls: list[tuple[bool, int]] = []

    def __call__(self, flash_attn: bool, depth: int, cancel: CancelToken | None) -> Measurement:
        self.calls.append((flash_attn, depth))
        return self.results[flash_attn]


def _auto(
    cache: CalibrationCache, measurer: FakeMeasurer, key: str = "cpu|model"
) -> calibrate.AttentionChoice:
    return resolve_attention("auto", "f16", cache=cache, key=lambda: key, measurer=measurer)


@pytest.mark.parametrize("cache_type", ["q8_0", "q4_0"])
@pytest.mark.parametrize("mode", ["auto", "off", "on"])
def test_a_quantized_cache_forces_flash_attention_on(mode: str, cache_type: str) -> None:
    choice = resolve_attention(mode, cache_type)  # type: ignore[arg-type]
    assert choice.config.flash_attn is True
    assert choice.config.cache_type == cache_type
    assert choice.source == ("setting" if mode == "on" else "required")


@pytest.mark.parametrize(("mode", "expected"), [("on", True), ("off", False)])
def test_an_explicit_setting_is_used_as_is(mode: str, expected: bool) -> None:
    choice = resolve_attention(mode, "f16")  # type: ignore[arg-type]
    assert (choice.config.flash_attn, choice.source) == (expected, "setting")


def test_auto_without_a_cache_follows_the_rule() -> None:
    choice = resolve_attention("auto", "f16")
    assert (choice.config.flash_attn, choice.source) == (False, "rule")


def test_auto_measures_once_then_uses_the_cache(tmp_path: Path) -> None:
    cache = CalibrationCache(tmp_path / "calibration.json")
    measurer = FakeMeasurer(Measurement(18.0, 9.0, 300), Measurement(17.5, 12.0, 300))
    first = _auto(cache, measurer)
    assert first.source == "calibrated" and first.config.flash_attn is True
    # The second setting is measured at the depth the first one reached.
    assert measurer.calls == [(False, calibrate.CALIBRATION_DEPTH), (True, 300)]
    assert first.measured["off@300"] == pytest.approx(9.0)
    second = _auto(cache, measurer)
    assert second.source == "cached" and second.config.flash_attn is True
    assert len(measurer.calls) == 2
    assert second.provenance() == {
        "flash_attn": True,
        "kv_cache_type": "f16",
        "flash_attn_choice": "cached",
    }


def test_the_cache_is_per_key(tmp_path: Path) -> None:
    cache = CalibrationCache(tmp_path / "calibration.json")
    slow_fa = FakeMeasurer(Measurement(20.0, 12.0, 512), Measurement(16.0, 11.0, 512))
    fast_fa = FakeMeasurer(Measurement(16.0, 8.0, 512), Measurement(20.0, 12.0, 512))
    assert _auto(cache, slow_fa, "cpu A|model").config.flash_attn is False
    assert _auto(cache, fast_fa, "cpu B|model").config.flash_attn is True
    assert _auto(cache, fast_fa, "cpu A|model").source == "cached"
    entries = json.loads(cache.path.read_text(encoding="utf-8"))["entries"]
    assert set(entries) == {"cpu A|model", "cpu B|model"}


@pytest.mark.parametrize(
    "content", ["not json", json.dumps({"version": 99, "entries": {}}), json.dumps([1, 2])]
)
def test_a_bad_or_foreign_cache_file_means_measure_again(tmp_path: Path, content: str) -> None:
    path = tmp_path / "calibration.json"
    path.write_text(content, encoding="utf-8")
    measurer = FakeMeasurer(Measurement(18.0, 9.0, 512), Measurement(16.0, 8.0, 512))
    choice = _auto(CalibrationCache(path), measurer)
    assert choice.source == "calibrated" and len(measurer.calls) == 2
    assert CalibrationCache(path).get("cpu|model") == (False, choice.measured)


def test_cancel_during_calibration_raises_and_caches_nothing(tmp_path: Path) -> None:
    cache = CalibrationCache(tmp_path / "calibration.json")
    token = CancelToken()

    def measurer(flash_attn: bool, depth: int, cancel: CancelToken | None) -> Measurement:
        token.cancel()
        return Measurement(10.0, 5.0, depth)

    with pytest.raises(CancelledError):
        resolve_attention("auto", "f16", cache=cache, key=lambda: "k", measurer=measurer,
                          cancel=token)  # fmt: skip
    assert not cache.path.exists()


# --- RAM figures and validation -----------------------------------------------------------


def test_kv_bytes_shrink_with_the_cache_type() -> None:
    f16 = 28 * 1024  # DeepSeek-R1-Distill-Qwen-1.5B
    assert calibrate.kv_bytes_per_token(f16, "f16") == f16
    assert calibrate.kv_bytes_per_token(f16, "q8_0") == pytest.approx(f16 * 34 / 64, abs=1)
    assert calibrate.kv_bytes_per_token(f16, "q4_0") == pytest.approx(f16 * 18 / 64, abs=1)
    assert calibrate.kv_cache_bytes(f16, 4096, "f16") == 4096 * f16


def test_a_quantized_cache_without_flash_attention_is_refused() -> None:
    with pytest.raises(ValueError, match="flash attention"):
        AttentionConfig(flash_attn=False, cache_type="q8_0")
    with pytest.raises(ValueError, match="unknown"):
        AttentionConfig(flash_attn=True, cache_type="q2")  # type: ignore[arg-type]


# --- the engine honours it (tiny random-weight model) -------------------------------------


@pytest.mark.parametrize(
    ("mode", "cache_type", "flash_attn"),
    [("off", "f16", False), ("on", "f16", True), ("auto", "q8_0", True), ("off", "q4_0", True)],
)
def test_the_engine_loads_with_each_combination(
    tiny_model_q: Path, mode: str, cache_type: str, flash_attn: bool
) -> None:
    from app.core.cancel import TurnControl
    from app.core.chat import ChatMessage, SamplingParams, TurnFinished, TurnRequest
    from app.core.engines.llama import load_engine

    engine = load_engine(tiny_model_q, n_ctx=512, n_threads=1, flash_attn=mode,  # type: ignore[arg-type]
                         cache_type=cache_type)  # type: ignore[arg-type]  # fmt: skip
    try:
        assert engine.native.attention == AttentionConfig(flash_attn, cache_type)  # type: ignore[arg-type]
        details = engine.engine_info.details
        assert details["flash_attn"] is flash_attn
        assert details["kv_cache_type"] == cache_type
        request = TurnRequest(
            messages=(ChatMessage("user", "hi"),),
            params=SamplingParams(temperature=0.0, max_tokens=4, seed=1),
        )
        events = list(engine.stream_turn(request, TurnControl()))
        assert isinstance(events[-1], TurnFinished)
        assert events[-1].stats.generated_tokens > 0
    finally:
        engine.close()


def test_auto_calibrates_the_real_model_once(tiny_model_q: Path, tmp_path: Path) -> None:
    from app.core.engines.llama import load_engine

    cache_file = tmp_path / "calibration.json"
    first = load_engine(tiny_model_q, n_ctx=512, n_threads=1, calibration_file=cache_file)
    first.close()
    assert first.engine_info.details["flash_attn_choice"] == "calibrated"
    entry = next(iter(json.loads(cache_file.read_text(encoding="utf-8"))["entries"].values()))
    assert set(entry["measured"]) >= {"off@0", "on@0"}
    assert all(speed > 0 for speed in entry["measured"].values())
    second = load_engine(tiny_model_q, n_ctx=512, n_threads=1, calibration_file=cache_file)
    second.close()
    assert second.engine_info.details["flash_attn_choice"] == "cached"
    assert second.engine_info.details["flash_attn"] == entry["flash_attn"]


def test_the_native_measurer_stays_within_its_depth(tiny_model_q: Path) -> None:
    measure: Callable[..., Measurement] = calibrate.native_measurer(tiny_model_q, n_threads=1)
    result = measure(False, 64, None)
    assert 0 < result.depth <= 64
    assert result.shallow_tok_s > 0 and result.deep_tok_s > 0


def test_the_choice_is_recorded_in_the_answers_provenance(
    tiny_model_q: Path, isolated_app_dirs: AppPaths
) -> None:
    import threading

    from app.core.chat import SamplingParams
    from app.core.engines.llama import load_engine
    from app.core.host import EngineHost
    from app.core.session import ChatSession, TurnEnded, TurnOptions
    from app.core.store import ChatStore

    engine = load_engine(tiny_model_q, n_ctx=512, n_threads=1, flash_attn="on")
    host = EngineHost(engine)
    store = ChatStore.open(isolated_app_dirs.database)
    ended: list[TurnEnded] = []
    done = threading.Event()

    def listener(event: object) -> None:
        if isinstance(event, TurnEnded):
            ended.append(event)
            done.set()

    options = TurnOptions(params=SamplingParams(temperature=0.0, max_tokens=4, seed=1))
    session = ChatSession(store, host, options=lambda _id: options, listener=listener)
    try:
        session.ask("hi")
        assert done.wait(60)
        assert ended[0].message is not None
        engine_record = ended[0].message.provenance["engine"]
        assert engine_record["flash_attn"] is True
        assert engine_record["kv_cache_type"] == "f16"
        assert engine_record["flash_attn_choice"] == "setting"
    finally:
        session.close()
        assert host.close(timeout=10.0)
        store.close()
