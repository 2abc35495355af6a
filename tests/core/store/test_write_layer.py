"""One write layer: every change to the store goes through app.core.store.writes, and
front ends make changes through ChatOps, which tells every listener what changed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from app.core.store import ChatOps, ChatStore, StoreChange
from app.core.store.writes import StoreWrites

APP = Path(__file__).resolve().parents[3] / "app"

#: The write layer's public methods; a new one is covered without touching this test.
MUTATORS = frozenset(name for name in vars(StoreWrites) if not name.startswith("_"))
#: The session owns a chat turn's text and writes it (through the store or ChatOps).
MAY_WRITE_DIRECTLY = {Path("core/session.py")}
#: Modules that still call the store's write methods directly; their owners are moving
#: them onto ChatOps (or the session). Do not add to this list.
PENDING = {
    Path("server/saving.py"),  # the API engineer: save API chats through ChatOps
    Path("cli/bench_app.py"),  # the bench engineer: builds a throwaway chat for a figure
}
_SQL_WRITE = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b[^;]*\b(messages|conversations)\b", re.I | re.S
)


def _modules() -> list[Path]:
    return sorted(
        p.relative_to(APP) for p in APP.rglob("*.py") if "store" not in p.relative_to(APP).parts
    )


def direct_store_writes(source: str) -> list[tuple[int, str]]:
    """(line, call) of every call of a write method on something named like a store."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in MUTATORS and _named_store(func.value):
            found.append((node.lineno, f"{ast.unparse(func.value)}.{func.attr}"))
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("import_file", "import_data") and node.args and _named_store(node.args[0]):
            found.append((node.lineno, f"{name}({ast.unparse(node.args[0])}, …)"))
    return found


def _named_store(node: ast.expr) -> bool:
    """``store``, ``self._store``, ``self.window.store``: a name ending like a store.

    ``ChatOps.for_store(self.store)`` is a call, not a store, and passes.
    """
    if isinstance(node, ast.Name):
        return "store" in node.id.lower()
    if isinstance(node, ast.Attribute):
        return "store" in node.attr.lower()
    return False


def sql_writes(source: str) -> list[tuple[int, str]]:
    """(line, text) of every string that is an SQL write to the store's tables."""
    return [
        (node.lineno, node.value[:60])
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and _SQL_WRITE.match(node.value)
    ]


@pytest.mark.parametrize("module", _modules(), ids=str)
def test_front_ends_change_the_store_only_through_chat_ops(module: Path) -> None:
    if module in MAY_WRITE_DIRECTLY or module in PENDING:
        pytest.skip("allowed to write directly (see the lists above)")
    source = (APP / module).read_text(encoding="utf-8")
    assert direct_store_writes(source) == [], f"{module}: use ChatOps for these changes"


@pytest.mark.parametrize("module", _modules(), ids=str)
def test_no_sql_writes_to_the_store_outside_the_store_package(module: Path) -> None:
    source = (APP / module).read_text(encoding="utf-8")
    assert sql_writes(source) == [], f"{module} writes to the store's tables itself"


def test_inside_the_store_only_the_write_layer_and_schema_write_sql() -> None:
    writers = {
        path.name
        for path in (APP / "core" / "store").glob("*.py")
        if sql_writes(path.read_text(encoding="utf-8"))
    }
    assert writers == {"writes.py", "schema.py"}


def test_the_scanners_see_what_they_look_for() -> None:
    # Guards the guards: scanners that saw nothing would make every check above pass.
    sample = (
        "def f(self, store, ops, path):\n"
        "    self.store.rename('c', 't')\n"
        "    store.finish_message('m', content='', reasoning='')\n"
        "    self.ops.rename('c', 't')\n"
        "    ChatOps.for_store(self.store).rename('c', 't')\n"
        "    self.store.list_conversations()\n"
        "    export.import_file(self.store, path)\n"
        "    conn.execute('UPDATE conversations SET title = ?')\n"
        "    conn.execute('SELECT * FROM messages')\n"
    )
    assert direct_store_writes(sample) == [
        (2, "self.store.rename"),
        (3, "store.finish_message"),
        (7, "import_file(self.store, …)"),
    ]
    assert sql_writes(sample) == [(8, "UPDATE conversations SET title = ?")]
    assert {"rename", "finish_message", "start_turn", "insert_conversation"} <= MUTATORS


def test_pending_modules_exist() -> None:
    # An entry for a module that was renamed or removed would silently allow nothing.
    for module in PENDING | MAY_WRITE_DIRECTLY:
        assert (APP / module).exists(), module


def test_chat_ops_tell_listeners_what_changed(store: ChatStore) -> None:
    ops = ChatOps.for_store(store)
    assert ChatOps.for_store(store) is ops  # one per store: every front end hears everything
    heard: list[StoreChange] = []
    stop = ops.add_listener(heard.append)
    conversation = ops.create_conversation("first")
    ops.rename(conversation.id, "renamed")
    ops.set_pinned(conversation.id, True)
    question, answer = ops.start_turn(conversation.id, None, "q")
    ops.save_streaming(answer.id, "partial", "")
    ops.finish_message(answer.id, content="done", reasoning="", state="stopped")
    ops.switch_branch(question.id)
    ops.delete_message(answer.id)
    ops.set_conversation_settings(conversation.id, {"system_prompt": "x"})
    ops.delete_conversation(conversation.id)
    ops.restore_conversation(conversation.id)
    assert [c.kind for c in heard] == [
        "created",
        "renamed",
        "pinned",
        "messages",
        "streaming",
        "messages",
        "branch",
        "messages",
        "settings",
        "deleted",
        "restored",
    ]
    assert {c.conversation_ids for c in heard} == {(conversation.id,)}
    stop()
    ops.rename(conversation.id, "again")
    assert len(heard) == 11
    assert store.get_conversation(conversation.id).title == "again"


def test_a_failing_listener_does_not_hide_a_saved_change(store: ChatStore) -> None:
    ops = ChatOps.for_store(store)
    heard: list[StoreChange] = []

    def broken(_change: StoreChange) -> None:
        raise RuntimeError("listener bug")

    ops.add_listener(broken)
    ops.add_listener(heard.append)
    conversation = ops.create_conversation("kept")
    assert store.get_conversation(conversation.id).title == "kept"
    assert [c.kind for c in heard] == ["created"]


def test_import_through_chat_ops_names_the_new_chats(store: ChatStore, tmp_path: Path) -> None:
    ops = ChatOps.for_store(store)
    heard: list[StoreChange] = []
    ops.add_listener(heard.append)
    data = {"version": 1, "conversations": [{"id": "c1", "messages": []}]}
    result = ops.import_data(data)
    assert result.conversation_ids == ("c1",)
    assert heard == [StoreChange("imported", ("c1",))]
    ops.import_data(data)  # skipped: nothing changed, nothing to hear
    assert len(heard) == 1
