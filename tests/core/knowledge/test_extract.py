"""Extraction: every format, encodings (GBK too), and every bad input → a listed reason."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from app.core.knowledge.extract import (
    ExtractionError,
    decode_text,
    docx_to_text,
    extract_file,
    html_to_text,
    kind_for,
)
from tests.core.knowledge.files import (
    docx_bytes,
    docx_xml,
    encrypted_pdf_bytes,
    lying_docx_bytes,
    pdf_bytes,
    write,
)

CORPUS = Path(__file__).resolve().parents[2] / "support" / "corpus" / "notes"


def reason_of(path: Path, **kwargs: int) -> str:
    with pytest.raises(ExtractionError) as info:
        extract_file(path, **kwargs)
    assert str(info.value)  # a sentence for the user
    return info.value.reason


def test_kinds_by_suffix() -> None:
    assert kind_for(Path("a.md")) == "markdown"
    assert kind_for(Path("a.PDF")) == "pdf"
    assert kind_for(Path("a.docx")) == "docx"
    assert kind_for(Path("a.htm")) == "html"
    assert kind_for(Path("a.rs")) == "code"
    assert kind_for(Path("notes.txt")) == "text"
    assert kind_for(Path("photo.png")) is None


def test_gbk_file_is_detected_and_decoded() -> None:
    doc = extract_file(CORPUS / "灶台-gbk.txt")
    assert "腊月二十三" in doc.text
    assert doc.encoding.replace("_", "").lower() in {"gb18030", "gbk", "gb2312"}


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-16", "utf-8-sig"])
def test_encodings(encoding: str) -> None:
    text = "合同的有效期为三年，自签字之日起计算。The contract lasts three years."
    decoded, _used = decode_text(text.encode(encoding), "x.txt")
    assert decoded.strip("\ufeff") == text


def test_short_gbk_text_is_still_chinese() -> None:
    decoded, used = decode_text("灶台".encode("gbk"), "x.txt")
    assert decoded == "灶台", used


def test_markdown_code_and_html(tmp_path: Path) -> None:
    assert "certified sweep" in extract_file(CORPUS / "hearth-maintenance.md").text
    code = extract_file(CORPUS / "retry.py")
    assert code.kind == "code" and "exponential backoff" in code.text
    html = extract_file(CORPUS / "project-orion.html").text
    assert "1.2 million euros" in html
    assert "console.log" not in html and "color:red" not in html
    assert "# Project Orion status" in html and "## Budget" in html


def test_html_entities_and_blocks() -> None:
    text = html_to_text("<p>a &amp; b</p><ul><li>one</li><li>two</li></ul>")
    assert "a & b" in text and "one\n" in text


def test_pdf_pages(tmp_path: Path) -> None:
    path = write(tmp_path / "paper.pdf", pdf_bytes(["First page text", "Second page text"]))
    doc = extract_file(path)
    assert doc.kind == "pdf"
    assert doc.pages == ("First page text", "Second page text")


def test_docx_paragraphs_and_headings(tmp_path: Path) -> None:
    xml = docx_xml(
        [("Heading1", "Terms"), ("", "The rent is due monthly."), ("", "租金按月支付。")]
    )
    doc = extract_file(write(tmp_path / "lease.docx", docx_bytes(xml)))
    assert doc.text == "# Terms\n\nThe rent is due monthly.\n\n租金按月支付。"


def test_encrypted_pdf(tmp_path: Path) -> None:
    assert reason_of(write(tmp_path / "locked.pdf", encrypted_pdf_bytes("secret text"))) == (
        "encrypted"
    )


def test_scanned_pdf_says_ocr_is_not_supported(tmp_path: Path) -> None:
    path = write(tmp_path / "scan.pdf", pdf_bytes(["", ""]))
    with pytest.raises(ExtractionError) as info:
        extract_file(path)
    assert info.value.reason == "no_text_layer"
    assert "OCR is not supported" in str(info.value)


def test_corrupt_pdf(tmp_path: Path) -> None:
    assert reason_of(write(tmp_path / "bad.pdf", b"%PDF-1.4\n garbage \x00\x01" * 10)) in {
        "corrupt",
        "no_text_layer",
    }


def test_corrupt_docx(tmp_path: Path) -> None:
    assert reason_of(write(tmp_path / "bad.docx", b"PK\x03\x04 not really a zip")) == "corrupt"
    assert reason_of(write(tmp_path / "empty.docx", docx_bytes(b"<broken"))) == "corrupt"


def test_docx_with_entities_is_refused(tmp_path: Path) -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<w:document>&lol2;</w:document>"
    )
    assert reason_of(write(tmp_path / "laughs.docx", docx_bytes(laughs))) == "corrupt"


def test_zip_bomb_docx_by_ratio(tmp_path: Path) -> None:
    bomb = docx_bytes(b"<w:document>" + b" " * 20_000_000 + b"</w:document>")
    assert len(bomb) < 200_000
    assert reason_of(write(tmp_path / "bomb.docx", bomb)) == "zip_bomb"


def test_zip_bomb_docx_with_a_lying_header_stays_bounded(tmp_path: Path) -> None:
    path = write(tmp_path / "liar.docx", lying_docx_bytes(20_000_000))
    started = time.monotonic()
    assert reason_of(path) in {"zip_bomb", "corrupt"}
    assert time.monotonic() - started < 30  # hang protection only


def test_docx_xml_limit_is_enforced() -> None:
    xml = docx_xml([("", "x" * 5000)])
    with pytest.raises(ExtractionError) as info:
        docx_to_text(docx_bytes(xml), "big.docx", max_xml_bytes=1000)
    assert info.value.reason == "zip_bomb"


def test_binary_file(tmp_path: Path) -> None:
    path = write(tmp_path / "blob.txt", bytes(range(256)) * 64)
    assert reason_of(path) == "binary"


def test_huge_file_over_the_limit(tmp_path: Path) -> None:
    path = write(tmp_path / "big.txt", b"words " * 1000)
    assert reason_of(path, max_bytes=100) == "too_large"
    assert extract_file(path, max_bytes=10_000).size == 6000


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX, not root")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path / "secret.txt", b"hidden")
    path.chmod(0)
    try:
        assert reason_of(path) == "unreadable"
    finally:
        path.chmod(0o600)


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_symlink_loop(tmp_path: Path) -> None:
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.symlink_to(b)
    b.symlink_to(a)
    assert reason_of(a) == "symlink_loop"


def test_vanished_and_empty_and_unsupported(tmp_path: Path) -> None:
    assert reason_of(tmp_path / "gone.txt") == "vanished"
    assert reason_of(write(tmp_path / "blank.md", b"  \n\n")) == "empty"
    assert reason_of(write(tmp_path / "x.png", b"\x89PNG")) == "unsupported"


def test_hash_and_size(tmp_path: Path) -> None:
    import hashlib

    data = "héllo".encode()
    doc = extract_file(write(tmp_path / "h.txt", data))
    assert doc.size == len(data) and doc.sha256 == hashlib.sha256(data).hexdigest()


def test_a_folder_named_like_a_file_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "folder.txt").mkdir()
    assert reason_of(tmp_path / "folder.txt") == "unreadable"


def test_permission_denied_is_unreadable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Root reads any file, so the refusal is simulated at the one place bytes are opened.
    import builtins

    path = write(tmp_path / "secret.txt", b"hidden")
    real_open = builtins.open

    def refusing_open(file: object, *args: object, **kwargs: object) -> object:
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(builtins, "open", refusing_open)
    assert reason_of(path) == "unreadable"
