"""Screenshots of the real window under Xvfb: both themes, both languages, the model manager.

    python scripts/screenshots.py            # starts Xvfb itself, writes docs/screenshots/*.png

Each shot runs in a fresh process (a language is chosen at start-up), with a throwaway data
directory seeded with a chat that has reasoning, code and math, and a tiny generated model
loaded so the window is in its normal state.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"

QUESTION_EN = "A cage holds chickens and rabbits: 35 heads and 94 legs. How many of each?"
QUESTION_ZH = "今有鸡兔同笼，上有三十五头，下有九十四足，问鸡兔各几何？"
REASONING = (
    "Let c be the chickens and r the rabbits. Heads give c + r = 35; legs give "
    "2c + 4r = 94. Doubling the first equation: 2c + 2r = 70, so 2r = 24 and r = 12. "
    "Then c = 23. Check: 23·2 + 12·4 = 46 + 48 = 94. ✓"
)
ANSWER = r"""Set up two equations, one for heads and one for legs:

$$
\begin{aligned}
c + r &= 35 \\
2c + 4r &= 94
\end{aligned}
$$

Subtracting twice the first from the second gives $2r = 24$, so:

| animal | count |
| --- | --- |
| chickens | 23 |
| rabbits | 12 |

The same in Python:

```python
def solve(heads: int, legs: int) -> tuple[int, int]:
    rabbits = (legs - 2 * heads) // 2
    return heads - rabbits, rabbits

print(solve(35, 94))  # (23, 12)
```

$\boxed{23 \text{ chickens},\ 12 \text{ rabbits}}$
"""


def seed_store(language: str) -> None:
    from app.core.chat import SamplingParams, TurnStats
    from app.core.paths import app_paths
    from app.core.store import ChatStore, build_provenance

    store = ChatStore.open(app_paths().ensure().database)
    for title in ("Quicksort in Python", "Syllogism check", "Travel packing list"):
        conversation = store.create_conversation(title=title)
        store.add_message(conversation.id, None, "user", title)
    question = QUESTION_ZH if language == "zh_CN" else QUESTION_EN
    conversation = store.create_conversation()
    _user, answer = store.start_turn(conversation.id, None, question)
    stats = TurnStats(generated_tokens=412, tokens_per_s=14.2, ttft_ms=380.0, seed=42)
    store.finish_message(
        answer.id,
        content=ANSWER,
        reasoning=REASONING,
        provenance=build_provenance(
            None, SamplingParams(), stats, extra={"reasoning_seconds": 9.4}
        ),
    )
    store.close()


def take_shot(theme: str, language: str, page: str, out: Path) -> None:
    """Runs inside the child process (DISPLAY and HEARTH_DATA_DIR already set)."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from app.core.paths import app_paths
    from app.core.settings import Settings, save_settings
    from app.core.tinymodel import build_selftest_model
    from app.main import Application

    paths = app_paths().ensure()
    settings = Settings(theme=theme, language=language)  # type: ignore[arg-type]
    save_settings(paths.settings_file, settings)
    seed_store(language)
    model = build_selftest_model(paths.cache / "shots")
    app = Application(paths, settings, model=str(model))
    window = app.window
    window.resize(1180, 800)
    app.start()
    loop = QEventLoop()
    window.client.model_loaded.connect(lambda *_: loop.quit())
    window.client.model_load_failed.connect(lambda *_: loop.quit())
    QTimer.singleShot(20000, loop.quit)
    loop.exec()
    conversations = app.store.list_conversations()
    if conversations:
        window.sidebar.select_conversation(conversations[0].id)
        window.open_conversation(conversations[0].id)
    if page == "models":
        window.show_model_manager()
    for _ in range(30):  # let layout, math images and the window manager settle
        QApplication.processEvents()
        time.sleep(0.05)
    screen = window.screen()
    pixmap = screen.grabWindow(window.winId())
    out.parent.mkdir(parents=True, exist_ok=True)
    pixmap.save(str(out))
    app.shutdown()
    app.qt_app.quit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", nargs=4, metavar=("THEME", "LANG", "PAGE", "OUT"))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.child:
        theme, language, page, out = args.child
        take_shot(theme, language, page, Path(out))
        return 0

    xvfb = None
    env = dict(os.environ)
    if not env.get("DISPLAY"):
        if not shutil.which("Xvfb"):
            print("Xvfb is needed: apt-get install xvfb", file=sys.stderr)
            return 2
        env["DISPLAY"] = ":97"
        xvfb = subprocess.Popen(["Xvfb", ":97", "-screen", "0", "1280x860x24", "-nolisten", "tcp"])
        time.sleep(1.0)
    env.pop("QT_QPA_PLATFORM", None)
    shots = [
        ("light", "en", "chat", "chat-light-en.png"),
        ("dark", "en", "chat", "chat-dark-en.png"),
        ("light", "zh_CN", "chat", "chat-light-zh_CN.png"),
        ("dark", "zh_CN", "chat", "chat-dark-zh_CN.png"),
        ("light", "en", "models", "models-light-en.png"),
        ("dark", "zh_CN", "models", "models-dark-zh_CN.png"),
    ]
    failures = 0
    try:
        for theme, language, page, name in shots:
            with tempfile.TemporaryDirectory() as home:
                env["HEARTH_DATA_DIR"] = home
                out = args.out / name
                result = subprocess.run(
                    [sys.executable, __file__, "--child", theme, language, page, str(out)],
                    env=env,
                    cwd=ROOT,
                    check=False,
                )
                ok = result.returncode == 0 and out.exists()
                failures += not ok
                print(f"{'wrote' if ok else 'FAILED'} {out.relative_to(ROOT)}")
    finally:
        if xvfb is not None:
            xvfb.terminate()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
