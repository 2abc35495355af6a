"""The chat store: every conversation in one SQLite file, safe against crashes.

A package; the parts are
- ``values``: the values (ConversationSummary, StoredMessage, …), limits and text cleaning;
- ``schema``: the schema and its migrations;
- ``connection``: opening the file, health checks, errors as sentences;
- ``recovery``: a damaged file is moved aside and what can be read is recovered;
- ``chats`` and ``search``: reading;
- ``writes``: the write layer, the only code that changes the database;
- ``ops``: :class:`ChatOps`, how front ends and the session change the store (with change
  notifications);
- ``exchange``: importing chat JSON files, checked field by field;
- ``chatstore``: :class:`ChatStore`, which opens the file and joins the parts.

Every public name is importable from ``app.core.store``.
"""

from app.core.store.chats import ChatReads
from app.core.store.chatstore import FULL_CHECK_MAX_BYTES, ChatStore
from app.core.store.exchange import (
    EXPORT_VERSION,
    MAX_IMPORT_BYTES,
    ChatImportError,
    ConflictPolicy,
    ImportResult,
    import_data,
    import_file,
    iso_time,
    parse_export,
    parse_time,
    read_export,
)
from app.core.store.ops import ChangeKind, ChatOps, StoreChange
from app.core.store.provenance import (
    START_TIME_TOLERANCE_S,
    ModelInfoLike,
    build_provenance,
    fast_fingerprint,
    writer_alive,
)
from app.core.store.schema import SCHEMA_VERSION, migrate
from app.core.store.search import MAX_SHORT_TERM_EXPANSION, MIN_FTS_TERM
from app.core.store.values import (
    FINAL_STATES,
    MAX_ID_CHARS,
    MAX_JSON_CHARS,
    MAX_TEXT_CHARS,
    MAX_TIMESTAMP,
    MAX_TITLE_CHARS,
    MAX_TREE_DEPTH,
    MESSAGE_STATES,
    MIN_TIMESTAMP,
    PURGE_AFTER_S,
    ROLES,
    TITLE_LENGTH,
    ConversationSummary,
    ImportedConversation,
    MessageState,
    NewerStoreError,
    NotFoundError,
    OpenReport,
    Rating,
    RatingValue,
    SearchHit,
    Siblings,
    StoreCorruptError,
    StoredMessage,
    auto_title,
    clean_text,
    clean_title,
    new_id,
)
from app.core.store.writes import normalize_state

__all__ = [
    "EXPORT_VERSION",
    "FINAL_STATES",
    "FULL_CHECK_MAX_BYTES",
    "MAX_ID_CHARS",
    "MAX_IMPORT_BYTES",
    "MAX_JSON_CHARS",
    "MAX_SHORT_TERM_EXPANSION",
    "MAX_TEXT_CHARS",
    "MAX_TIMESTAMP",
    "MAX_TITLE_CHARS",
    "MAX_TREE_DEPTH",
    "MESSAGE_STATES",
    "MIN_FTS_TERM",
    "MIN_TIMESTAMP",
    "PURGE_AFTER_S",
    "ROLES",
    "SCHEMA_VERSION",
    "START_TIME_TOLERANCE_S",
    "TITLE_LENGTH",
    "ChangeKind",
    "ChatImportError",
    "ChatOps",
    "ChatReads",
    "ChatStore",
    "ConflictPolicy",
    "ConversationSummary",
    "ImportResult",
    "ImportedConversation",
    "MessageState",
    "ModelInfoLike",
    "NewerStoreError",
    "NotFoundError",
    "OpenReport",
    "Rating",
    "RatingValue",
    "SearchHit",
    "Siblings",
    "StoreChange",
    "StoreCorruptError",
    "StoredMessage",
    "auto_title",
    "build_provenance",
    "clean_text",
    "clean_title",
    "fast_fingerprint",
    "import_data",
    "import_file",
    "iso_time",
    "migrate",
    "new_id",
    "normalize_state",
    "parse_export",
    "parse_time",
    "read_export",
    "writer_alive",
]
