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


@functools.cache
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    patterns: list[tuple[str, re.Pattern[str]]] = []
    for code, template in TEXTS.items():
        parts: list[str] = []
        seen: set[str] = set()
        for literal, field, _spec, _conversion in string.Formatter().parse(template):
            parts.append(re.escape(literal))
            if field is None:
                continue
            if field in seen:
                parts.append(f"(?P={field})")
            else:
                seen.add(field)
                parts.append(f"(?P<{field}>.+?)")
        patterns.append((code, re.compile("".join(parts), re.DOTALL)))
    return patterns
