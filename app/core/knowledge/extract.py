"""Text out of the user's files: plain text, Markdown, source code, PDF, DOCX and HTML.

Every outside file is bounded: its size (a limit the user can change), the uncompressed
size and compression ratio of a DOCX, the XML inside it (no DTDs, so no entity bombs), the
pages of a PDF, what pypdf may decompress for one stream, and the wall time one file may
take (a :class:`Deadline`, checked between pages, paragraphs and blocks and inside pypdf's
per-operator loop). A file that cannot be read becomes an :class:`ExtractionError` with a
stable ``reason`` code and a sentence for the user, never a crash.

Remaining risk, accepted: a single pypdf call that does not reach a check (parsing one
enormous page's content stream before its operators are visited) can overrun the deadline
by as long as that call takes. pypdf's own limits, set below, bound it (no stream
decompresses past :data:`PDF_MAX_STREAM_BYTES`, parsing work is capped), so the overrun is
seconds, not hours. A worker process per PDF would make it hard, but the frozen app
never calls ``multiprocessing.freeze_support`` and pays a process start per file, so
extraction stays in the indexing thread.

Text encodings are detected: UTF-8 (with or without BOM) and UTF-16 with a BOM are taken
at their word; anything else goes to charset-normalizer, and GB18030 (a superset of GBK
and GB2312, which is how many Chinese files are saved) is the last try before "binary".
"""

from __future__ import annotations

import errno
import hashlib
import html.parser
import io
import logging
import os
import stat
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal
from xml.etree import ElementTree

from app.core.errors import HearthError

log = logging.getLogger(__name__)

#: The default size limit for one file (the user can change it in the Library).
DEFAULT_MAX_FILE_BYTES: Final = 50 * 1024 * 1024
#: A DOCX's XML is never allowed to grow past this, whatever its header says.
MAX_DOCX_XML_BYTES: Final = 64 * 1024 * 1024
#: Beyond this ratio of uncompressed to compressed size, a zip member is a bomb.
MAX_ZIP_RATIO: Final = 200
MAX_PDF_PAGES: Final = 5000
#: No single PDF stream (a page's content, a font) is decompressed past this.
PDF_MAX_STREAM_BYTES: Final = 32 * 1024 * 1024
#: All the text of one file, at most (a PDF of many huge pages would otherwise fill memory).
MAX_TEXT_CHARS: Final = 64 * 1024 * 1024
#: Wall time one file may take to read and extract, by default (indexing and attaching).
DEFAULT_EXTRACT_SECONDS: Final = 120.0
#: How much of a file is looked at to tell text from binary.
_SNIFF_BYTES: Final = 8192

Kind = Literal["text", "markdown", "code", "pdf", "docx", "html"]

Reason = Literal[
    "unsupported",
    "too_large",
    "binary",
    "unreadable",
    "symlink_loop",
    "vanished",
    "changed",
    "encrypted",
    "no_text_layer",
    "corrupt",
    "zip_bomb",
    "empty",
    "timeout",
]

#: A monotonic clock in seconds (injected by tests, so a timeout needs no real slowness).
Clock = Callable[[], float]

TEXT_SUFFIXES: Final = frozenset({".txt", ".text", ".log", ".csv", ".tsv", ".rst", ".org", ""})
MARKDOWN_SUFFIXES: Final = frozenset({".md", ".markdown", ".mdown", ".mkd"})
CODE_SUFFIXES: Final = frozenset(
    {
        ".py", ".pyi", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".java", ".kt", ".c",
        ".h", ".cc", ".cpp", ".cxx", ".hpp", ".cs", ".go", ".rs", ".rb", ".php", ".swift",
        ".m", ".scala", ".sh", ".bash", ".zsh", ".ps1", ".bat", ".sql", ".r", ".lua",
        ".pl", ".dart", ".vue", ".svelte", ".css", ".scss", ".less", ".json", ".yaml",
        ".yml", ".toml", ".ini", ".cfg", ".conf", ".xml", ".tex", ".proto", ".gradle",
        ".cmake", ".mk", ".dockerfile", ".env",
    }
)  # fmt: skip
HTML_SUFFIXES: Final = frozenset({".html", ".htm", ".xhtml"})


