"""Local knowledge: extract text from the user's files, chunk it, index it, retrieve it.

Everything here runs on the user's machine and never touches the network. The index is
its own SQLite file under the data directory (``knowledge.sqlite3``), apart from the chat
store, so a broken or deleted index never risks a chat.
"""
