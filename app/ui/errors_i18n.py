"""Core errors in the UI's language.

Errors raised in ``app/core`` carry a stable ``code`` and plain ``params``
(:class:`app.core.errors.HearthError`). This module holds, per code, the same English
template as :mod:`app.core.error_messages`, marked for lupdate in the ``CoreErrors``
context, so the UI can show the sentence in the user's language with the same values.
A test keeps the two tables identical; the table below is regenerated from the core one
whenever a code is added.

:func:`error_text` is the one way the UI turns a core error into a sentence. It takes
the exception, a ``(code, params, english)`` triple, or a plain English string (from a
signal or an event that carries only text); an unknown code, or a string no template
matches, is shown as it is, in English.
"""

from __future__ import annotations

import functools
import logging
import re
import string
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from app.core.errors import ErrorArg, HearthError

log = logging.getLogger(__name__)

#: The translation context of every core error sentence.
CONTEXT = "CoreErrors"

#: The English template of every coded core error, as lupdate sees it
#: (PySide6 types QT_TRANSLATE_NOOP as returning ``object``; see TEXTS below).
_MARKED: dict[str, object] = {
    "cancelled": QT_TRANSLATE_NOOP("CoreErrors", "Cancelled."),
    "gguf.missing": QT_TRANSLATE_NOOP(
        "CoreErrors", "The model file {path} does not exist. Check the path and try again."
    ),
    "gguf.cannot_open": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” could not be opened: {reason}. Check that the file is readable."
    ),
    "gguf.is_folder": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is a folder, not a GGUF model file. Choose the .gguf file inside it.",
    ),
    "gguf.not_regular": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is not a regular file (it is a {kind}), so Hearth does not read it as a "
        "model. Choose a .gguf file.",
    ),
    "gguf.empty": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is empty (0 bytes). It is not a model; if it came from an interrupted "
        "download, download it again.",
    ),
    "gguf.unreadable": QT_TRANSLATE_NOOP("CoreErrors", "“{name}” could not be read: {reason}."),
    "gguf.not_gguf": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is not a GGUF model file. Hearth needs a .gguf file (for example from "
        "Hugging Face); other formats such as .safetensors or .bin must be converted first.",
    ),
    "gguf.too_small": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is too small to be a model ({size} bytes), so it is incomplete: the file is"
        " truncated. Download the model again or copy it again.",
    ),
    "gguf.truncated_header": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is incomplete (truncated: the file ends before its header does). It was "
        "probably not downloaded or copied completely; download the model again or copy it "
        "again.",
    ),
    "gguf.truncated": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is incomplete (truncated: it holds {size:,} bytes but its tensors need "
        "{needed:,}). It was probably not downloaded or copied completely; download the model"
        " again or copy it again.",
    ),
    "gguf.header_too_large": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is damaged or unusual: its GGUF header is larger than {limit_mb} MB, more "
        "than Hearth reads. Get the file again.",
    ),
    "gguf.unsupported_version": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” uses GGUF version {version}, which Hearth cannot read (it reads versions "
        "{supported}). Get a newer conversion of the model.",
    ),
    "gguf.damaged": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is damaged: its GGUF header is not readable ({problem}). Get the file again.",
    ),
    "gguf.too_many_tensors": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is damaged: its GGUF header is not readable (it claims {count:,} tensors). "
        "Get the file again.",
    ),
    "gguf.too_many_keys": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is damaged: its GGUF header is not readable (it claims {count:,} keys). Get"
        " the file again.",
    ),
    "gguf.key_too_long": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is damaged: its GGUF header is not readable (a key name longer than 64 KB)."
        " Get the file again.",
    ),
    "gguf.too_many_dims": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is damaged: its GGUF header is not readable (a tensor with {count:,} "
        "dimensions). Get the file again.",
    ),
    "gguf.dimension_too_large": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is damaged: its GGUF header is not readable (a tensor dimension of "
        "{size:,}). Get the file again.",
    ),
    "gguf.too_many_elements": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is damaged: its GGUF header is not readable (a tensor with an impossible "
        "number of elements). Get the file again.",
    ),
    "gguf.bad_alignment": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is damaged: its GGUF header is not readable (bad alignment). Get the file again.",
    ),
    "gguf.unknown_value_type": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is damaged: its GGUF header is not readable (unknown value type {type}). "
        "Get the file again.",
    ),
    "gguf.unknown_array_type": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is damaged: its GGUF header is not readable (unknown array item type "
        "{type}). Get the file again.",
    ),
    "gguf.arrays_too_deep": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is damaged: its GGUF header is not readable (arrays nested more than "
        "{depth} deep). Get the file again.",
    ),
    "gguf.is_adapter": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is a LoRA adapter, not a chat model. Choose the model's main .gguf file instead.",
    ),
    "gguf.is_mmproj": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is a vision projector, not a chat model. Choose the model's main .gguf file"
        " instead.",
    ),
    "gguf.is_imatrix": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is an importance matrix, not a chat model. Choose the model's main .gguf "
        "file instead.",
    ),
    "gguf.no_architecture": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” does not say what kind of model it is (no general.architecture), so Hearth "
        "cannot load it. Get a GGUF converted by a recent llama.cpp.",
    ),
    "gguf.not_causal": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is a “{architecture}” model, which cannot chat: it is an encoder, "
        "embedding, vision or diffusion model rather than a text generator. Choose a chat "
        "model such as DeepSeek-R1-Distill-Qwen.",
    ),
    "gguf.no_tokenizer": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” has no tokenizer, so Hearth cannot chat with it. Choose a complete model "
        "file rather than a part or an adapter.",
    ),
    "model.not_found": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "No installed model is called “{name}”. Installed: {known}. Run “models list” to see them.",
    ),
    "model.not_installed": QT_TRANSLATE_NOOP(
        "CoreErrors", "No installed model is called “{name}”. Run “models list” to see the names."
    ),
    "model.bad_name": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” is not a model name. Use the name shown by “models list”."
    ),
    "model.no_space_to_copy": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "There is not enough free disk space to copy the model: it needs {needed} and {free} "
        "is free in {folder}. Free some space, or import the file in place instead of copying"
        " it.",
    ),
    "model.disk_filled_copying": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The disk filled up while copying {name}; nothing was installed. Free some space, or "
        "import the file in place instead.",
    ),
    "model.copy_failed": QT_TRANSLATE_NOOP(
        "CoreErrors", "Could not copy {name} into the models folder: {reason}."
    ),
    "model.file_gone": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{name} is no longer at {path}. Remove it from the list, or put the file back.",
    ),
    "model.already_installed": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "A model named “{name}” is already installed. Remove it first, or rename the file you"
        " are importing.",
    ),
    "import.not_gguf_name": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is not named like a GGUF model: Hearth imports files whose name ends in "
        ".gguf. Convert or rename the file, then import it again.",
    ),
    "import.unfinished_download": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is not named like a GGUF model: Hearth imports files whose name ends in "
        ".gguf. It looks like an unfinished download; let it finish first. Convert or rename "
        "the file, then import it again.",
    ),
    "import.hidden_file": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” is a hidden file (its name starts with a dot). Rename it without the "
        "leading dot, then import it again.",
    ),
    "import.bad_name": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” has a name Hearth cannot use for a model (it is empty or holds control "
        "characters). Rename the file, then import it again.",
    ),
    "model.load_failed_reason": QT_TRANSLATE_NOOP(
        "CoreErrors", "The model could not be loaded: {reason}"
    ),
    "model.bad_magic": QT_TRANSLATE_NOOP(
        "CoreErrors", "{name} is not a GGUF model file (invalid magic). Hearth runs .gguf models."
    ),
    "model.unknown_architecture_named": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{name} uses a model architecture ({arch}) that this version of Hearth cannot run "
        "(unknown architecture). Choose another GGUF file.",
    ),
    "model.unknown_architecture": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{name} uses a model architecture that this version of Hearth cannot run (unknown "
        "architecture). Choose another GGUF file.",
    ),
    "model.truncated": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The model file {name} is incomplete or damaged (the file is truncated). Download the"
        " model again.",
    ),
    "model.out_of_memory": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "There is not enough memory to load {name}. Close other programs or choose a smaller "
        "model.",
    ),
    "model.refused": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Hearth could not load {name}: llama.cpp refused the file. The file may be damaged or"
        " need a newer version of Hearth.",
    ),
    "model.load_failed_named": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Hearth could not load {name}: {reason}. The file may be damaged or need a newer "
        "version of Hearth.",
    ),
    "model.convert_failed": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Could not convert {name} to {ftype}. Check the free disk space and that the file is "
        "a complete GGUF model.",
    ),
    "file.disk_full": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The disk is full, so {name} could not be saved. Free some space and try again; the "
        "previous version is unchanged.",
    ),
    "file.save_failed": QT_TRANSLATE_NOOP("CoreErrors", "Could not save {path}: {reason}."),
    "download.no_source": QT_TRANSLATE_NOOP(
        "CoreErrors", "There is no source to download {name} from."
    ),
    "download.all_sources_failed": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Could not download {name}: {reasons}. Check your connection or add another source, "
        "then try again.",
    ),
    "download.all_sources_failed_kept": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Could not download {name}: {reasons}. The {downloaded} already downloaded are kept. "
        "Check your connection or add another source, then try again.",
    ),
    "download.bad_file": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Could not download {name}: {reasons}. Nothing was installed. Try again later, or "
        "choose another source.",
    ),
    "download.bad_file_kept": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Could not download {name}: {reasons}. Nothing was installed. The {downloaded} "
        "already downloaded are kept. Try again later, or choose another source.",
    ),
    "download.no_space": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "There is not enough free disk space to download {name}: it needs {needed} more plus "
        "{margin} to spare, but only {free} is free in {folder}. Free some space and try "
        "again.",
    ),
    "download.disk_full": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The disk is full, so the download of {name} stopped at {downloaded}. Free some space"
        " and resume; the partial download is kept.",
    ),
    "download.disk_full_of": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The disk is full, so the download of {name} stopped at {downloaded} of {total}. Free"
        " some space and resume; the partial download is kept.",
    ),
    "download.write_failed": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Could not write {name}: {reason}. The partial download is kept; check the models "
        "folder and try again.",
    ),
    "download.busy": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{name} is already being downloaded by another Hearth window or command. Wait for it "
        "to finish there, or stop it there and try again.",
    ),
    "download.lock_failed": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Could not lock {name} for downloading: {reason}. Check that the models folder is "
        "writable.",
    ),
    "download.catalog_contradicted": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Every source contradicts the catalog about {name}: {reasons}. Hearth stopped before "
        "downloading. The file may have been replaced upstream: update the catalog, or choose"
        " another source.",
    ),
    "download.too_many_redirects": QT_TRANSLATE_NOOP(
        "CoreErrors", "The source redirected too many times."
    ),
    "download.http_status": QT_TRANSLATE_NOOP("CoreErrors", "The source answered HTTP {status}."),
    "download.modelscope_status": QT_TRANSLATE_NOOP(
        "CoreErrors", "ModelScope answered HTTP {status}."
    ),
    "download.modelscope_not_json": QT_TRANSLATE_NOOP(
        "CoreErrors", "ModelScope sent a file list that is not JSON."
    ),
    "download.modelscope_bad_list": QT_TRANSLATE_NOOP(
        "CoreErrors", "ModelScope sent a file list Hearth does not understand."
    ),
    "download.modelscope_no_file": QT_TRANSLATE_NOOP(
        "CoreErrors", "ModelScope does not list {name} in {repo}."
    ),
    "download.source_sha_differs": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{mirror} publishes a different sha256 for {name} than the catalog pins ({found} "
        "instead of {pinned}). Hearth stopped before downloading. The file may have been "
        "replaced upstream: update the catalog, or choose another source.",
    ),
    "download.sources_disagree_sha": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The sources disagree about the sha256 of {name} ({listing}), so Hearth cannot tell "
        "which file is right and stopped before downloading. Try again later, or pin a "
        "source.",
    ),
    "download.no_sha": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "No source published a sha256 for {name}, so Hearth cannot verify the download and "
        "did not start it. Check your connection (or offline mode) and try again.",
    ),
    "download.source_size_differs": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "{mirror} reports {name} as {size:,} bytes, but the catalog pins {pinned:,}. Hearth "
        "stopped before downloading: update the catalog, or choose another source.",
    ),
    "download.sources_disagree_size": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The sources disagree about the size of {name} ({listing} bytes), so Hearth stopped "
        "before downloading. Try again later, or pin a source.",
    ),
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
    "instance.busy": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Another Hearth process owns this data folder ({folder}); wait for it to finish or "
        "close it.",
    ),
    "instance.busy_app": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Hearth is open and owns this data folder ({folder}); close it or use the app.",
    ),
    "instance.busy_serve": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Hearth's API server (process {pid}) owns this data folder ({folder}); stop it, or "
        "send your request to it.",
    ),
    "instance.busy_chat": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "A 'hearth chat' command (process {pid}) is writing to this data folder ({folder}); "
        "wait for it to finish.",
    ),
    "instance.busy_import": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "A chat import (process {pid}) is writing to this data folder ({folder}); wait for it"
        " to finish.",
    ),
    "instance.busy_pid": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Another Hearth process ({pid}) owns this data folder ({folder}); wait for it to "
        "finish or close it.",
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
    "data_dir.cannot_create": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Hearth cannot create its folder {folder} ({reason}). Check the permissions of its "
        "parent folder, or choose another place with --data-dir.",
    ),
    "data_dir.not_folder": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Hearth cannot use {folder}: it is not a folder. Move it away, or choose another "
        "place with --data-dir.",
    ),
    "data_dir.cannot_make_private": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Hearth cannot make its folder {folder} private ({reason}). It may belong to another "
        "user: fix its owner, or choose another place with --data-dir.",
    ),
    "data_dir.not_writable": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Hearth cannot write to its folder {folder}. Fix its permissions, or choose another "
        "place with --data-dir.",
    ),
    "settings.save_failed": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Hearth could not save your settings to {path}. Check that the folder is writable and"
        " the disk is not full.",
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
    "dataset.write_failed": QT_TRANSLATE_NOOP(
        "CoreErrors", "Could not write the dataset in {folder}: {reason}."
    ),
    "dataset.disk_full": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The disk is full, so the dataset {name} could not be written. Free some space and "
        "export again; no partial file was left under that name.",
    ),
    "dataset.closed": QT_TRANSLATE_NOOP("CoreErrors", "This dataset was already closed."),
    "dataset.card_failed": QT_TRANSLATE_NOOP(
        "CoreErrors", "The dataset card could not be written: {reason}"
    ),
    "dataset.prompt_file_unreadable": QT_TRANSLATE_NOOP(
        "CoreErrors", "The prompt file {path} cannot be read: {reason}."
    ),
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
    "store.disk_full": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The disk is full, so the chat could not be saved. Free some space and try again; "
        "everything saved before is safe.",
    ),
    "store.newer": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The chat history at {path} was saved by a newer version of Hearth, so this version "
        "will not change it. Update Hearth to use it, or open it read-only.",
    ),
    "store.cannot_open": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Hearth could not open its chat history at {path}. Check that the folder exists, that"
        " you may write to it and that the disk is not full.",
    ),
    "store.damaged": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The chat history file {path} is damaged. Restart Hearth to repair it; the damaged "
        "file will be kept beside the new one.",
    ),
    "store.read_only_file": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Hearth cannot write to its chat history at {path}. Check that you may write to that "
        "folder.",
    ),
    "store.busy": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The chat history is busy in another Hearth window or command. Try again in a moment.",
    ),
    "store.failed_io": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Hearth could not read or save the chat history. Try again; if it keeps happening, "
        "restart Hearth.",
    ),
    "store.folder_not_writable": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "Hearth cannot write its chat history in {folder}. Check that the folder exists and "
        "that you may write to it, or start Hearth with --data-dir pointing to another "
        "folder.",
    ),
    "store.read_only": QT_TRANSLATE_NOOP(
        "CoreErrors", "The chat history at {path} is open read-only, so changes cannot be saved."
    ),
    "store.missing": QT_TRANSLATE_NOOP("CoreErrors", "There is no chat history at {path}."),
    "store.older": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The chat history at {path} is from an older Hearth and must be upgraded before it "
        "can be read; open it normally once.",
    ),
    "store.json_too_large": QT_TRANSLATE_NOOP(
        "CoreErrors", "These settings or details are too large to save."
    ),
    "store.conversation_missing": QT_TRANSLATE_NOOP(
        "CoreErrors", "This conversation no longer exists; it may have been deleted."
    ),
    "store.message_missing": QT_TRANSLATE_NOOP(
        "CoreErrors", "This message no longer exists; it may have been deleted."
    ),
    "store.answer_too_long": QT_TRANSLATE_NOOP(
        "CoreErrors", "This answer is too long to save (more than {limit:,} characters)."
    ),
    "store.reasoning_too_long": QT_TRANSLATE_NOOP(
        "CoreErrors", "This reasoning is too long to save (more than {limit:,} characters)."
    ),
    "store.message_too_long": QT_TRANSLATE_NOOP(
        "CoreErrors", "This message is too long to save (more than {limit:,} characters)."
    ),
    "store.note_too_long": QT_TRANSLATE_NOOP(
        "CoreErrors", "This note is too long to save (more than {limit:,} characters)."
    ),
    "store.bad_time": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The time in “{field}” is not a usable date, so this conversation was not added.",
    ),
    "store.bad_id": QT_TRANSLATE_NOOP(
        "CoreErrors", "The id in “{field}” is not usable, so this conversation was not added."
    ),
    "store.id_in_use": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The conversation “{title}” could not be added because one of its ids is already in use.",
    ),
    "store.duplicate_message_id": QT_TRANSLATE_NOOP(
        "CoreErrors", "Two messages of this conversation have the same id."
    ),
    "store.orphan_message": QT_TRANSLATE_NOOP(
        "CoreErrors", "The message “{field}” answers a message that is not in its conversation."
    ),
    "store.bad_role": QT_TRANSLATE_NOOP(
        "CoreErrors", "The role in “{field}.role” is not user, assistant or system."
    ),
    "store.bad_state": QT_TRANSLATE_NOOP(
        "CoreErrors", "The state in “{field}.state” is not known."
    ),
    "store.message_cycle": QT_TRANSLATE_NOOP(
        "CoreErrors", "The messages of this conversation answer each other in a circle."
    ),
    "import.bad_field": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "This file cannot be imported: the field “{field}” {problem}. Nothing was imported.",
    ),
    "import.unreadable": QT_TRANSLATE_NOOP(
        "CoreErrors", "Could not read {path}: it is missing, unreadable or not a text file."
    ),
    "import.not_regular": QT_TRANSLATE_NOOP(
        "CoreErrors", "{name} is not a regular file, so it cannot be imported."
    ),
    "import.too_large": QT_TRANSLATE_NOOP(
        "CoreErrors", "{name} is too large to be a Hearth chat export."
    ),
    "import.too_large_mb": QT_TRANSLATE_NOOP(
        "CoreErrors", "{name} is too large to be a Hearth chat export (more than {limit_mb} MB)."
    ),
    "import.too_deep": QT_TRANSLATE_NOOP(
        "CoreErrors", "{name} is not a Hearth JSON export (it is nested too deeply)."
    ),
    "import.not_json": QT_TRANSLATE_NOOP(
        "CoreErrors", "{name} is not a Hearth JSON export (it is not valid JSON)."
    ),
    "import.no_conversations": QT_TRANSLATE_NOOP(
        "CoreErrors", "This file is not a Hearth chat export: it has no list of conversations."
    ),
    "import.no_version": QT_TRANSLATE_NOOP(
        "CoreErrors", "This file is not a Hearth chat export: it has no version."
    ),
    "import.newer": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "This export was made by a newer version of Hearth (format {version}). Update Hearth "
        "to import it.",
    ),
    "catalog.unknown_model": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "There is no model “{query}” in the catalog. Known models: {known}. Run “models list”"
        " to see them.",
    ),
    "catalog.ambiguous": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{query}” matches several models: {known}. Use one of these ids instead."
    ),
    "catalog.missing": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The model catalog {path} does not exist. Check the path given with --catalog or "
        "HEARTH_CATALOG.",
    ),
    "catalog.unreadable": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The model catalog {path} could not be read. Check that the file is readable UTF-8 text.",
    ),
    "catalog.not_json": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The model catalog {path} is not valid JSON (line {line}, column {column}: "
        "{problem}). Fix the file or point --catalog at another one.",
    ),
    "catalog.bad_shape": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The model catalog {path} is not valid: it must be a JSON object with “version” and "
        "“models”.",
    ),
    "catalog.invalid": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "The model catalog {path} is not valid: {problems}. Fix the file or point --catalog "
        "at another one.",
    ),
}

