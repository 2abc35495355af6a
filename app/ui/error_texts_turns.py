"""Core error sentences about turns: the engine host, local and remote engines, chat
sessions, templates, the network and documents, marked for lupdate (context
``CoreErrors``).

Generated from :mod:`app.core.error_messages`; see :mod:`app.ui.errors_i18n`.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

#: Code -> English template (PySide6 types QT_TRANSLATE_NOOP as returning ``object``).
MARKED: dict[str, object] = {
    "host.queue_full": QT_TRANSLATE_NOOP(
        "CoreErrors", "The model is busy with {limit} waiting requests. Try again in a moment."
    ),
    "host.no_model": QT_TRANSLATE_NOOP(
        "CoreErrors", "No model is loaded. Open a model file first."
    ),
    "host.closed": QT_TRANSLATE_NOOP(
        "CoreErrors", "Hearth was closing, so this request was not finished."
    ),
    "host.unexpected": QT_TRANSLATE_NOOP("CoreErrors", "Something went wrong. Try again."),
    "host.turn_crashed": QT_TRANSLATE_NOOP(
        "CoreErrors", "Generation stopped because of an error: {reason}"
    ),
    "engine.no_model": QT_TRANSLATE_NOOP("CoreErrors", "No model is loaded."),
    "engine.unloaded": QT_TRANSLATE_NOOP(
        "CoreErrors", "The model has been unloaded. Load a model to continue."
    ),
    "engine.busy": QT_TRANSLATE_NOOP(
        "CoreErrors", "The model is still busy with another answer. Stop it first."
    ),
    "engine.too_many_samples": QT_TRANSLATE_NOOP(
        "CoreErrors", "Hearth can sample at most {limit} answers at once."
    ),
    "engine.prompt_too_long": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Your message is too long for this model's context ({tokens} tokens, limit {limit}). "
        "Shorten it or raise the context length in Settings.",
    ),
    "engine.prefill_failed": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The model failed while reading the conversation. Try again; if it keeps failing, "
        "reload the model.",
    ),
    "engine.decode_failed": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The model failed while writing its answer. Try again; if it keeps failing, reload "
        "the model.",
    ),
    "engine.decode_failed_samples": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The model failed while writing its answers. Try again; if it keeps failing, reload "
        "the model.",
    ),
    "engine.inject_failed": QT_TRANSLATE_NOOP(
        "CoreErrors", "The model failed while closing its reasoning. Try again."
    ),
    "engine.tokenize_failed": QT_TRANSLATE_NOOP(
        "CoreErrors", "The text could not be converted to tokens."
    ),
    "engines.removed": QT_TRANSLATE_NOOP(
        "CoreErrors", "This chat's remote engine was removed. Pick another engine for the chat."
    ),
    "engines.save_failed": QT_TRANSLATE_NOOP(
        "CoreErrors", "The engine list could not be saved: {reason}"
    ),
    "chat.empty_message": QT_TRANSLATE_NOOP("CoreErrors", "The message is empty."),
    "chat.nothing_to_regenerate": QT_TRANSLATE_NOOP(
        "CoreErrors", "This message has no question to answer again."
    ),
    "chat.edit_own_only": QT_TRANSLATE_NOOP("CoreErrors", "Only your own messages can be edited."),
    "chat.continue_answer_only": QT_TRANSLATE_NOOP(
        "CoreErrors", "Only an answer can be continued."
    ),
    "chat.summary_needs_chat": QT_TRANSLATE_NOOP("CoreErrors", "Open a chat to summarise first."),
    "chat.no_model": QT_TRANSLATE_NOOP("CoreErrors", "No model is loaded. Load a model first."),
    "chat.busy": QT_TRANSLATE_NOOP(
        "CoreErrors", "Hearth is still answering. Wait for it or press Stop, then send again."
    ),
    "vote.bad_count": QT_TRANSLATE_NOOP(
        "CoreErrors", "A vote takes between 2 and {limit} samples."
    ),
    "vote.started": QT_TRANSLATE_NOOP("CoreErrors", "This vote has already started."),
    "vote.no_model": QT_TRANSLATE_NOOP("CoreErrors", "Load a model first, then ask again."),
    "template.refused": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The model's chat template refused this conversation ({reason}). Start a new chat or "
        "use another model.",
    ),
    "template.broken": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "This model's chat template is broken, so Hearth cannot format the conversation. Use "
        "another copy of this model.",
    ),
    "template.continue_answer_only": QT_TRANSLATE_NOOP(
        "CoreErrors", "Only an assistant answer can be continued. Send a new message instead."
    ),
    "template.over_limit": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The model's chat template took too much time or memory and was stopped. Use another "
        "copy of this model.",
    ),
    "template.unsafe": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The model's chat template tried to do something unsafe and was blocked. Use another "
        "copy of this model.",
    ),
    "template.failed": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The model's chat template failed while formatting the conversation. Use another copy"
        " of this model.",
    ),
    "network.offline_download": QT_TRANSLATE_NOOP(
        "CoreErrors", "Hearth is offline; turn off offline mode to download."
    ),
    "network.failed": QT_TRANSLATE_NOOP("CoreErrors", "The request to {host} failed."),
    "network.connect_timeout": QT_TRANSLATE_NOOP(
        "CoreErrors", "Connecting to {host} timed out. Check your connection and try again."
    ),
    "network.connect_failed": QT_TRANSLATE_NOOP(
        "CoreErrors", "Could not connect to {host}. Check your connection and try again."
    ),
    "network.stalled": QT_TRANSLATE_NOOP("CoreErrors", "{host} stopped sending data."),
    "network.timeout": QT_TRANSLATE_NOOP("CoreErrors", "{host} timed out."),
    "network.dropped": QT_TRANSLATE_NOOP("CoreErrors", "The connection to {host} dropped."),
    "network.tls": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The security certificate of {host} could not be verified, so Hearth did not connect."
        " Use another source.",
    ),
    "network.too_many_redirects": QT_TRANSLATE_NOOP(
        "CoreErrors", "The download address redirected too many times."
    ),
    "network.bad_url": QT_TRANSLATE_NOOP("CoreErrors", "That download address is not a valid URL."),
    "network.stopped": QT_TRANSLATE_NOOP("CoreErrors", "The transfer was stopped."),
    "network.bad_ca_file": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The certificate file {path} could not be read. Choose a PEM file with the server's "
        "CA certificate.",
    ),
    "network.bad_redirect": QT_TRANSLATE_NOOP(
        "CoreErrors", "{host} redirected to an address that is not valid. Use another source."
    ),
    "network.insecure_redirect": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{host} redirected to an insecure (non-https) address, so Hearth stopped. Use another"
        " source.",
    ),
    "network.too_large": QT_TRANSLATE_NOOP(
        "CoreErrors", "{host} sent an unexpectedly large answer."
    ),
    "network.body_too_large": QT_TRANSLATE_NOOP(
        "CoreErrors", "{host} sent more than Hearth accepts in one answer, so it stopped reading."
    ),
    "network.not_event_stream": QT_TRANSLATE_NOOP(
        "CoreErrors", "{host} did not answer with an event stream."
    ),
    "documents.unsupported": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” is not a format Hearth can read."
    ),
    "documents.empty": QT_TRANSLATE_NOOP("CoreErrors", "“{name}” contains no text."),
    "documents.changed": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” changed while it was indexed; it will be indexed again next time."
    ),
    "documents.unreadable": QT_TRANSLATE_NOOP("CoreErrors", "“{name}” cannot be read."),
    "documents.vanished_indexing": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” was deleted or moved while it was indexed."
    ),
    "documents.not_embedding_model": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” cannot be used as an embedding model."
    ),
    "documents.tokenize_failed": QT_TRANSLATE_NOOP(
        "CoreErrors", "A text could not be converted to tokens."
    ),
    "documents.embed_failed": QT_TRANSLATE_NOOP("CoreErrors", "The embedding model failed."),
    "documents.embed_closed": QT_TRANSLATE_NOOP("CoreErrors", "The embedding model is closed."),
    "documents.no_vector": QT_TRANSLATE_NOOP(
        "CoreErrors", "The embedding model returned no vector."
    ),
    "documents.collection_needs_name": QT_TRANSLATE_NOOP(
        "CoreErrors", "A collection needs a name."
    ),
    "documents.no_collection": QT_TRANSLATE_NOOP(
        "CoreErrors", "There is no collection named “{name}”."
    ),
    "documents.index_unusable": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The document index could not be opened. Delete it in the Library to rebuild it.",
    ),
    "documents.disk_full": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The disk is full, so indexing stopped. The index is intact; free some space and "
        "index again to continue.",
    ),
    "documents.not_regular": QT_TRANSLATE_NOOP("CoreErrors", "“{name}” is not a regular file."),
    "documents.permission_denied": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” cannot be read: permission denied."
    ),
    "documents.too_large_limit": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is larger than the size limit ({size} > {limit}). Raise the limit in the "
        "Library to include it.",
    ),
    "documents.too_large": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” is larger than the size limit ({limit})."
    ),
    "documents.symlink_loop": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” is a symbolic link that loops back on itself."
    ),
    "documents.vanished": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” was deleted or moved while reading it."
    ),
    "documents.binary": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” looks like a binary file, not text."
    ),
    "documents.unknown_encoding": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” is not text in any encoding Hearth knows."
    ),
    "documents.encrypted": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” is password-protected. Save an unprotected copy to include it."
    ),
    "documents.docx_dtd": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” contains a DTD, which DOCX never needs."
    ),
    "documents.no_text_layer": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” has no text layer (it is probably scanned). OCR is not supported."
    ),
    "documents.bad_docx": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” is not a valid DOCX file (it is damaged)."
    ),
    "documents.not_word": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” is not a Word document (no document.xml inside)."
    ),
    "documents.would_inflate": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” would inflate to an unsafe size; it was not opened."
    ),
    "documents.inflates": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” inflates to an unsafe size; it was not opened."
    ),
    "documents.unparsable": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” is damaged (its text cannot be parsed)."
    ),
    "documents.damaged": QT_TRANSLATE_NOOP("CoreErrors", "“{name}” is damaged."),
    "documents.too_many_pages": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” has {count} pages; Hearth reads at most {limit}."
    ),
    "documents.damaged_pdf": QT_TRANSLATE_NOOP("CoreErrors", "“{name}” is a damaged PDF."),
    "remote.closed": QT_TRANSLATE_NOOP("CoreErrors", "This remote engine was closed."),
    "remote.ended_early": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{name} ({host}) ended the answer early, without saying it was done. What arrived is "
        "kept; press Continue to finish it.",
    ),
    "remote.answer_too_long": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{name} ({host}) sent a longer answer than Hearth accepts, so it stopped reading. "
        "What arrived is kept.",
    ),
    "remote.body_too_large": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{name} ({host}) sent more than Hearth accepts in one answer, so it stopped reading. "
        "What arrived is kept.",
    ),
    "remote.request_failed": QT_TRANSLATE_NOOP(
        "CoreErrors", "The request to {host} failed: {reason}"
    ),
    "remote.offline": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Hearth is offline, and {name} ({host}) is on another machine. Turn off offline mode,"
        " or pick a model on this computer.",
    ),
    "remote.server_failed": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{name} ({host}) failed while answering (HTTP {status}). Try again; if it keeps "
        "failing, look at the server's log.",
    ),
    "remote.not_openai": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{host} answered, but not the way an OpenAI-compatible server does. Check the address"
        " and the server kind in Settings › Engines.",
    ),
    "remote.no_address": QT_TRANSLATE_NOOP(
        "CoreErrors", "Enter the server's address, for example http://192.168.1.20:8080/v1."
    ),
    "remote.bad_address": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{text}” is not a web address Hearth can use. It should look like "
        "http://192.168.1.20:8080/v1.",
    ),
    "remote.bad_port": QT_TRANSLATE_NOOP(
        "CoreErrors", "The port in “{text}” is not a number between 1 and 65535."
    ),
    "remote.credentials_in_url": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Leave the user name and password out of the address; put the key in the API key "
        "field instead.",
    ),
    "remote.stopped_mid_answer": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{name} ({host}) stopped sending in the middle of the answer. What arrived is kept; "
        "press Continue to finish it.",
    ),
    "remote.dropped_mid_answer": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{name} ({host}) dropped the connection in the middle of the answer. What arrived is "
        "kept; press Continue to finish it.",
    ),
    "remote.tls": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The certificate of {host} could not be verified, so Hearth did not connect. If the "
        "server uses its own certificate authority, choose its CA file in Settings › Engines.",
    ),
    "remote.dns": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Hearth could not find a server named “{server}”. Check the address in Settings › Engines.",
    ),
    "remote.nothing_answered": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Nothing answered at {host}. Check that the server is running and the address and "
        "port are right.",
    ),
    "remote.connect_timeout": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{host} did not answer within {seconds:g} s. Check the address, or raise the connect "
        "timeout in Settings › Engines.",
    ),
    "remote.read_timeout": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{host} accepted the request but sent nothing for {seconds:g} s. The server may be "
        "overloaded; try again, or raise the read timeout in Settings › Engines.",
    ),
    "remote.dropped": QT_TRANSLATE_NOOP(
        "CoreErrors", "The connection to {host} dropped before the answer started. Try again."
    ),
    "remote.no_key": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{name} ({host}) refused no API key (HTTP {status}). Check the key in Settings › Engines.",
    ),
    "remote.bad_key": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{name} ({host}) refused the API key (HTTP {status}). Check the key in Settings › Engines.",
    ),
    "remote.busy": QT_TRANSLATE_NOOP(
        "CoreErrors", "{name} ({host}) is busy with other requests. Try again in a moment."
    ),
    "remote.busy_seconds": QT_TRANSLATE_NOOP(
        "CoreErrors", "{name} ({host}) is busy with other requests. Try again in {seconds} s."
    ),
    "remote.busy_minutes": QT_TRANSLATE_NOOP(
        "CoreErrors", "{name} ({host}) is busy with other requests. Try again in {minutes} minutes."
    ),
    "remote.loading": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{name} ({host}) is not ready to answer (it may still be loading its model). Try "
        "again in a moment.",
    ),
    "remote.loading_seconds": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{name} ({host}) is not ready to answer (it may still be loading its model). Try "
        "again in {seconds} s.",
    ),
    "remote.loading_minutes": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{name} ({host}) is not ready to answer (it may still be loading its model). Try "
        "again in {minutes} minutes.",
    ),
    "remote.no_model": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{name} ({host}) does not serve the model “{model}”. Pick one of its models in "
        "Settings › Engines.",
    ),
    "remote.context": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The conversation is too long for “{model}” on {host}. Start a new chat, or use File "
        "› Summarise and continue.",
    ),
    "remote.no_api": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{host} has no OpenAI-compatible chat API at {path}. Check the address in Settings › "
        "Engines (it usually ends in /v1).",
    ),
    "remote.redirect": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{host} sent the request elsewhere ({target}). Use that address in Settings › Engines.",
    ),
    "remote.redirect_unknown": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{host} sent the request elsewhere (another address). Use that address in Settings › "
        "Engines.",
    ),
    "remote.refused": QT_TRANSLATE_NOOP(
        "CoreErrors", "{name} ({host}) refused the request (HTTP {status})."
    ),
    "remote.refused_said": QT_TRANSLATE_NOOP(
        "CoreErrors", "{name} ({host}) refused the request (HTTP {status}): {said}"
    ),
    "remote.web_page": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{host} answered with a web page, not with an OpenAI-compatible API. Check the "
        "address in Settings › Engines (it usually ends in /v1).",
    ),
    "remote.garbled": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{host} started sending data Hearth cannot read in the middle of the answer. What "
        "arrived is kept.",
    ),
    "remote.read_failed": QT_TRANSLATE_NOOP("CoreErrors", "Reading the answer from {host} failed."),
    "remote.server_error": QT_TRANSLATE_NOOP(
        "CoreErrors", "{name} ({host}) stopped with an error: {said}"
    ),
}
