"""Benchmark the chat store at scale and print the figures.

    .venv/bin/python scripts/bench_store.py [--conversations 10000] [--messages 200000]
                                            [--dir DIR] [--keep] [--seed 1]

Builds a store of mixed Chinese/English chats (bulk insert: one transaction, the real
schema and triggers), then measures:

- opening the store and listing the sidebar (goal <= 300 ms; the store part only),
- search latency for several queries, including Chinese and a 2-character query that
  falls back to LIKE (goal <= 100 ms),
- one streaming save tick (``save_streaming`` of an answer growing to 20 KB), and the
  final ``finish_message`` that indexes it.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.core.store import FULL_CHECK_MAX_BYTES, ChatStore

_CHINESE_WORDS = """
鸡兔同笼 问题 可以 用 方程组 来 解 设 鸡 有 x 只 兔 有 y 只 头 的 总数 是 三十五 脚 的 总数 是
九十四 所以 快速排序 的 基本 思想 是 分治 选择 一个 基准 元素 把 数组 分成 两部分 递归
如果 所有 A 都是 B 有些 B 是 C 能否 推出 有些 A 是 C 不能 因为 三段论 需要 中项 周延
我们 先 计算 然后 验证 结果 这个 答案 正确 吗 让 我 再 想想 时间 复杂度 空间 复杂度
机器 学习 模型 推理 上下文 长度 温度 采样 离线 隐私 本地 运行 中文 英文 翻译 总结
"""
_ENGLISH_WORDS = """
the a of and to in is that for it as with be on not this are by or from at which but
quicksort pivot partition recursion array python function return list dictionary key
sort value chicken rabbit heads legs equation solve answer check reasoning step first
then therefore because syllogism premise conclusion valid invalid model context token
privacy offline local memory thread speed benchmark search index store message chat
let me think again wait actually so the result is we need to verify this carefully
"""
CHINESE = tuple(_CHINESE_WORDS.split())
ENGLISH = tuple(_ENGLISH_WORDS.split())


def sentence(rng: random.Random, chars: int) -> str:
    """About ``chars`` characters of mixed text, mostly one language per sentence."""
    words = CHINESE if rng.random() < 0.5 else ENGLISH
    other = ENGLISH if words is CHINESE else CHINESE
    parts: list[str] = []
    length = 0
    joiner = "" if words is CHINESE else " "
    while length < chars:
        word = rng.choice(other if rng.random() < 0.1 else words)
        parts.append(word)
        length += len(word) + len(joiner)
    return joiner.join(parts)[:chars]


def generate(store: ChatStore, conversations: int, messages: int, seed: int) -> None:
    """Bulk-insert the synthetic history in one transaction (triggers keep FTS in step)."""
    rng = random.Random(seed)
    per_conversation = [2] * conversations
    for _ in range((messages - 2 * conversations) // 2):
        per_conversation[rng.randrange(conversations)] += 2
    now = time.time()
    start = now - 2 * 365 * 86400
    step = (now - start) / conversations
    conn = store.connection
    conn.execute("BEGIN")
    conversation_rows = []
    message_rows = []
    for c in range(conversations):
        conversation_id = str(uuid.uuid4())
        created = start + c * step
        at = created
        parent: str | None = None
        leaf = ""
        title = sentence(rng, rng.randint(8, 30))
        for turn in range(per_conversation[c] // 2):
            question_id, answer_id = str(uuid.uuid4()), str(uuid.uuid4())
            at += rng.uniform(5, 120)
            message_rows.append(
                (
                    question_id,
                    conversation_id,
                    parent,
                    "user",
                    sentence(rng, rng.randint(15, 80)),
                    "",
                    "finished",
                    at,
                    at,
                    "{}",
                )
            )
            at += rng.uniform(2, 60)
            reasoning = sentence(rng, rng.randint(50, 400)) if rng.random() < 0.5 else ""
            message_rows.append(
                (
                    answer_id,
                    conversation_id,
                    question_id,
                    "assistant",
                    sentence(rng, rng.randint(60, 400)),
                    reasoning,
                    "finished",
                    at,
                    at,
                    '{"model": {"file": "DeepSeek-R1-Distill-Qwen-1.5B-Q4_K_M.gguf"}}',
                )
            )
            parent = leaf = answer_id
            del turn
        conversation_rows.append(
            (conversation_id, title, created, at, int(rng.random() < 0.01), "{}", leaf)
        )
    conn.executemany(
        "INSERT INTO conversations (id, title, created, updated, pinned, settings_json, "
        "active_leaf_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
        conversation_rows,
    )
    conn.executemany(
        "INSERT INTO messages (id, conversation_id, parent_id, role, content, reasoning, state, "
        "created, updated, provenance_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        message_rows,
    )
    conn.execute("COMMIT")


def timed(action: Callable[[], object], repeat: int) -> tuple[list[float], object]:
    times: list[float] = []
    result: object = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"median {statistics.median(times):7.2f} ms  p99 {p99:7.2f} ms  max {max(times):7.2f} ms"


def growing_answer(rng: random.Random, total_bytes: int, step: int) -> Iterator[str]:
    text = ""
    while len(text.encode("utf-8")) < total_bytes:
        text += sentence(rng, step)
        yield text


def ensure_store(db: Path, conversations: int, messages: int, seed: int) -> int:
    """Generate the synthetic store at ``db`` unless it exists; returns its size in bytes."""
    if db.exists():
        print(f"using the existing store {db}")
    else:
        started = time.perf_counter()
        with ChatStore.open(db) as store:
            generate(store, conversations, messages, seed)
        print(
            f"generated {conversations} conversations / {messages} messages in "
            f"{time.perf_counter() - started:.1f} s"
        )
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--dir", type=Path, help="where to build the store (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated store")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=7, help="runs per measurement")
    args = parser.parse_args()

    root = args.dir or Path(tempfile.mkdtemp(prefix="hearth-bench-"))
    db = root / "chats.sqlite3"
    try:
        size = ensure_store(db, args.conversations, args.messages, args.seed)
        print(f"database: {db} ({size / 1e6:.0f} MB)")

        print("\n== open the store + list the sidebar (goal <= 300 ms) ==")
        stores: list[ChatStore] = []

        def open_and_list() -> int:
            store = ChatStore.open(db)
            stores.append(store)
            return len(store.list_conversations())

        times, rows = timed(open_and_list, args.repeat)
        for store in stores:
            store.close()
        print(f"open + list ({rows} rows): {summary(times)}  (first run {times[0]:.1f} ms)")
        store = ChatStore.open(db)
        times, _ = timed(lambda: ChatStore.open(db).close(), args.repeat)
        print(f"open alone:              {summary(times)}")
        times, _ = timed(store.list_conversations, args.repeat)
        print(f"list alone:              {summary(times)}")
        newest = store.list_conversations()[0].id
        times, path = timed(lambda: store.active_path(newest), args.repeat)
        print(f"active_path ({len(path)} msgs):    {summary(times)}")  # type: ignore[arg-type]
        times, _ = timed(lambda: store.connection.execute("PRAGMA quick_check").fetchall(), 1)
        limit_mb = FULL_CHECK_MAX_BYTES // 2**20
        print(
            f"(quick_check of this store: {times[0]:.0f} ms; "
            f"open runs it only up to {limit_mb} MiB)"
        )

        print("\n== search (goal <= 100 ms), 50 results max ==")
        queries = [
            "鸡兔同笼",
            "快速排序",
            "三段论 中项",
            "方程",
            "兔",
            "python",
            "quicksort pivot",
            "verify this carefully",
            "zebra",
            "qz",
            '"AND" *',
        ]
        for query in queries:
            times, hits = timed(lambda q=query: store.search(q, limit=50), args.repeat)
            kind = "short" if all(len(t) < 3 for t in query.split()) else "FTS"
            print(f"{query!r:28} {kind:5} {len(hits):3} hits  {summary(times)}")  # type: ignore[arg-type]

        print("\n== streaming save tick (answer growing to 20 KB of UTF-8, 60 chars per tick) ==")
        rng = random.Random(args.seed + 1)
        conversation = store.create_conversation("bench stream")
        _, answer = store.start_turn(conversation.id, None, "stream please")
        ticks: list[float] = []
        text = ""
        for text in growing_answer(rng, 20_000, 60):
            started = time.perf_counter()
            store.save_streaming(answer.id, text, "")
            ticks.append((time.perf_counter() - started) * 1000)
        print(
            f"save_streaming x{len(ticks)} (final {len(text.encode()) / 1000:.0f} KB): "
            f"{summary(ticks)}  last {ticks[-1]:.2f} ms"
        )
        started = time.perf_counter()
        store.finish_message(answer.id, content=text, reasoning="", state="finished")
        print(f"finish_message (indexes 20 KB): {(time.perf_counter() - started) * 1000:.2f} ms")
        store.delete_conversation(conversation.id)
        store.purge_deleted()
        store.close()
    finally:
        if not args.keep and args.dir is None:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