#: Code -> English template.
TEXTS: dict[str, str] = {code: str(text) for code, text in _MARKED.items()}

ErrorLike = BaseException | str | tuple[str, Mapping[str, ErrorArg], str]


def error_text(error: ErrorLike) -> str:
    """The sentence to show for ``error``, translated when its code is known."""
    if isinstance(error, tuple):
        code, params, english = error
        return _translated(code, params, english)
    if isinstance(error, HearthError):
        if error.code in TEXTS:
            return _translated(error.code, error.params, error.message)
        return _from_english(error.message)
    if isinstance(error, str):
        return _from_english(error)
    return str(error)


def translate_template(code: str) -> str:
    """The translated template of ``code`` (placeholders unfilled); "" if unknown."""
    template = TEXTS.get(code)
    if template is None:
        return ""
    return QCoreApplication.translate(CONTEXT, template)


def _translated(code: str, params: Mapping[str, Any], english: str) -> str:
    template = translate_template(code)
    if not template:
        return english
    try:
        return _FORMATTER.format(template, **params)
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        # A translation with a wrong placeholder must not hide the error: show English.
        log.warning("errors_i18n: %s cannot be filled (%r); showing English", code, exc)
        return english


class _Lenient(string.Formatter):
    """``str.format`` that shows a value as text when its format spec does not fit it
    (a size matched back out of an English sentence is already formatted)."""

    def format_field(self, value: Any, format_spec: str) -> str:
        try:
            return format(value, format_spec)
        except (ValueError, TypeError):
            return str(value)


