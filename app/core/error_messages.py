"""The English sentence of every error code, with ``{name}`` placeholders.

:class:`app.core.errors.HearthError` fills these for ``str(error)`` (logs, CLI, API).
``app/ui/errors_i18n.py`` holds the same templates for Qt's translator; a test keeps the
two identical, so a sentence changed here must be changed there (and translated).

Placeholders name plain values (names, sizes, counts); a format spec such as
``{size:,}`` is allowed and must be kept by translations. Sentences are composed here,
never at the raise site, so that a translator sees each one whole.
"""

from __future__ import annotations

from typing import Final

ENGLISH: Final[dict[str, str]] = {
    "cancelled": "Cancelled.",
    # --- GGUF files (app/core/gguf.py) ---------------------------------------------------
    "gguf.missing": "The model file {path} does not exist. Check the path and try again.",
    "gguf.cannot_open": "“{name}” could not be opened: {reason}. Check that the file is readable.",
    "gguf.is_folder": (
        "“{name}” is a folder, not a GGUF model file. Choose the .gguf file inside it."
    ),
    "gguf.not_regular": (
        "“{name}” is not a regular file (it is a {kind}), so Hearth does not read it as a "
        "model. Choose a .gguf file."
    ),
    "gguf.empty": (
        "“{name}” is empty (0 bytes). It is not a model; if it came from an interrupted "
        "download, download it again."
    ),
    "gguf.unreadable": "“{name}” could not be read: {reason}.",
    "gguf.not_gguf": (
        "“{name}” is not a GGUF model file. Hearth needs a .gguf file (for example from "
        "Hugging Face); other formats such as .safetensors or .bin must be converted first."
    ),
    "gguf.too_small": (
        "“{name}” is too small to be a model ({size} bytes), so it is incomplete: the file is "
        "truncated. Download the model again or copy it again."
    ),
    "gguf.truncated_header": (
        "“{name}” is incomplete (truncated: the file ends before its header does). It was "
        "probably not downloaded or copied completely; download the model again or copy it "
        "again."
    ),
    "gguf.truncated": (
        "“{name}” is incomplete (truncated: it holds {size:,} bytes but its tensors need "
        "{needed:,}). It was probably not downloaded or copied completely; download the model "
        "again or copy it again."
    ),
    "gguf.header_too_large": (
        "“{name}” is damaged or unusual: its GGUF header is larger than {limit_mb} MB, more "
        "than Hearth reads. Get the file again."
    ),
    "gguf.unsupported_version": (
        "“{name}” uses GGUF version {version}, which Hearth cannot read (it reads versions "
        "{supported}). Get a newer conversion of the model."
    ),
    "gguf.damaged": (
        "“{name}” is damaged: its GGUF header is not readable ({problem}). Get the file again."
    ),
    "gguf.too_many_tensors": (
        "“{name}” is damaged: its GGUF header is not readable (it claims {count:,} tensors). "
        "Get the file again."
    ),
    "gguf.too_many_keys": (
        "“{name}” is damaged: its GGUF header is not readable (it claims {count:,} keys). "
        "Get the file again."
    ),
    "gguf.key_too_long": (
        "“{name}” is damaged: its GGUF header is not readable (a key name longer than 64 KB). "
        "Get the file again."
    ),
    "gguf.too_many_dims": (
        "“{name}” is damaged: its GGUF header is not readable (a tensor with {count:,} "
        "dimensions). Get the file again."
    ),
    "gguf.dimension_too_large": (
        "“{name}” is damaged: its GGUF header is not readable (a tensor dimension of "
        "{size:,}). Get the file again."
    ),
    "gguf.too_many_elements": (
        "“{name}” is damaged: its GGUF header is not readable (a tensor with an impossible "
        "number of elements). Get the file again."
    ),
    "gguf.bad_alignment": (
        "“{name}” is damaged: its GGUF header is not readable (bad alignment). Get the file again."
    ),
    "gguf.unknown_value_type": (
        "“{name}” is damaged: its GGUF header is not readable (unknown value type {type}). "
        "Get the file again."
    ),
    "gguf.unknown_array_type": (
        "“{name}” is damaged: its GGUF header is not readable (unknown array item type "
        "{type}). Get the file again."
    ),
    "gguf.arrays_too_deep": (
        "“{name}” is damaged: its GGUF header is not readable (arrays nested more than "
        "{depth} deep). Get the file again."
    ),
    "gguf.is_adapter": (
        "“{name}” is a LoRA adapter, not a chat model. Choose the model's main .gguf file instead."
    ),
    "gguf.is_mmproj": (
        "“{name}” is a vision projector, not a chat model. Choose the model's main .gguf file "
        "instead."
    ),
    "gguf.is_imatrix": (
        "“{name}” is an importance matrix, not a chat model. Choose the model's main .gguf "
        "file instead."
    ),
    "gguf.no_architecture": (
        "“{name}” does not say what kind of model it is (no general.architecture), so Hearth "
        "cannot load it. Get a GGUF converted by a recent llama.cpp."
    ),
    "gguf.not_causal": (
        "“{name}” is a “{architecture}” model, which cannot chat: it is an encoder, "
        "embedding, vision or diffusion model rather than a text generator. Choose a chat "
        "model such as DeepSeek-R1-Distill-Qwen."
    ),
    "gguf.no_tokenizer": (
        "“{name}” has no tokenizer, so Hearth cannot chat with it. Choose a complete model "
        "file rather than a part or an adapter."
    ),
    # --- Installed models (app/core/models.py) --------------------------------------------
    "model.not_found": (
        "No installed model is called “{name}”. Installed: {known}. Run “models list” to see them."
    ),
    "model.not_installed": (
        "No installed model is called “{name}”. Run “models list” to see the names."
    ),
    "model.bad_name": "“{name}” is not a model name. Use the name shown by “models list”.",
    "model.no_space_to_copy": (
        "There is not enough free disk space to copy the model: it needs {needed} and {free} "
        "is free in {folder}. Free some space, or import the file in place instead of copying "
        "it."
    ),
    "model.disk_filled_copying": (
        "The disk filled up while copying {name}; nothing was installed. Free some space, or "
        "import the file in place instead."
    ),
    "model.copy_failed": "Could not copy {name} into the models folder: {reason}.",
    "model.file_gone": (
        "{name} is no longer at {path}. Remove it from the list, or put the file back."
    ),
    "model.already_installed": (
        "A model named “{name}” is already installed. Remove it first, or rename the file you "
        "are importing."
    ),
    "import.not_gguf_name": (
        "“{name}” is not named like a GGUF model: Hearth imports files whose name ends in "
        ".gguf. Convert or rename the file, then import it again."
    ),
    "import.unfinished_download": (
        "“{name}” is not named like a GGUF model: Hearth imports files whose name ends in "
        ".gguf. It looks like an unfinished download; let it finish first. Convert or rename "
        "the file, then import it again."
    ),
    "import.hidden_file": (
        "“{name}” is a hidden file (its name starts with a dot). Rename it without the "
        "leading dot, then import it again."
    ),
    "import.bad_name": (
        "“{name}” has a name Hearth cannot use for a model (it is empty or holds control "
        "characters). Rename the file, then import it again."
    ),
    "model.load_failed_reason": "The model could not be loaded: {reason}",
    "model.bad_magic": "{name} is not a GGUF model file (invalid magic). Hearth runs .gguf models.",
    "model.unknown_architecture_named": (
        "{name} uses a model architecture ({arch}) that this version of Hearth cannot run "
        "(unknown architecture). Choose another GGUF file."
    ),
    "model.unknown_architecture": (
        "{name} uses a model architecture that this version of Hearth cannot run (unknown "
        "architecture). Choose another GGUF file."
    ),
    "model.truncated": (
        "The model file {name} is incomplete or damaged (the file is truncated). Download the "
        "model again."
    ),
    "model.out_of_memory": (
        "There is not enough memory to load {name}. Close other programs or choose a smaller model."
    ),
    "model.refused": (
        "Hearth could not load {name}: llama.cpp refused the file. The file may be damaged or "
        "need a newer version of Hearth."
    ),
    "model.load_failed_named": (
        "Hearth could not load {name}: {reason}. The file may be damaged or need a newer "
        "version of Hearth."
    ),
    "model.convert_failed": (
        "Could not convert {name} to {ftype}. Check the free disk space and that the file is "
        "a complete GGUF model."
    ),
    # --- Files (app/core/atomic.py) -------------------------------------------------------
    "file.disk_full": (
        "The disk is full, so {name} could not be saved. Free some space and try again; the "
        "previous version is unchanged."
    ),
    "file.save_failed": "Could not save {path}: {reason}.",
    # --- Downloads (downloads.py, download_io.py, source_metadata.py, install.py) ----------
    "download.no_source": "There is no source to download {name} from.",
    "download.all_sources_failed": (
        "Could not download {name}: {reasons}. Check your connection or add another source, "
        "then try again."
    ),
    "download.all_sources_failed_kept": (
        "Could not download {name}: {reasons}. The {downloaded} already downloaded are kept. "
        "Check your connection or add another source, then try again."
    ),
    "download.bad_file": (
        "Could not download {name}: {reasons}. Nothing was installed. Try again later, or "
        "choose another source."
    ),
    "download.bad_file_kept": (
        "Could not download {name}: {reasons}. Nothing was installed. The {downloaded} "
        "already downloaded are kept. Try again later, or choose another source."
    ),
    "download.no_space": (
        "There is not enough free disk space to download {name}: it needs {needed} more plus "
        "{margin} to spare, but only {free} is free in {folder}. Free some space and try "
        "again."
    ),
    "download.disk_full": (
        "The disk is full, so the download of {name} stopped at {downloaded}. Free some space "
        "and resume; the partial download is kept."
    ),
    "download.disk_full_of": (
        "The disk is full, so the download of {name} stopped at {downloaded} of {total}. Free "
        "some space and resume; the partial download is kept."
    ),
    "download.write_failed": (
        "Could not write {name}: {reason}. The partial download is kept; check the models "
        "folder and try again."
    ),
    "download.busy": (
        "{name} is already being downloaded by another Hearth window or command. Wait for it "
        "to finish there, or stop it there and try again."
    ),
    "download.lock_failed": (
        "Could not lock {name} for downloading: {reason}. Check that the models folder is writable."
    ),
    "download.catalog_contradicted": (
        "Every source contradicts the catalog about {name}: {reasons}. Hearth stopped before "
        "downloading. The file may have been replaced upstream: update the catalog, or choose "
        "another source."
    ),
    "download.too_many_redirects": "The source redirected too many times.",
    "download.http_status": "The source answered HTTP {status}.",
    "download.modelscope_status": "ModelScope answered HTTP {status}.",
    "download.modelscope_not_json": "ModelScope sent a file list that is not JSON.",
    "download.modelscope_bad_list": "ModelScope sent a file list Hearth does not understand.",
    "download.modelscope_no_file": "ModelScope does not list {name} in {repo}.",
    "download.source_sha_differs": (
        "{mirror} publishes a different sha256 for {name} than the catalog pins ({found} "
        "instead of {pinned}). Hearth stopped before downloading. The file may have been "
        "replaced upstream: update the catalog, or choose another source."
    ),
    "download.sources_disagree_sha": (
        "The sources disagree about the sha256 of {name} ({listing}), so Hearth cannot tell "
        "which file is right and stopped before downloading. Try again later, or pin a source."
    ),
    "download.no_sha": (
        "No source published a sha256 for {name}, so Hearth cannot verify the download and did "
        "not start it. Check your connection (or offline mode) and try again."
    ),
    "download.source_size_differs": (
        "{mirror} reports {name} as {size:,} bytes, but the catalog pins {pinned:,}. Hearth "
        "stopped before downloading: update the catalog, or choose another source."
    ),
    "download.sources_disagree_size": (
        "The sources disagree about the size of {name} ({listing} bytes), so Hearth stopped "
        "before downloading. Try again later, or pin a source."
    ),
    # --- The engine host (app/core/host.py) -----------------------------------------------
    "host.queue_full": "The model is busy with {limit} waiting requests. Try again in a moment.",
    "host.no_model": "No model is loaded. Open a model file first.",
    "host.closed": "Hearth was closing, so this request was not finished.",
    "host.unexpected": "Something went wrong. Try again.",
    "host.turn_crashed": "Generation stopped because of an error: {reason}",
    # --- The local engine (app/core/engines/) ---------------------------------------------
    "engine.no_model": "No model is loaded.",
    "engine.unloaded": "The model has been unloaded. Load a model to continue.",
    "engine.busy": "The model is still busy with another answer. Stop it first.",
    "engine.too_many_samples": "Hearth can sample at most {limit} answers at once.",
    "engine.prompt_too_long": (
        "Your message is too long for this model's context ({tokens} tokens, limit {limit}). "
        "Shorten it or raise the context length in Settings."
    ),
    "engine.prefill_failed": (
        "The model failed while reading the conversation. Try again; if it keeps failing, "
        "reload the model."
    ),
    "engine.decode_failed": (
        "The model failed while writing its answer. Try again; if it keeps failing, reload "
        "the model."
    ),
    "engine.decode_failed_samples": (
        "The model failed while writing its answers. Try again; if it keeps failing, reload "
        "the model."
    ),
    "engine.inject_failed": "The model failed while closing its reasoning. Try again.",
    "engine.tokenize_failed": "The text could not be converted to tokens.",
    # --- The data folder lock (app/core/instance.py) --------------------------------------
    "instance.busy": (
        "Another Hearth process owns this data folder ({folder}); wait for it to finish or "
        "close it."
    ),
    "instance.busy_app": (
        "Hearth is open and owns this data folder ({folder}); close it or use the app."
    ),
    "instance.busy_serve": (
        "Hearth's API server (process {pid}) owns this data folder ({folder}); stop it, or "
        "send your request to it."
    ),
    "instance.busy_chat": (
        "A 'hearth chat' command (process {pid}) is writing to this data folder ({folder}); "
        "wait for it to finish."
    ),
    "instance.busy_import": (
        "A chat import (process {pid}) is writing to this data folder ({folder}); wait for it "
        "to finish."
    ),
    "instance.busy_pid": (
        "Another Hearth process ({pid}) owns this data folder ({folder}); wait for it to "
        "finish or close it."
    ),
    # --- Remote engines (app/core/engines/registry.py) ------------------------------------
    "engines.removed": "This chat's remote engine was removed. Pick another engine for the chat.",
    "engines.save_failed": "The engine list could not be saved: {reason}",
    # --- The chat store (app/core/store/) -------------------------------------------------
    "store.disk_full": (
        "The disk is full, so the chat could not be saved. Free some space and try again; "
        "everything saved before is safe."
    ),
    "store.newer": (
        "The chat history at {path} was saved by a newer version of Hearth, so this version "
        "will not change it. Update Hearth to use it, or open it read-only."
    ),
    "store.cannot_open": (
        "Hearth could not open its chat history at {path}. Check that the folder exists, that "
        "you may write to it and that the disk is not full."
    ),
    "store.damaged": (
        "The chat history file {path} is damaged. Restart Hearth to repair it; the damaged "
        "file will be kept beside the new one."
    ),
    "store.read_only_file": (
        "Hearth cannot write to its chat history at {path}. Check that you may write to that "
        "folder."
    ),
    "store.busy": (
        "The chat history is busy in another Hearth window or command. Try again in a moment."
    ),
    "store.failed_io": (
        "Hearth could not read or save the chat history. Try again; if it keeps happening, "
        "restart Hearth."
    ),
    "store.folder_not_writable": (
        "Hearth cannot write its chat history in {folder}. Check that the folder exists and "
        "that you may write to it, or start Hearth with --data-dir pointing to another folder."
    ),
    "store.read_only": (
        "The chat history at {path} is open read-only, so changes cannot be saved."
    ),
    "store.missing": "There is no chat history at {path}.",
    "store.older": (
        "The chat history at {path} is from an older Hearth and must be upgraded before it can "
        "be read; open it normally once."
    ),
    "store.json_too_large": "These settings or details are too large to save.",
    "store.conversation_missing": "This conversation no longer exists; it may have been deleted.",
    "store.message_missing": "This message no longer exists; it may have been deleted.",
    "store.answer_too_long": "This answer is too long to save (more than {limit:,} characters).",
    "store.reasoning_too_long": (
        "This reasoning is too long to save (more than {limit:,} characters)."
    ),
    "store.message_too_long": "This message is too long to save (more than {limit:,} characters).",
    "store.note_too_long": "This note is too long to save (more than {limit:,} characters).",
    "store.bad_time": (
        "The time in “{field}” is not a usable date, so this conversation was not added."
    ),
    "store.bad_id": "The id in “{field}” is not usable, so this conversation was not added.",
    "store.id_in_use": (
        "The conversation “{title}” could not be added because one of its ids is already in use."
    ),
    "store.duplicate_message_id": "Two messages of this conversation have the same id.",
    "store.orphan_message": (
        "The message “{field}” answers a message that is not in its conversation."
    ),
    "store.bad_role": "The role in “{field}.role” is not user, assistant or system.",
    "store.bad_state": "The state in “{field}.state” is not known.",
    "store.message_cycle": "The messages of this conversation answer each other in a circle.",
    "import.bad_field": (
        "This file cannot be imported: the field “{field}” {problem}. Nothing was imported."
    ),
    "import.unreadable": "Could not read {path}: it is missing, unreadable or not a text file.",
    "import.not_regular": "{name} is not a regular file, so it cannot be imported.",
    "import.too_large": "{name} is too large to be a Hearth chat export.",
    "import.too_large_mb": (
        "{name} is too large to be a Hearth chat export (more than {limit_mb} MB)."
    ),
    "import.too_deep": "{name} is not a Hearth JSON export (it is nested too deeply).",
    "import.not_json": "{name} is not a Hearth JSON export (it is not valid JSON).",
    "import.no_conversations": (
        "This file is not a Hearth chat export: it has no list of conversations."
    ),
    "import.no_version": "This file is not a Hearth chat export: it has no version.",
    "import.newer": (
        "This export was made by a newer version of Hearth (format {version}). Update Hearth "
        "to import it."
    ),
    # --- The model catalog (app/core/catalog.py) ------------------------------------------
    "catalog.unknown_model": (
        "There is no model “{query}” in the catalog. Known models: {known}. Run “models list” "
        "to see them."
    ),
    "catalog.ambiguous": "“{query}” matches several models: {known}. Use one of these ids instead.",
    "catalog.missing": (
        "The model catalog {path} does not exist. Check the path given with --catalog or "
        "HEARTH_CATALOG."
    ),
    "catalog.unreadable": (
        "The model catalog {path} could not be read. Check that the file is readable UTF-8 text."
    ),
    "catalog.not_json": (
        "The model catalog {path} is not valid JSON (line {line}, column {column}: {problem}). "
        "Fix the file or point --catalog at another one."
    ),
    "catalog.bad_shape": (
        "The model catalog {path} is not valid: it must be a JSON object with “version” and "
        "“models”."
    ),
    "catalog.invalid": (
        "The model catalog {path} is not valid: {problems}. Fix the file or point --catalog at "
        "another one."
    ),
}
