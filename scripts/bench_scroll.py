"""Long chats: time to open one, and the cost of scrolling through it.

    QT_QPA_PLATFORM=offscreen python scripts/bench_scroll.py [--messages 600]

Builds two chats of N messages (about 100k characters each: prose, lists, code and math)
and opens them in the real MainWindow: the open time, then switching between them. Then
the user's way through a long chat: opened at the bottom, scrolled up half a page at a
time to the very top (the view builds older messages as they come near, see
``ChatView.show_lazily``), and back down. A step is one scroll action, its paint and the
events it causes; the GUI thread is blocked for at most that long. Prints p50/p99/max
per step (target: no step over 50 ms, issue 19).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ANSWER = r"""Here is the idea, step by step.

1. Count the heads: $c + r = 35$.
2. Count the legs: $2c + 4r = 94$.

```python
def solve(heads, legs):
    rabbits = (legs - 2 * heads) // 2
    return heads - rabbits, rabbits
```

So the answer is $\boxed{23 \text{ and } 12}$. 中文也没问题：鸡兔同笼。
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=600)
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory() as home:
        os.environ["HEARTH_DATA_DIR"] = home
        sys.path.insert(0, str(ROOT))
        from PySide6.QtWidgets import QApplication

        from app.core.paths import app_paths
        from app.core.settings import Settings
        from app.core.store import ChatStore
        from app.ui.main_window import MainWindow
        from app.workers.inference import InferenceClient

        app = QApplication.instance() or QApplication([])
        store = ChatStore.open(app_paths().ensure().database)
        characters = 0
        # Two long chats: the second one measures switching between big chats.
        conversations = [store.create_conversation(title=f"long chat {n}") for n in (1, 2)]
        for conversation in conversations:
            parent = None
            characters = 0
            for index in range(args.messages // 2):
                question = f"Question {index}: how do we solve the chicken-and-rabbit puzzle?"
                user = store.add_message(conversation.id, parent, "user", question)
                answer = store.add_message(
                    conversation.id, user.id, "assistant", ANSWER, reasoning="Thinking it over."
                )
                parent = answer.id
                characters += len(question) + len(ANSWER)
        conversation, other = conversations
        window = MainWindow(settings=Settings(), store=store, client=InferenceClient())
        window.resize(1100, 800)
        window.show()
        app.processEvents()

        started = time.perf_counter()
        window.open_conversation(conversation.id)
        app.processEvents()
        window.chat_view.viewport().repaint()
        open_ms = (time.perf_counter() - started) * 1000

        def switch_ms(target: str) -> float:
            t0 = time.perf_counter()
            window.open_conversation(target)
            app.processEvents()
            window.chat_view.viewport().repaint()
            return (time.perf_counter() - t0) * 1000

        switches = [switch_ms(c) for c in (other.id, conversation.id, other.id, conversation.id)]

        view = window.chat_view
        bar = view.verticalScrollBar()
        for _ in range(5):  # let the layout settle (heights are known only after it)
            app.processEvents()
        built_at_open = len(view.messages)

        def step(delta: int) -> float:
            """One user scroll (a slider action, as a wheel or key press makes), painted."""
            t0 = time.perf_counter()
            bar.setSliderPosition(bar.value() + delta)
            view.viewport().repaint()
            app.processEvents()
            return (time.perf_counter() - t0) * 1000

        # Up from the bottom to the top: older messages are built on the way.
        up: list[float] = []
        while (bar.value() > 0 or view.pending_count) and len(up) < 20 * args.messages:
            up.append(step(-(bar.pageStep() // 2)))
        for _ in range(5):
            app.processEvents()
        column = view.widget()
        assert column is not None
        print(
            f"content height {column.height()} px, scroll max {bar.maximum()}; "
            f"{built_at_open} of {len(view.messages)} messages built at open"
        )
        # And down again, everything built.
        down: list[float] = []
        while bar.value() < bar.maximum():
            down.append(step(bar.pageStep() // 2))
        if not up or not down:
            print("nothing to scroll: the chat fits on one screen")
            return 1
        print(f"chat: {args.messages} messages, {characters:,} characters")
        print(f"open and first paint: {open_ms:.0f} ms (the first open pays first-use costs)")
        print(
            "switch between the two big chats: "
            + ", ".join(f"{ms:.0f}" for ms in switches)
            + f" ms (median {statistics.median(switches):.0f} ms)"
        )
        for name, steps in (("scroll up (building)", up), ("scroll down (built)", down)):
            steps.sort()
            p99 = steps[min(len(steps) - 1, int(len(steps) * 0.99))]
            print(
                f"{name}: {len(steps)} half-page steps, per step "
                f"p50 {statistics.median(steps):.1f} ms, p99 {p99:.1f} ms, "
                f"max {steps[-1]:.1f} ms, over 50 ms: {sum(1 for s in steps if s > 50)}"
            )
        window.close()
        window.client.shutdown(timeout_ms=2000)
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