class ExtractionError(HearthError):
    """A file could not be turned into text; ``reason`` is a stable code for the UI."""

    def __init__(self, reason: Reason, message: str, *, detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.reason: Reason = reason


class Deadline:
    """The moment one file's extraction must end; :meth:`check` raises after it.

    Checked between pages, paragraphs and blocks, and inside the loops that can run long,
    so a hostile file costs at most ``seconds`` (plus one unchecked step, see the module
    doc) and is listed as "took too long" while the other files are indexed.
    """

    __slots__ = ("clock", "end", "name", "seconds")

    def __init__(self, seconds: float, name: str = "", *, clock: Clock = time.monotonic) -> None:
        self.seconds = seconds
        self.name = name
        self.clock = clock
        self.end = clock() + seconds

    def check(self) -> None:
        if self.clock() > self.end:
            raise ExtractionError("timeout", "").with_code(
                "documents.timeout", name=self.name, seconds=f"{self.seconds:g}"
            )


def _check(deadline: Deadline | None) -> None:
    if deadline is not None:
        deadline.check()


@dataclass(frozen=True, slots=True)
class Extracted:
    """A file's text. ``pages`` holds each PDF page's text (page numbers start at 1)."""

    name: str
    kind: Kind
    text: str
    size: int
    sha256: str
    encoding: str = ""
    pages: tuple[str, ...] = field(default_factory=tuple)


def kind_for(path: Path) -> Kind | None:
    """The format a file name says it is, or None for a suffix Hearth does not read."""
    suffix = path.suffix.lower()
    if path.name.lower() in {"makefile", "dockerfile", "readme", "license", "changelog"}:
        return "text"
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix == ".pdf":
        return "pdf"
    if suffix == ".docx":
        return "docx"
    if suffix in CODE_SUFFIXES:
        return "code"
    if suffix in TEXT_SUFFIXES:
        return "text"
    return None


def is_supported(path: Path) -> bool:
    return kind_for(path) is not None


# --- reading bytes, bounded -----------------------------------------------------------


def read_bounded(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, or an ExtractionError naming why they cannot be had."""
    try:
        st = path.stat()
    except OSError as exc:
        raise _os_error(path, exc) from exc
    if not stat.S_ISREG(st.st_mode):
        raise ExtractionError("unreadable", "").with_code("documents.not_regular", name=path.name)
    if st.st_size > max_bytes:
        raise ExtractionError("too_large", "").with_code(
            "documents.too_large_limit",
            name=path.name,
            size=_mb(st.st_size),
            limit=_mb(max_bytes),
        )
    try:
        # Non-blocking open, then the check again on what was opened: a file swapped for a
        # FIFO after the stat above would otherwise block this open for ever.
        with open(path, "rb", opener=_open_nonblocking) as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ExtractionError("unreadable", "").with_code(
                    "documents.not_regular", name=path.name
                )
            # One byte past the limit tells a file that grew since the stat.
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise _os_error(path, exc) from exc
    if len(data) > max_bytes:
        raise ExtractionError("too_large", "").with_code(
            "documents.too_large", name=path.name, limit=_mb(max_bytes)
        )
    return data


def _open_nonblocking(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def _os_error(path: Path, exc: OSError) -> ExtractionError:
    if exc.errno == errno.ELOOP:
        return ExtractionError("symlink_loop", "").with_code(
            "documents.symlink_loop", name=path.name
        )
    if isinstance(exc, FileNotFoundError):
        return ExtractionError("vanished", "").with_code("documents.vanished", name=path.name)
    if isinstance(exc, PermissionError):
        return ExtractionError("unreadable", "", detail=str(exc)).with_code(
            "documents.permission_denied", name=path.name
        )
    return ExtractionError("unreadable", "", detail=str(exc)).with_code(
        "documents.unreadable", name=path.name
    )


# --- text -------------------------------------------------------------------------------


def looks_binary(data: bytes) -> bool:
    """NUL bytes outside a UTF-16 BOM'd file, or too many control characters."""
    head = data[:_SNIFF_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return bool(head) and controls / len(head) > 0.1


def decode_text(data: bytes, name: str = "") -> tuple[str, str]:
    """``(text, encoding)``; raises ExtractionError("binary") when it is not text."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace"), "utf-16"
    if looks_binary(data):
        raise ExtractionError("binary", "").with_code("documents.binary", name=name)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    import charset_normalizer

    best = charset_normalizer.from_bytes(data).best()
    if best is not None and best.encoding:
        encoding = str(best.encoding)
        text = str(best)
        # Short Chinese text is sometimes guessed as a Western code page; GB18030 decoding
        # cleanly into mostly CJK is the likelier truth for a file no UTF-8 decoder takes.
        # Very short text gives the detector little to go on, and Big5 and GBK share their
        # byte ranges: Hearth's Chinese users mostly write GBK, so it wins the tie.
        short_big5 = encoding.lower().replace("_", "") in {"big5", "cp950"} and len(data) < 256
        if not _is_cjk_encoding(encoding) or short_big5:
            gb = _try_gb18030(data)
            if gb is not None and _cjk_ratio(gb) > 0.3:
                return gb, "gb18030"
        return text, encoding
    gb = _try_gb18030(data)
    if gb is not None:
        return gb, "gb18030"
    raise ExtractionError("binary", "").with_code("documents.unknown_encoding", name=name)


def _is_cjk_encoding(encoding: str) -> bool:
    e = encoding.lower().replace("-", "").replace("_", "")
    return e.startswith(("gb", "big5", "cp936", "cp950", "hz", "euc", "shiftjis", "iso2022"))


def _try_gb18030(data: bytes) -> str | None:
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        return None


def _cjk_ratio(text: str) -> float:
    letters = [c for c in text if not c.isspace() and not c.isascii()]
    if not text.strip():
        return 0.0
    cjk = sum(1 for c in letters if is_cjk(c))
    return cjk / max(1, len([c for c in text if not c.isspace()]))


def is_cjk(char: str) -> bool:
    """A Han, kana or hangul character, or CJK punctuation."""
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2FA1F
        or 0xF900 <= code <= 0xFAFF
        or 0x3040 <= code <= 0x30FF
        or 0xAC00 <= code <= 0xD7AF
        or 0x3000 <= code <= 0x303F
        or 0xFF00 <= code <= 0xFFEF
    )


# --- HTML ---------------------------------------------------------------------------------

_BLOCK_TAGS: Final = frozenset(
    {
        "p", "div", "section", "article", "li", "ul", "ol", "table", "tr", "br", "hr",
        "blockquote", "pre", "header", "footer", "main", "nav", "aside", "dt", "dd", "td",
        "th", "figure", "figcaption",
    }
)  # fmt: skip
_SKIP_TAGS: Final = frozenset({"script", "style", "noscript", "template", "head", "svg"})


class _HtmlText(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._title: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS and tag != "head":
            self._skip += 1
        if tag == "title":
            self._in_title = True
        if len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self.parts.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n" if tag in {"p", "div", "section", "article"} else "\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS and tag != "head" and self._skip:
            self._skip -= 1
        if tag == "title":
            self._in_title = False
        if (len(tag) == 2 and tag[0] == "h" and tag[1] in "123456") or tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self._title.append(data)
            return
        if not self._skip:
            self.parts.append(data)

    def text(self) -> str:
        body = "".join(self.parts)
        lines = [" ".join(line.split()) for line in body.splitlines()]
        out: list[str] = []
        for line in lines:
            if line or (out and out[-1]):
                out.append(line)
        title = " ".join("".join(self._title).split())
        joined = "\n".join(out).strip()
        return f"# {title}\n\n{joined}" if title and title not in joined[:200] else joined


#: HTML is parsed this many characters at a time, with the deadline checked in between.
_HTML_SLICE: Final = 64 * 1024


def html_to_text(markup: str, deadline: Deadline | None = None) -> str:
    parser = _HtmlText()
    for start in range(0, len(markup), _HTML_SLICE):
        _check(deadline)
        parser.feed(markup[start : start + _HTML_SLICE])
    _check(deadline)
    parser.close()
    return parser.text()


# --- DOCX -----------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_to_text(
    data: bytes,
    name: str = "",
    *,
    max_xml_bytes: int = MAX_DOCX_XML_BYTES,
    deadline: Deadline | None = None,
) -> str:
    """Paragraph text of a DOCX, read with zipfile and a bounded XML parse.

    The declared uncompressed size and the compression ratio are checked before anything
    is inflated, and the actual bytes are counted while inflating, because a zip header
    can lie. DTDs are refused, so entity expansion cannot explode in memory.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ExtractionError("corrupt", "", detail=str(exc)).with_code(
            "documents.bad_docx", name=name
        ) from exc
    with archive:
        try:
            info = archive.getinfo("word/document.xml")
        except KeyError as exc:
            raise ExtractionError("corrupt", "").with_code("documents.not_word", name=name) from exc
        if info.file_size > max_xml_bytes or (
            info.compress_size > 0 and info.file_size / info.compress_size > MAX_ZIP_RATIO
        ):
            raise ExtractionError(
                "zip_bomb", "", detail=f"declared {info.file_size} from {info.compress_size}"
            ).with_code("documents.would_inflate", name=name)
        xml = _inflate_bounded(archive, info, name, max_xml_bytes, deadline)
    _check(deadline)
    if b"<!DOCTYPE" in xml[:4096].upper() or b"<!ENTITY" in xml.upper():
        raise ExtractionError("corrupt", "").with_code("documents.docx_dtd", name=name)
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise ExtractionError("corrupt", "", detail=str(exc)).with_code(
            "documents.unparsable", name=name
        ) from exc
    _check(deadline)
    paragraphs: list[str] = []
    for number, para in enumerate(root.iter(f"{_W}p")):
        if number % 256 == 0:
            _check(deadline)
        pieces: list[str] = []
        heading = 0
        for node in para.iter():
            if node.tag == f"{_W}t" and node.text:
                pieces.append(node.text)
            elif node.tag == f"{_W}tab":
                pieces.append("\t")
            elif node.tag in (f"{_W}br", f"{_W}cr"):
                pieces.append("\n")
            elif node.tag == f"{_W}pStyle":
                style = (node.get(f"{_W}val") or "").lower()
                if style.startswith(("heading", "title")):
                    digits = "".join(c for c in style if c.isdigit())
                    heading = int(digits[:1]) if digits else 1
        text = "".join(pieces).strip()
        if text:
            paragraphs.append(("#" * heading + " " if heading else "") + text)
    return "\n\n".join(paragraphs)


def _inflate_bounded(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    name: str,
    limit: int,
    deadline: Deadline | None = None,
) -> bytes:
    out = bytearray()
    try:
        with archive.open(info) as member:
            while True:
                _check(deadline)
                block = member.read(1 << 16)
                if not block:
                    break
                out += block
                if len(out) > limit or len(out) > max(1, info.compress_size) * MAX_ZIP_RATIO:
                    raise ExtractionError("zip_bomb", "").with_code("documents.inflates", name=name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise ExtractionError("corrupt", "", detail=str(exc)).with_code(
            "documents.damaged", name=name
        ) from exc
    except (ValueError, NotImplementedError) as exc:  # zlib errors, unknown compression
        raise ExtractionError("corrupt", "", detail=str(exc)).with_code(
            "documents.damaged", name=name
        ) from exc
    return bytes(out)


# --- PDF ----------------------------------------------------------------------------------


@contextmanager
def _pdf_limits() -> Iterator[None]:
    """pypdf's own resource limits, tightened for text extraction, in this thread only.

    pypdf 7 keeps them in a context variable (``apply_configuration``); older versions
    have module constants, which the page count and the deadline back up instead.
    """
    import pypdf

    apply = getattr(pypdf, "apply_configuration", None)
    if apply is None:
        yield
        return
    limits = {
        "maximum_declared_stream_length": PDF_MAX_STREAM_BYTES,
        "zlib_maximum_output_length": PDF_MAX_STREAM_BYTES,
        "lzw_maximum_output_length": PDF_MAX_STREAM_BYTES,
        "run_length_maximum_output_length": PDF_MAX_STREAM_BYTES,
        "array_based_stream_maximum_output_length": PDF_MAX_STREAM_BYTES,
        "stream_decoding_work_maximum_length": 4 * PDF_MAX_STREAM_BYTES,
        "page_tree_maximum_entries": 4 * MAX_PDF_PAGES,
    }
    known = {f for f in getattr(pypdf.Configuration, "__dataclass_fields__", {})}
    with apply(**{key: value for key, value in limits.items() if key in known}):
        yield


def pdf_pages(data: bytes, name: str = "", *, deadline: Deadline | None = None) -> tuple[str, ...]:
    """Each page's text layer. Encrypted PDFs open only with an empty password."""
    with _pdf_limits():
        return _pdf_pages(data, name, deadline)


def _pdf_pages(data: bytes, name: str, deadline: Deadline | None) -> tuple[str, ...]:
    import pypdf
    from pypdf.errors import PdfReadError, PyPdfError

    # pypdf logs every oddity of a damaged file as a warning; they are ours to summarise.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        _check(deadline)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for unsupported crypto
                raise _encrypted(name) from exc
            if not opened:
                raise _encrypted(name)
        count = len(reader.pages)
        if count > MAX_PDF_PAGES:
            raise ExtractionError("too_large", "").with_code(
                "documents.too_many_pages", name=name, count=count, limit=MAX_PDF_PAGES
            )
        texts: list[str] = []
        total = 0
        for page in reader.pages:
            _check(deadline)
            text = _page_text(page, deadline)
            total += len(text)
            if total > MAX_TEXT_CHARS:
                raise ExtractionError("too_large", "").with_code(
                    "documents.too_much_text", name=name, limit=_mb(MAX_TEXT_CHARS)
                )
            texts.append(text)
        pages = tuple(texts)
    except ExtractionError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise ExtractionError("corrupt", "", detail=str(exc)).with_code(
            "documents.damaged_pdf", name=name
        ) from exc
    except RecursionError as exc:
        raise ExtractionError("corrupt", "", detail="recursion").with_code(
            "documents.damaged_pdf", name=name
        ) from exc
    except PyPdfError as exc:
        if type(exc).__name__ == "LimitReachedError":  # past the limits set above (pypdf 6+)
            raise ExtractionError("zip_bomb", "", detail=str(exc)).with_code(
                "documents.pdf_limit", name=name
            ) from exc
        raise ExtractionError("corrupt", "", detail=str(exc)).with_code(
            "documents.damaged_pdf", name=name
        ) from exc
    if not any(page.strip() for page in pages):
        raise ExtractionError("no_text_layer", "").with_code("documents.no_text_layer", name=name)
    return pages


def _page_text(page: object, deadline: Deadline | None = None) -> str:
    if deadline is None:
        text = page.extract_text()  # type: ignore[attr-defined]
    else:
        # pypdf calls this before every operator of the page: the one way into its loop.
        seen = [0]

        def visit(*_args: object) -> None:
            seen[0] += 1
            if seen[0] % 64 == 0:
                deadline.check()

        text = page.extract_text(visitor_operand_before=visit)  # type: ignore[attr-defined]
    return str(text or "").replace("\x00", "")


def _encrypted(name: str) -> ExtractionError:
    return ExtractionError("encrypted", "").with_code("documents.encrypted", name=name)


# --- the one entry point -----------------------------------------------------------------


def extract_bytes(
    data: bytes, name: str, kind: Kind, *, deadline: Deadline | None = None
) -> tuple[str, str, tuple[str, ...]]:
    """``(text, encoding, pages)`` of a file's bytes already read, within ``deadline``."""
    if kind == "pdf":
        pages = pdf_pages(data, name, deadline=deadline)
        return "\n\n".join(pages), "", pages
    if kind == "docx":
        return docx_to_text(data, name, deadline=deadline), "", ()
    text, encoding = decode_text(data, name)
    _check(deadline)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    if kind == "html":
        text = html_to_text(text, deadline)
    return text, encoding, ()


def extract_file(
    path: Path,
    *,
    max_bytes: int = DEFAULT_MAX_FILE_BYTES,
    seconds: float = DEFAULT_EXTRACT_SECONDS,
    clock: Clock = time.monotonic,
) -> Extracted:
    """Read and extract one file within ``seconds``; every failure is an ExtractionError
    with its reason."""
    kind = kind_for(path)
    if kind is None:
        raise ExtractionError("unsupported", "").with_code("documents.unsupported", name=path.name)
    deadline = Deadline(seconds, path.name, clock=clock)
    data = read_bounded(path, max_bytes)
    text, encoding, pages = extract_bytes(data, path.name, kind, deadline=deadline)
    if not text.strip():
        raise ExtractionError("empty", "").with_code("documents.empty", name=path.name)
    return Extracted(
        name=path.name,
        kind=kind,
        text=text,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        encoding=encoding,
        pages=pages,
    )