_FORMATTER = _Lenient()


def _from_english(text: str) -> str:
    """Translate an English sentence that arrived as text by matching it to a template."""
    for code, pattern in _patterns():
        match = pattern.fullmatch(text)
        if match is not None:
            return _translated(code, match.groupdict(), text)
    return text


#: A template with less fixed text than this ("{host} timed out.") would match sentences
#: it never made, so it is translated only from a coded error, never from bare text.
_MIN_LITERAL = 20


@functools.cache
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Each template as a regex, the most fixed text first (the most specific wins)."""
    scored: list[tuple[int, str, re.Pattern[str]]] = []
    for code, template in TEXTS.items():
        parts: list[str] = []
        seen: set[str] = set()
        fixed = 0
        for literal, field, _spec, _conversion in string.Formatter().parse(template):
            parts.append(re.escape(literal))
            fixed += len(literal)
            if field is None:
                continue
            if field in seen:
                parts.append(f"(?P={field})")
            else:
                seen.add(field)
                parts.append(f"(?P<{field}>.+?)")
        if fixed >= _MIN_LITERAL:
            scored.append((fixed, code, re.compile("".join(parts), re.DOTALL)))
    scored.sort(key=lambda item: -item[0])
    return [(code, pattern) for _, code, pattern in scored]
