"""Renderer figures: incremental append cost at 1k/10k/100k characters, and a full render.

Usage: .venv/bin/python scripts/bench_render.py [--delta 32] [--window 200]

* Incremental: the answer is streamed in deltas of ``--delta`` characters (about 8 tokens,
  one 40 ms batch at 200 tok/s). Once it is 1k, 10k and 100k characters long, the next
  ``--window`` appends are timed one by one. "render" is IncrementalRenderer.append alone;
  "+document" adds what the view does with the result (register math pictures, append
  the stable HTML, replace the tail in a QTextDocument, lay it out). Flat figures across
  the three lengths are the point.
* Full render: a 4,000-token answer (about 16k characters) with code, tables and math, cold
  (empty formula caches, as after start-up) and warm, plus the math pictures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtGui import QGuiApplication, QTextCursor, QTextDocument

from app.ui import render

SECTION = """### Step {i}: 鸡兔同笼 variant {i}

Let $x_{{{i}}}$ be the chickens and $y_{{{i}}}$ the rabbits, so $x + y = {heads}$ and
$2x + 4y = {legs}$. Feed costs $5 and $10 a day, which is **not** math. 这是第 {i} 步。

1. Double the first equation: $2x + 2y = {double}$.
2. Subtract it from the second: \\(2y = {diff}\\), so $y = \\frac{{{diff}}}{{2}}$.
   - a nested note with `inline code` and a [link](https://example.com/{i})

\\[
x = \\frac{{4 \\cdot {heads} - {legs}}}{{2}} + \\sqrt{{{i}}} - \\sqrt{{{i}}}
\\]

> Check: ${heads} \\times 2 + {diff} \\times 2 = {legs}$ holds.

```python
def solve_{i}(heads: int = {heads}, legs: int = {legs}) -> tuple[int, int]:
    \"\"\"Chickens and rabbits, case {i}.\"\"\"
    rabbits = (legs - 2 * heads) // 2  # $not math$

    return heads - rabbits, rabbits
```

| animal | count | note |
|:-------|------:|:----:|
| 鸡 | {heads} | two legs |
| 兔 | {i} | four legs |

So the answer for case {i} is $\\boxed{{{i}}}$.

"""


def answer(length: int) -> str:
    parts: list[str] = []
    size = 0
    index = 0
    while size < length:
        heads = 30 + index
        legs = 2 * heads + 2 * index
        part = SECTION.format(i=index, heads=heads, legs=legs, double=2 * heads, diff=2 * index)
        parts.append(part)
        size += len(part)
        index += 1
    return "".join(parts)[:length]


def clear_caches() -> None:
    render.formula_image.cache_clear()
    render._rasterise.cache_clear()


class FakeView:
    """What the chat view does with each RenderUpdate, on a bare QTextDocument."""

    def __init__(self) -> None:
        self.document = QTextDocument()
        # An undo stack would grow with every streamed edit and slow each later one.
        self.document.setUndoRedoEnabled(False)
        self.tail_start = 0

    def apply(self, update: render.RenderUpdate) -> None:
        cursor = QTextCursor(self.document)
        cursor.setPosition(self.tail_start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        if update.stable_html_to_append:
            render.register_math_resources(self.document, update.stable_html_to_append)
            cursor.insertHtml(update.stable_html_to_append)
            cursor.movePosition(QTextCursor.MoveOperation.End)
            # As the view does: the tail in a block of its own (see chat view's
            # _apply_update), so a paragraph handed over in pieces never grows one giant block.
            if cursor.block().length() > 1:
                cursor.insertBlock()
            self.tail_start = cursor.position()
        if update.tail_html:
            render.register_math_resources(self.document, update.tail_html)
            cursor.insertHtml(update.tail_html)
        self.document.documentLayout().documentSize()  # lay out now, as a paint would


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def bench_incremental(delta: int, window: int, with_document: bool) -> None:
    lengths = (1_000, 10_000, 100_000)
    text = answer(max(lengths) + delta * window + delta)
    renderer = render.IncrementalRenderer(render.light_theme())
    view = FakeView() if with_document else None
    position = 0
    label = "render+document" if with_document else "render"
    for length in lengths:
        while position < length:  # stream up to this length, untimed
            update = renderer.append(text[position : position + delta])
            if view is not None:
                view.apply(update)
            position += delta
        timings: list[float] = []
        parsed_before = renderer.parsed_chars
        for _ in range(window):
            started = time.perf_counter()
            update = renderer.append(text[position : position + delta])
            if view is not None:
                view.apply(update)
            timings.append((time.perf_counter() - started) * 1000)
            position += delta
        parsed = (renderer.parsed_chars - parsed_before) / window
        print(
            f"  {label:16s} at {length:>7,} chars: mean {statistics.mean(timings):6.3f} ms"
            f"  p50 {statistics.median(timings):6.3f}  p99 {percentile(timings, 0.99):6.3f}"
            f"  max {max(timings):6.3f}  parsed/append {parsed:6.0f} chars"
        )


def bench_full() -> None:
    text = answer(16_000)  # ~4,000 tokens
    theme = render.light_theme()
    formulas = text.count("$") // 2 + text.count("\\[") + text.count("\\(")
    print(
        f"  answer: {len(text):,} chars, {text.count('```') // 2} code blocks, ~{formulas} formulas"
    )
    clear_caches()
    started = time.perf_counter()
    html = render.render_markdown(text, theme)
    cold = (time.perf_counter() - started) * 1000
    document = QTextDocument()
    started = time.perf_counter()
    images = render.register_math_resources(document, html)
    raster = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    document.setHtml(html)
    document.documentLayout().documentSize()
    layout = (time.perf_counter() - started) * 1000
    warm_runs = []
    for _ in range(5):
        started = time.perf_counter()
        render.render_markdown(text, theme)
        warm_runs.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    blocks = render.copyable_code_blocks(text)
    copy_ms = (time.perf_counter() - started) * 1000
    print(f"  render_markdown cold (empty formula cache): {cold:8.1f} ms")
    print(f"  render_markdown warm (median of 5):         {statistics.median(warm_runs):8.1f} ms")
    print(f"  math pictures, {images} rasterised (cold):       {raster:8.1f} ms")
    print(f"  QTextDocument setHtml + layout:             {layout:8.1f} ms")
    print(f"  copyable_code_blocks ({len(blocks)} blocks):           {copy_ms:8.1f} ms")
    print(f"  HTML size: {len(html):,} chars")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delta", type=int, default=32, help="characters per append")
    parser.add_argument("--window", type=int, default=200, help="appends timed per length")
    args = parser.parse_args()
    app = QGuiApplication.instance() or QGuiApplication([])
    started = time.perf_counter()
    render.render_markdown("$x$", render.light_theme())  # import ziamath and its font
    first_ms = (time.perf_counter() - started) * 1000
    print(f"first formula (imports ziamath, loads its font): {first_ms:.0f} ms")
    print(f"Incremental append, {args.delta}-char deltas, {args.window} appends timed per length:")
    bench_incremental(args.delta, args.window, with_document=False)
    clear_caches()
    bench_incremental(args.delta, args.window, with_document=True)
    print("Full render of a 4,000-token answer:")
    bench_full()
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
