"""``bench --engine URL`` against the fake server: both clients run and the figures print."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.core.engines.remote_bench import run_remote_bench
from app.core.network import NetworkGateway
from tests.support.fake_openai import FakeOpenAI


def test_the_remote_bench_runs_both_clients_on_one_server(
    fake_openai_factory: Callable[..., FakeOpenAI], tmp_path: Path
) -> None:
    server = fake_openai_factory(owned_by="vllm")
    gateway = NetworkGateway(log_path=tmp_path / "network-log.jsonl")
    try:
        result = run_remote_bench(gateway, f"127.0.0.1:{server.port}", runs=2, max_tokens=16)
    finally:
        gateway.close()
    assert result.model == "fake-r1" and result.server == "vLLM"
    assert len(result.engine) == len(result.bare) == 2
    assert all(run.chunks == 6 and run.ttft_ms > 0 for run in result.engine + result.bare)
    table = result.table()
    assert "| bare gateway + SSE |" in table and "| Hearth remote engine |" in table
    assert "Hearth adds" in table and "Stop mid-answer" in table
    # probe + warm-up + 2 x (bare, engine) + the stop run, all through the gateway.
    assert len(server.chat_requests) == 6
    assert set(result.to_dict()) >= {"ttft_added_ms", "time_added_pct", "stop_ms"}
