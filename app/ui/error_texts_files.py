"""Core error sentences about files: GGUF models, installed models, downloads, the chat
store, the catalog, folders and datasets, marked for lupdate (context ``CoreErrors``).

Generated from :mod:`app.core.error_messages`; see :mod:`app.ui.errors_i18n`.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP

#: Code -> English template (PySide6 types QT_TRANSLATE_NOOP as returning ``object``).
MARKED: dict[str, object] = {
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
    # --- Documents: files the Library could not index (app/core/knowledge/) -----------------
    "documents.timeout": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” took longer than {seconds} s to read; it was skipped."
    ),
    "documents.pdf_limit": QT_TRANSLATE_NOOP(
        "CoreErrors",
        "“{name}” has a part that would decompress to an unsafe size; it was not read.",
    ),
    "documents.too_much_text": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” holds more text than Hearth reads from one file ({limit})."
    ),
    "documents.link_outside": QT_TRANSLATE_NOOP(
        "CoreErrors", "“{name}” is a link to a file outside the folder, so it was not read."
    ),
    "documents.root_missing": QT_TRANSLATE_NOOP("CoreErrors", "“{path}” no longer exists."),
}
