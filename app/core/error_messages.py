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
    # --- Chat sessions and votes (session.py, session_events.py, vote_turn.py) -------------
    "chat.empty_message": "The message is empty.",
    "chat.nothing_to_regenerate": "This message has no question to answer again.",
    "chat.edit_own_only": "Only your own messages can be edited.",
    "chat.continue_answer_only": "Only an answer can be continued.",
    "chat.summary_needs_chat": "Open a chat to summarise first.",
    "chat.no_model": "No model is loaded. Load a model first.",
    "chat.busy": "Hearth is still answering. Wait for it or press Stop, then send again.",
    "vote.bad_count": "A vote takes between 2 and {limit} samples.",
    "vote.started": "This vote has already started.",
    "vote.no_model": "Load a model first, then ask again.",
    # --- Chat templates (app/core/template.py) ---------------------------------------------
    "template.refused": (
        "The model's chat template refused this conversation ({reason}). Start a new chat or "
        "use another model."
    ),
    "template.broken": (
        "This model's chat template is broken, so Hearth cannot format the conversation. Use "
        "another copy of this model."
    ),
    "template.continue_answer_only": (
        "Only an assistant answer can be continued. Send a new message instead."
    ),
    "template.over_limit": (
        "The model's chat template took too much time or memory and was stopped. Use another "
        "copy of this model."
    ),
    "template.unsafe": (
        "The model's chat template tried to do something unsafe and was blocked. Use another "
        "copy of this model."
    ),
    "template.failed": (
        "The model's chat template failed while formatting the conversation. Use another copy "
        "of this model."
    ),
    # --- Folders and settings (paths.py, settings.py) --------------------------------------
    "data_dir.cannot_create": (
        "Hearth cannot create its folder {folder} ({reason}). Check the permissions of its "
        "parent folder, or choose another place with --data-dir."
    ),
    "data_dir.not_folder": (
        "Hearth cannot use {folder}: it is not a folder. Move it away, or choose another place "
        "with --data-dir."
    ),
    "data_dir.cannot_make_private": (
        "Hearth cannot make its folder {folder} private ({reason}). It may belong to another "
        "user: fix its owner, or choose another place with --data-dir."
    ),
    "data_dir.not_writable": (
        "Hearth cannot write to its folder {folder}. Fix its permissions, or choose another "
        "place with --data-dir."
    ),
    "settings.save_failed": (
        "Hearth could not save your settings to {path}. Check that the folder is writable and "
        "the disk is not full."
    ),
    # --- The network gateway (network.py, network_events.py) ------------------------------
    "network.offline_download": "Hearth is offline; turn off offline mode to download.",
    "network.failed": "The request to {host} failed.",
    "network.connect_timeout": (
        "Connecting to {host} timed out. Check your connection and try again."
    ),
    "network.connect_failed": "Could not connect to {host}. Check your connection and try again.",
    "network.stalled": "{host} stopped sending data.",
    "network.timeout": "{host} timed out.",
    "network.dropped": "The connection to {host} dropped.",
    "network.tls": (
        "The security certificate of {host} could not be verified, so Hearth did not connect. "
        "Use another source."
    ),
    "network.too_many_redirects": "The download address redirected too many times.",
    "network.bad_url": "That download address is not a valid URL.",
    "network.stopped": "The transfer was stopped.",
    "network.bad_ca_file": (
        "The certificate file {path} could not be read. Choose a PEM file with the server's CA "
        "certificate."
    ),
    "network.bad_redirect": (
        "{host} redirected to an address that is not valid. Use another source."
    ),
    "network.insecure_redirect": (
        "{host} redirected to an insecure (non-https) address, so Hearth stopped. Use another "
        "source."
    ),
    "network.too_large": "{host} sent an unexpectedly large answer.",
    "network.body_too_large": (
        "{host} sent more than Hearth accepts in one answer, so it stopped reading."
    ),
    "network.not_event_stream": "{host} did not answer with an event stream.",
    # --- Documents (app/core/knowledge/) ---------------------------------------------------
    "documents.unsupported": "“{name}” is not a format Hearth can read.",
    "documents.empty": "“{name}” contains no text.",
    "documents.changed": (
        "“{name}” changed while it was indexed; it will be indexed again next time."
    ),
    "documents.unreadable": "“{name}” cannot be read.",
    "documents.vanished_indexing": "“{name}” was deleted or moved while it was indexed.",
    "documents.not_embedding_model": "“{name}” cannot be used as an embedding model.",
    "documents.tokenize_failed": "A text could not be converted to tokens.",
    "documents.embed_failed": "The embedding model failed.",
    "documents.embed_closed": "The embedding model is closed.",
    "documents.no_vector": "The embedding model returned no vector.",
    "documents.collection_needs_name": "A collection needs a name.",
    "documents.no_collection": "There is no collection named “{name}”.",
    "documents.index_unusable": (
        "The document index could not be opened. Delete it in the Library to rebuild it."
    ),
    "documents.disk_full": (
        "The disk is full, so indexing stopped. The index is intact; free some space and index "
        "again to continue."
    ),
    "documents.not_regular": "“{name}” is not a regular file.",
    "documents.permission_denied": "“{name}” cannot be read: permission denied.",
    "documents.too_large_limit": (
        "“{name}” is larger than the size limit ({size} > {limit}). Raise the limit in the "
        "Library to include it."
    ),
    "documents.too_large": "“{name}” is larger than the size limit ({limit}).",
    "documents.symlink_loop": "“{name}” is a symbolic link that loops back on itself.",
    "documents.vanished": "“{name}” was deleted or moved while reading it.",
    "documents.binary": "“{name}” looks like a binary file, not text.",
    "documents.unknown_encoding": "“{name}” is not text in any encoding Hearth knows.",
    "documents.encrypted": (
        "“{name}” is password-protected. Save an unprotected copy to include it."
    ),
    "documents.docx_dtd": "“{name}” contains a DTD, which DOCX never needs.",
    "documents.no_text_layer": (
        "“{name}” has no text layer (it is probably scanned). OCR is not supported."
    ),
    "documents.bad_docx": "“{name}” is not a valid DOCX file (it is damaged).",
    "documents.not_word": "“{name}” is not a Word document (no document.xml inside).",
    "documents.would_inflate": "“{name}” would inflate to an unsafe size; it was not opened.",
    "documents.inflates": "“{name}” inflates to an unsafe size; it was not opened.",
    "documents.unparsable": "“{name}” is damaged (its text cannot be parsed).",
    "documents.damaged": "“{name}” is damaged.",
    "documents.too_many_pages": "“{name}” has {count} pages; Hearth reads at most {limit}.",
    "documents.damaged_pdf": "“{name}” is a damaged PDF.",
    "documents.timeout": "“{name}” took longer than {seconds} s to read; it was skipped.",
    "documents.pdf_limit": (
        "“{name}” has a part that would decompress to an unsafe size; it was not read."
    ),
    "documents.too_much_text": (
        "“{name}” holds more text than Hearth reads from one file ({limit})."
    ),
    "documents.link_outside": (
        "“{name}” is a link to a file outside the folder, so it was not read."
    ),
    "documents.root_missing": "“{path}” no longer exists.",
    # --- Datasets (dataset.py, dataset_generate.py) ---------------------------------------
    "dataset.write_failed": "Could not write the dataset in {folder}: {reason}.",
    "dataset.disk_full": (
        "The disk is full, so the dataset {name} could not be written. Free some space and "
        "export again; no partial file was left under that name."
    ),
    "dataset.closed": "This dataset was already closed.",
    "dataset.card_failed": "The dataset card could not be written: {reason}",
    "dataset.prompt_file_unreadable": "The prompt file {path} cannot be read: {reason}.",
    # --- Remote engines (engines/remote.py, engines/remote_wire.py) -----------------------
    "remote.closed": "This remote engine was closed.",
    "remote.ended_early": (
        "{name} ({host}) ended the answer early, without saying it was done. What arrived is "
        "kept; press Continue to finish it."
    ),
    "remote.answer_too_long": (
        "{name} ({host}) sent a longer answer than Hearth accepts, so it stopped reading. What "
        "arrived is kept."
    ),
    "remote.body_too_large": (
        "{name} ({host}) sent more than Hearth accepts in one answer, so it stopped reading. "
        "What arrived is kept."
    ),
    "remote.request_failed": "The request to {host} failed: {reason}",
    "remote.offline": (
        "Hearth is offline, and {name} ({host}) is on another machine. Turn off offline mode, "
        "or pick a model on this computer."
    ),
    "remote.server_failed": (
        "{name} ({host}) failed while answering (HTTP {status}). Try again; if it keeps "
        "failing, look at the server's log."
    ),
    "remote.not_openai": (
        "{host} answered, but not the way an OpenAI-compatible server does. Check the address "
        "and the server kind in Settings › Engines."
    ),
    "remote.no_address": "Enter the server's address, for example http://192.168.1.20:8080/v1.",
    "remote.bad_address": (
        "“{text}” is not a web address Hearth can use. It should look like "
        "http://192.168.1.20:8080/v1."
    ),
    "remote.bad_port": "The port in “{text}” is not a number between 1 and 65535.",
    "remote.credentials_in_url": (
        "Leave the user name and password out of the address; put the key in the API key "
        "field instead."
    ),
    "remote.stopped_mid_answer": (
        "{name} ({host}) stopped sending in the middle of the answer. What arrived is kept; "
        "press Continue to finish it."
    ),
    "remote.dropped_mid_answer": (
        "{name} ({host}) dropped the connection in the middle of the answer. What arrived is "
        "kept; press Continue to finish it."
    ),
    "remote.tls": (
        "The certificate of {host} could not be verified, so Hearth did not connect. If the "
        "server uses its own certificate authority, choose its CA file in Settings › Engines."
    ),
    "remote.dns": (
        "Hearth could not find a server named “{server}”. Check the address in Settings › Engines."
    ),
    "remote.nothing_answered": (
        "Nothing answered at {host}. Check that the server is running and the address and "
        "port are right."
    ),
    "remote.connect_timeout": (
        "{host} did not answer within {seconds:g} s. Check the address, or raise the connect "
        "timeout in Settings › Engines."
    ),
    "remote.read_timeout": (
        "{host} accepted the request but sent nothing for {seconds:g} s. The server may be "
        "overloaded; try again, or raise the read timeout in Settings › Engines."
    ),
    "remote.dropped": "The connection to {host} dropped before the answer started. Try again.",
    "remote.no_key": (
        "{name} ({host}) refused no API key (HTTP {status}). Check the key in Settings › Engines."
    ),
    "remote.bad_key": (
        "{name} ({host}) refused the API key (HTTP {status}). Check the key in Settings › Engines."
    ),
    "remote.busy": "{name} ({host}) is busy with other requests. Try again in a moment.",
    "remote.busy_seconds": (
        "{name} ({host}) is busy with other requests. Try again in {seconds} s."
    ),
    "remote.busy_minutes": (
        "{name} ({host}) is busy with other requests. Try again in {minutes} minutes."
    ),
    "remote.loading": (
        "{name} ({host}) is not ready to answer (it may still be loading its model). Try again "
        "in a moment."
    ),
    "remote.loading_seconds": (
        "{name} ({host}) is not ready to answer (it may still be loading its model). Try again "
        "in {seconds} s."
    ),
    "remote.loading_minutes": (
        "{name} ({host}) is not ready to answer (it may still be loading its model). Try again "
        "in {minutes} minutes."
    ),
    "remote.no_model": (
        "{name} ({host}) does not serve the model “{model}”. Pick one of its models in "
        "Settings › Engines."
    ),
    "remote.context": (
        "The conversation is too long for “{model}” on {host}. Start a new chat, or use File › "
        "Summarise and continue."
    ),
    "remote.no_api": (
        "{host} has no OpenAI-compatible chat API at {path}. Check the address in Settings › "
        "Engines (it usually ends in /v1)."
    ),
    "remote.redirect": (
        "{host} sent the request elsewhere ({target}). Use that address in Settings › Engines."
    ),
    "remote.redirect_unknown": (
        "{host} sent the request elsewhere (another address). Use that address in Settings › "
        "Engines."
    ),
    "remote.refused": "{name} ({host}) refused the request (HTTP {status}).",
    "remote.refused_said": "{name} ({host}) refused the request (HTTP {status}): {said}",
    "remote.web_page": (
        "{host} answered with a web page, not with an OpenAI-compatible API. Check the address "
        "in Settings › Engines (it usually ends in /v1)."
    ),
    "remote.garbled": (
        "{host} started sending data Hearth cannot read in the middle of the answer. What "
        "arrived is kept."
    ),
    "remote.read_failed": "Reading the answer from {host} failed.",
    "remote.server_error": "{name} ({host}) stopped with an error: {said}",
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
