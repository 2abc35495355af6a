"""Markdown, code and math in an assistant answer, turned into HTML that QTextDocument shows.

Three parts, from pure to Qt:

* **Markdown to HTML** (:func:`render_markdown`). markdown-it-py (CommonMark + tables +
  strikethrough) with raw HTML disabled, because model output is untrusted. Every style is
  inline, so the HTML looks right wherever it is inserted (``setHtml`` or
  ``QTextCursor.insertHtml``) without a document stylesheet. Code is highlighted by Pygments
  with inline styles, under a header with the language and a ``hearth-copy:N`` link; ``N``
  indexes :func:`copyable_code_blocks`. Math becomes ``<img src="hearth-math:...">`` with its
  size given in the tag, so layout never waits for the picture.
* **Streaming** (:class:`IncrementalRenderer`). Finished blocks are rendered once and handed
  over as stable HTML; only the open tail is rendered again on each delta, and the tail has a
  size cap, so one update costs the same at 1k and at 100k characters.
* **Math pictures** (:func:`math_image`, :func:`register_math_resources`). ziamath lays the
  formula out as SVG in pure Python (its own STIX Two Math font); Qt's SVG renderer rasterises
  it. A ``hearth-math:`` URL carries everything needed to draw it again, so the view can
  either register the images before inserting HTML or answer ``loadResource`` on demand::

      class AnswerBrowser(QTextBrowser):
          def loadResource(self, kind, url):
              if url.scheme() == MATH_URL_SCHEME:
                  return math_image(url, self.devicePixelRatioF())
              return super().loadResource(kind, url)
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml, unescapeAll
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.styles import get_style_by_name
from pygments.token import Token as PygmentsToken
from pygments.util import ClassNotFound
from PySide6.QtCore import QByteArray, QCoreApplication, QRectF, Qt, QUrl
from PySide6.QtGui import QImage, QPainter, QTextDocument
from PySide6.QtSvg import QSvgRenderer

log = logging.getLogger(__name__)

MATH_URL_SCHEME = "hearth-math"
COPY_URL_SCHEME = "hearth-copy"

# Past this, a formula is shown as source: layout time grows with it and nobody reads it.
MAX_FORMULA_CHARS = 2000
# Link schemes the view may open (after asking). Anything else is shown as plain text, so
# a model cannot forge our own hearth-copy:/hearth-math: links or point at local files.
SAFE_LINK_SCHEMES = ("http://", "https://", "mailto:")

_MONO_FAMILIES = "'JetBrains Mono','Cascadia Mono','Consolas','Menlo','DejaVu Sans Mono',monospace"


# --------------------------------------------------------------------------- theme


@dataclass(frozen=True, slots=True)
class RenderTheme:
    """Colours and sizes for rendered answers (``#rrggbb`` strings)."""

    dark: bool
    pygments_style: str
    text_color: str
    muted_color: str
    link_color: str
    code_background: str
    code_header_background: str
    code_text_color: str
    inline_code_background: str
    quote_bar_color: str
    quote_text_color: str
    table_border_color: str
    table_header_background: str
    math_color: str
    math_box_background: str
    # Pixel sizes: the view sets them from its font (and again when the user zooms).
    body_font_px: float = 13.0
    math_font_px: float = 15.0
    code_font_family: str = _MONO_FAMILIES


def light_theme() -> RenderTheme:
    return RenderTheme(
        dark=False,
        pygments_style="friendly",
        text_color="#1f2328",
        muted_color="#59636e",
        link_color="#0969da",
        code_background="#f6f8fa",
        code_header_background="#e8ebef",
        code_text_color="#1f2328",
        inline_code_background="#eff1f3",
        quote_bar_color="#d0d7de",
        quote_text_color="#59636e",
        table_border_color="#d0d7de",
        table_header_background="#f6f8fa",
        math_color="#1f2328",
        math_box_background="#fff8c5",
    )


def dark_theme() -> RenderTheme:
    return RenderTheme(
        dark=True,
        pygments_style="github-dark",
        text_color="#e6edf3",
        muted_color="#9198a1",
        link_color="#4493f8",
        code_background="#161b22",
        code_header_background="#21262d",
        code_text_color="#e6edf3",
        inline_code_background="#2a3038",
        quote_bar_color="#3d444d",
        quote_text_color="#9198a1",
        table_border_color="#3d444d",
        table_header_background="#161b22",
        math_color="#e6edf3",
        math_box_background="#3b3620",
    )


def theme_for(dark: bool) -> RenderTheme:
    return dark_theme() if dark else light_theme()


# --------------------------------------------------------------------------- math syntax


def _is_escaped(src: str, pos: int) -> bool:
    """True when ``src[pos]`` is preceded by an odd number of backslashes."""
    backslashes = 0
    pos -= 1
    while pos >= 0 and src[pos] == "\\":
        backslashes += 1
        pos -= 1
    return backslashes % 2 == 1


def _find_closing_dollar(src: str, start: int, maximum: int) -> int:
    """Closing ``$`` of inline math opened just before ``start``, or -1.

    The usual rules keep prices out of math: the opener is not followed by a space, the
    closer is not preceded by a space and not followed by a digit ("$5 and $10").
    """
    if start >= maximum or src[start].isspace() or src[start] == "$":
        return -1
    search = start
    while True:
        end = src.find("$", search, maximum)
        if end < 0:
            return -1
        # Math never crosses a code span; the backtick rule owns whatever follows.
        if src.find("`", start, end) >= 0:
            return -1
        followed_by_digit = end + 1 < maximum and src[end + 1].isdigit()
        if src[end - 1].isspace() or _is_escaped(src, end) or followed_by_digit:
            search = end + 1
            continue
        return end


def _math_inline_rule(state: StateInline, silent: bool) -> bool:
    src, pos, maximum = state.src, state.pos, state.posMax
    char = src[pos]
    if char == "$":
        if pos + 1 < maximum and src[pos + 1] == "$":
            opener, closer, display = "$$", "$$", True
            end = src.find("$$", pos + 2, maximum)
        else:
            opener, closer, display = "$", "$", False
            end = _find_closing_dollar(src, pos + 1, maximum)
    elif char == "\\" and pos + 1 < maximum and src[pos + 1] in "([":
        opener = src[pos : pos + 2]
        closer, display = ("\\)", False) if opener == "\\(" else ("\\]", True)
        end = src.find(closer, pos + 2, maximum)
    else:
        return False
    if end < 0:
        return False
    content = src[pos + len(opener) : end]
    if not content.strip():
        return False
    if not silent:
        token = state.push("math_inline", "math", 0)
        token.content = content
        token.markup = opener
        token.meta = {"display": display, "closer": closer}
    state.pos = end + len(closer)
    return True


def _math_block_rule(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    """Display math on lines of its own: ``$$ ... $$`` or ``\\[ ... \\]``.

    It never spans a blank line (neither does a paragraph), which keeps the streaming block
    splitter simple: a blank line outside a code fence always ends a block.
    """
    if state.sCount[start_line] - state.blkIndent >= 4:
        return False
    first_start = state.bMarks[start_line] + state.tShift[start_line]
    first = state.src[first_start : state.eMarks[start_line]]
    if first.startswith("$$"):
        opener, closer = "$$", "$$"
    elif first.startswith("\\["):
        opener, closer = "\\[", "\\]"
    else:
        return False
    rest = first[len(opener) :].rstrip()
    if rest.endswith(closer) and len(rest) >= len(closer):
        content = rest[: -len(closer)]
        if closer in content:
            return False  # "$$a$$ + $$b$$": leave it to the inline rule
        last_line = start_line
    else:
        if closer in rest:
            return False  # text after the closer: this is a paragraph with inline math
        parts = [rest]
        line = start_line + 1
        found = False
        while line < end_line:
            if state.isEmpty(line) or state.sCount[line] < state.blkIndent:
                break
            text = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]].rstrip()
            if text.endswith(closer):
                parts.append(text[: -len(closer)])
                found = True
                break
            if closer in text:
                return False
            parts.append(text)
            line += 1
        if not found:
            return False
        content = "\n".join(parts)
        last_line = line
    if not content.strip():
        return False
    if silent:
        return True
    token = state.push("math_block", "math", 0)
    token.block = True
    token.content = content
    token.markup = opener
    token.meta = {"closer": closer}
    token.map = [start_line, last_line + 1]
    state.line = last_line + 1
    return True


# --------------------------------------------------------------------------- math layout


@dataclass(frozen=True, slots=True)
class FormulaImage:
    """A formula laid out as SVG; ``width``/``height`` in CSS pixels."""

    svg: bytes
    width: float
    height: float


_ziamath_module: Any = None
_ziamath_failed = False


def _ziamath() -> Any:
    """Import ziamath on first use (it loads its font at import, ~0.1 s)."""
    global _ziamath_module, _ziamath_failed
    if _ziamath_module is None and not _ziamath_failed:
        try:
            with warnings.catch_warnings():
                # ziamath 0.13 finds its font through a deprecated importlib.resources call.
                warnings.simplefilter("ignore", DeprecationWarning)
                import ziamath
                from ziamath.config import config

            # SVG 1.1 output (paths, no <symbol>/<use>): Qt's SVG Tiny renderer draws it.
            config.svg2 = False
            config.precision = 2
            _ziamath_module = ziamath
        except Exception:  # pragma: no cover - only when the dependency is missing
            _ziamath_failed = True
            log.warning("ziamath is not available; formulas are shown as source", exc_info=True)
    return _ziamath_module


def _math_font() -> Any:
    zm = _ziamath()
    if zm is None:
        return None
    try:
        return zm.zmath.loadedfonts["default"]
    except (AttributeError, KeyError):
        return None


@lru_cache(maxsize=4096)
def _is_covered(char: str) -> bool:
    """Whether the math font has a glyph for ``char`` (CJK, for one, it has not)."""
    if ord(char) < 128:
        return True
    font = _math_font()
    if font is None:
        return True
    try:
        return bool(font.glyphindex(char))
    except Exception:
        return True


def _has_uncovered(text: str) -> bool:
    return any(not _is_covered(char) for char in text if ord(char) >= 128)


def _fmt(number: float) -> str:
    return f"{number:.2f}".rstrip("0").rstrip(".")


_TAG = re.compile(r"\\tag\*?\s*\{([^{}]*)\}")
_LABEL = re.compile(r"\\label\s*\{[^{}]*\}")


# Big enough for every formula of a long answer: finish() re-renders them all at once.
@lru_cache(maxsize=2048)
def formula_image(
    latex: str, display: bool, centre_px: float | None, color: str, font_px: float
) -> FormulaImage | None:
    """Lay out one formula, or None when it cannot be parsed.

    ``display`` selects display style (big operators, full-size fractions). For a formula
    inside text, ``centre_px`` pads the box so that its vertical centre lies that far above
    the formula's baseline: QTextDocument centres a ``vertical-align: middle`` image a quarter
    of an x-height above the text baseline, so with ``centre_px`` set to that distance the
    two baselines meet.
    """
    zm = _ziamath()
    if zm is None or len(latex) > MAX_FORMULA_CHARS:
        return None
    # ziamath stretches a numbered equation to a 6.5-inch column; a plain "(n)" reads the same.
    source = _TAG.sub(r"\\qquad (\1)", _LABEL.sub("", latex))
    try:
        formula = zm.Latex(source, size=font_px, color=color, inline=not display)
        root = formula.svgxml()
        box = formula.node.bbox
        margin = 1.0
        width = box.xmax - box.xmin + 2 * margin
        left = box.xmin - margin
        if centre_px is not None:
            half = max(box.ymax - centre_px, centre_px - box.ymin) + margin
            top, height = -(centre_px + half), 2 * half
        else:
            top, height = -box.ymax - margin, box.ymax - box.ymin + 2 * margin
        if not (math.isfinite(width) and math.isfinite(height)) or width <= 0 or height <= 0:
            return None
        root.attrib["width"] = _fmt(width)
        root.attrib["height"] = _fmt(height)
        root.attrib["viewBox"] = f"{_fmt(left)} {_fmt(top)} {_fmt(width)} {_fmt(height)}"
        svg = ET.tostring(root, encoding="unicode").encode("utf-8")
    except Exception:  # ziamath raises many kinds on bad input; none may reach the user
        # The formula is chat text: it goes to the log only at DEBUG.
        log.debug("formula failed to lay out: %r", latex, exc_info=True)
        return None
    return FormulaImage(svg=svg, width=width, height=height)


# A body font's x-height is about 0.55 em; Qt centres middle-aligned images at a quarter of it.
_MIDDLE_OF_TEXT = 0.55 / 4


def _math_url(latex: str, mode: str, color: str, font_px: float, body_px: float) -> str:
    encoded = base64.urlsafe_b64encode(latex.encode("utf-8")).decode("ascii").rstrip("=")
    sizes = f"{_fmt(font_px)},{_fmt(body_px)}"
    return f"{MATH_URL_SCHEME}:{mode}/{sizes}/{color.lstrip('#')}/{encoded}"


def _parse_math_url(url: str) -> tuple[str, str, str, float, float] | None:
    """(latex, mode, color, font_px, body_px) from a ``hearth-math:`` URL, or None."""
    prefix = MATH_URL_SCHEME + ":"
    if not url.startswith(prefix):
        return None
    parts = url[len(prefix) :].split("/")
    if len(parts) != 4 or parts[0] not in ("b", "i", "d"):
        return None
    mode, size, color, encoded = parts
    try:
        latex = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
        font_text, body_text = size.split(",")
        font_px, body_px = float(font_text), float(body_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not re.fullmatch(r"[0-9a-fA-F]{6}", color):
        return None
    if not (0 < font_px < 500 and 0 < body_px < 500):
        return None
    return latex, mode, "#" + color, font_px, body_px


def _formula_for_mode(
    latex: str, mode: str, color: str, font_px: float, body_px: float
) -> FormulaImage | None:
    # b: display block (tight box); d: display style inside text; i: inline.
    centre = None if mode == "b" else round(body_px * _MIDDLE_OF_TEXT, 2)
    return formula_image(latex, mode != "i", centre, color, font_px)


def _img_tag(latex: str, mode: str, theme: RenderTheme) -> str | None:
    sizes = (theme.math_font_px, theme.body_font_px)
    image = _formula_for_mode(latex, mode, theme.math_color, *sizes)
    if image is None:
        return None
    url = _math_url(latex, mode, theme.math_color, *sizes)
    align = "" if mode == "b" else ' style="vertical-align: middle"'
    return (
        f'<img src="{url}" width="{math.ceil(image.width)}" height="{math.ceil(image.height)}"'
        f' alt="{escapeHtml(latex)}"{align} />'
    )


# LaTeX to readable Unicode, for formulas the math font cannot draw (CJK inside math).
_GREEK = (
    "alpha beta gamma delta epsilon varepsilon zeta eta theta iota kappa lambda mu nu xi pi "
    "rho sigma tau phi varphi chi psi omega Gamma Delta Theta Lambda Pi Sigma Phi Psi Omega"
)
_OPERATORS = (
    "times cdot div pm mp le leq ge geq neq ne approx equiv sim infty to rightarrow leftarrow "
    "Rightarrow Leftarrow Leftrightarrow implies iff in notin subset subseteq cup cap forall "
    "exists neg land lor sum prod int partial nabla circ ldots cdots dots therefore because "
    "angle perp parallel triangle emptyset"
)
_SYMBOLS = {
    **dict(zip(_GREEK.split(), "αβγδεεζηθικλμνξπρστφφχψωΓΔΘΛΠΣΦΨΩ", strict=True)),
    **dict(
        zip(_OPERATORS.split(), "×·÷±∓≤≤≥≥≠≠≈≡∼∞→→←⇒⇐⇔⇒⇔∈∉⊂⊆∪∩∀∃¬∧∨∑∏∫∂∇∘…⋯…∴∵∠⊥∥△∅", strict=True)
    ),
    "quad": "  ",
    "qquad": "    ",
}
_SPACES = {",": " ", ";": " ", ":": " ", "!": "", " ": " ", "{": "{", "}": "}", "%": "%"}
_SUPERSCRIPTS = dict(zip("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ", strict=True))
_SUBSCRIPTS = dict(zip("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎", strict=True))
_DROPPED = {"left", "right", "displaystyle", "textstyle", "limits", "big", "Big", "bigl", "bigr"}
_TEXT_COMMANDS = {
    "text",
    "textrm",
    "mathrm",
    "mbox",
    "textbf",
    "mathbf",
    "textit",
    "mathit",
    "operatorname",
    "mathbb",
    "mathcal",
    "boldsymbol",
}


def _read_group(latex: str, pos: int) -> tuple[str, int]:
    """The argument starting at ``pos`` (a ``{...}`` group or one token) and the end."""
    while pos < len(latex) and latex[pos] == " ":
        pos += 1
    if pos >= len(latex):
        return "", pos
    if latex[pos] == "{":
        depth = 0
        for end in range(pos, len(latex)):
            if latex[end] == "{" and not _is_escaped(latex, end):
                depth += 1
            elif latex[end] == "}" and not _is_escaped(latex, end):
                depth -= 1
                if depth == 0:
                    return latex[pos + 1 : end], end + 1
        return latex[pos + 1 :], len(latex)
    if latex[pos] == "\\":
        match = re.match(r"\\([A-Za-z]+|.)", latex[pos:])
        assert match is not None
        return match.group(0), pos + match.end()
    return latex[pos], pos + 1


def _script(text: str, table: dict[str, str], marker: str) -> str:
    if text and all(char in table for char in text):
        return "".join(table[char] for char in text)
    return f"{marker}{text}" if len(text) == 1 else f"{marker}({text})"


def latex_to_text(latex: str) -> str:
    """A readable Unicode approximation of a formula (``\\frac{a}{b}`` becomes ``a/b``)."""
    out: list[str] = []
    pos = 0
    while pos < len(latex):
        char = latex[pos]
        if char == "\\":
            match = re.match(r"\\([A-Za-z]+|.)", latex[pos:])
            assert match is not None
            name = match.group(1)
            pos += match.end()
            if name in ("frac", "dfrac", "tfrac"):
                top, pos = _read_group(latex, pos)
                bottom, pos = _read_group(latex, pos)
                top_text, bottom_text = latex_to_text(top), latex_to_text(bottom)
                if len(top_text) > 1:
                    top_text = f"({top_text})"
                if len(bottom_text) > 1:
                    bottom_text = f"({bottom_text})"
                out.append(f"{top_text}/{bottom_text}")
            elif name == "sqrt":
                body, pos = _read_group(latex, pos)
                body_text = latex_to_text(body)
                out.append(f"√{body_text}" if len(body_text) == 1 else f"√({body_text})")
            elif name == "boxed":
                body, pos = _read_group(latex, pos)
                out.append(f"[{latex_to_text(body)}]")
            elif name in _TEXT_COMMANDS:
                body, pos = _read_group(latex, pos)
                out.append(latex_to_text(body) if name.startswith("math") else body)
            elif name in _SYMBOLS:
                out.append(_SYMBOLS[name])
            elif name in _SPACES:
                out.append(_SPACES[name])
            elif name in _DROPPED:
                pass
            elif name == "\\":
                out.append("; ")
            else:
                out.append(name)
        elif char in "^_":
            body, pos = _read_group(latex, pos + 1)
            table = _SUPERSCRIPTS if char == "^" else _SUBSCRIPTS
            out.append(_script(latex_to_text(body), table, char))
        elif char in "{}":
            pos += 1
        elif char == "&":
            out.append(" ")
            pos += 1
        else:
            out.append(char)
            pos += 1
    return re.sub(r" {2,}", "  ", "".join(out)).strip()


def _split_top_level(latex: str) -> list[tuple[str, str]] | None:
    """Split a formula at its top level into ("math"|"text"|"boxed", source) pieces.

    Text the math font cannot draw becomes "text" (shown as HTML text in the body font);
    ``\\boxed`` keeps its content for a recursive split. None when such text is nested
    inside a construct (a fraction, a superscript) that cannot be split.
    """
    pieces: list[tuple[str, str]] = []
    math_buffer: list[str] = []

    def flush() -> bool:
        chunk = "".join(math_buffer)
        math_buffer.clear()
        if _has_uncovered(chunk):
            return False
        if chunk.strip():
            pieces.append(("math", chunk))
        elif chunk:
            pieces.append(("text", " "))
        return True

    pos = 0
    while pos < len(latex):
        char = latex[pos]
        if char == "\\":
            match = re.match(r"\\([A-Za-z]+|.)", latex[pos:])
            assert match is not None
            name = match.group(1)
            end = pos + match.end()
            if name == "boxed" or (name in _TEXT_COMMANDS and name.startswith("text")):
                body, after = _read_group(latex, end)
                if name == "boxed" or _has_uncovered(body):
                    if not flush():
                        return None
                    pieces.append(("boxed" if name == "boxed" else "text", body))
                    pos = after
                    continue
                math_buffer.append(latex[pos:after])
                pos = after
                continue
            math_buffer.append(latex[pos:end])
            pos = end
        elif char == "{":
            _, after = _read_group(latex, pos)
            math_buffer.append(latex[pos:after])
            pos = after
        elif not _is_covered(char):
            if not flush():
                return None
            end = pos
            while end < len(latex) and not _is_covered(latex[end]):
                end += 1
            pieces.append(("text", latex[pos:end]))
            pos = end
        else:
            math_buffer.append(char)
            pos += 1
    if not flush():
        return None
    return pieces


def _mixed_math_html(latex: str, mode: str, theme: RenderTheme) -> str | None:
    """Inline HTML for a formula holding text the math font lacks, or None."""
    pieces = _split_top_level(latex)
    if pieces is None:
        return None
    inline_mode = "i" if mode == "i" else "d"
    html: list[str] = []
    for kind, source in pieces:
        if kind == "text":
            html.append(escapeHtml(source))
        elif kind == "math":
            tag = _img_tag(source, inline_mode, theme)
            if tag is None:
                return None
            html.append(tag)
        else:
            inner = _mixed_math_html(source, mode, theme) if _has_uncovered(source) else None
            if inner is None:
                inner = _img_tag(source, inline_mode, theme)
            if inner is None:
                return None
            html.append(_inline_box(inner, theme))
    return f'<span style="color:{theme.math_color}">{"".join(html)}</span>'


def _inline_box(inner_html: str, theme: RenderTheme) -> str:
    # QTextDocument draws no border around inline text; a tinted background marks the box.
    return (
        f'<span style="background-color:{theme.math_box_background}">'
        f"&nbsp;{inner_html}&nbsp;</span>"
    )


def _math_source_html(source: str, theme: RenderTheme) -> str:
    return (
        f'<code style="font-family:{theme.code_font_family};'
        f' background-color:{theme.inline_code_background}">{escapeHtml(source)}</code>'
    )


def _math_html(latex: str, opener: str, closer: str, mode: str, theme: RenderTheme) -> str:
    """HTML for one formula: an image, mixed text and images, Unicode text, or the source."""
    latex = latex.strip()
    tag = None
    if _has_uncovered(latex):
        tag = _mixed_math_html(latex, mode, theme)
        if tag is None:
            # Unicode text, \boxed shown as a box: readable when the layout engine cannot be.
            boxed = re.fullmatch(r"\\boxed\s*\{(.*)\}", latex, flags=re.DOTALL)
            text = escapeHtml(latex_to_text(boxed.group(1) if boxed else latex))
            text = _inline_box(text, theme) if boxed else text
            tag = f'<span style="color:{theme.math_color}; font-style:italic">{text}</span>'
    else:
        tag = _img_tag(latex, mode, theme)
    if tag is None:
        return _math_source_html(f"{opener}{latex}{closer}", theme)
    return tag


# --------------------------------------------------------------------------- code


@lru_cache(maxsize=128)
def _lexer_for(language: str) -> Lexer | None:
    if not language:
        return None
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


@lru_cache(maxsize=8)
def _formatter_for(style: str) -> HtmlFormatter[str]:
    return HtmlFormatter(style=style, noclasses=True, nowrap=True)


@lru_cache(maxsize=8)
def _style_text_color(style: str) -> str | None:
    """The default text colour a Pygments style sets, if it sets one."""
    definition = get_style_by_name(style).styles.get(PygmentsToken, "")
    match = re.search(r"#[0-9a-fA-F]{3,6}\b", definition or "")
    return match.group(0) if match else None


def _copy_label() -> str:
    return QCoreApplication.translate("Render", "Copy")


def _image_label() -> str:
    return QCoreApplication.translate("Render", "Image")


def _code_block_html(code: str, language: str, env: EnvType) -> str:
    theme: RenderTheme = env["theme"]
    index = env["code_index"]
    env["code_index"] = index + 1
    body = code[:-1] if code.endswith("\n") else code
    env["code_blocks"].append((language, body))
    lexer = _lexer_for(language.lower()) if env.get("highlight", True) else None
    if lexer is not None:
        highlighted = highlight(body, lexer, _formatter_for(theme.pygments_style))
        highlighted = highlighted.removesuffix("\n")
        text_color = _style_text_color(theme.pygments_style) or theme.code_text_color
    else:
        highlighted = escapeHtml(body)
        text_color = theme.code_text_color
    header_cell = f"background-color:{theme.code_header_background}; padding:3px 8px"
    return (
        f'<table width="100%" cellspacing="0" cellpadding="0" style="margin-top:6px;'
        f' margin-bottom:10px; border-collapse:collapse; background-color:{theme.code_background}">'
        f'<tr><td style="{header_cell}; color:{theme.muted_color}; font-size:small">'
        f"{escapeHtml(language)}</td>"
        f'<td align="right" style="{header_cell}; font-size:small">'
        f'<a href="{COPY_URL_SCHEME}:{index}" style="color:{theme.link_color};'
        f' text-decoration:none">{escapeHtml(_copy_label())}</a></td></tr>'
        f'<tr><td colspan="2" style="padding:8px">'
        f'<pre style="margin:0; white-space:pre-wrap; color:{text_color};'
        f' font-family:{theme.code_font_family}">{highlighted}</pre></td></tr></table>\n'
    )


# --------------------------------------------------------------------------- render rules


def _rule_fence(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    info = unescapeAll(token.info).strip()
    language = info.split(maxsplit=1)[0] if info else ""
    return _code_block_html(token.content, language, env)


def _rule_code_block(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return _code_block_html(tokens[idx].content, "", env)


def _rule_code_inline(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    theme: RenderTheme = env["theme"]
    return (
        f'<code style="font-family:{theme.code_font_family};'
        f' background-color:{theme.inline_code_background}">'
        f"{escapeHtml(tokens[idx].content)}</code>"
    )


def _rule_math_inline(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    mode = "d" if token.meta["display"] else "i"
    return _math_html(token.content, token.markup, token.meta["closer"], mode, env["theme"])


def _rule_math_block(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    theme: RenderTheme = env["theme"]
    latex = token.content.strip()
    boxed = re.fullmatch(r"\\boxed\s*\{(.*)\}", latex, flags=re.DOTALL)
    if boxed and _has_uncovered(latex):
        # A display box around text the math font lacks: a one-cell table with a border.
        inner = _math_html(boxed.group(1), "", "", "d", theme)
        return (
            f'<table align="center" border="1" cellspacing="0" cellpadding="6"'
            f' style="border-collapse:collapse; border-color:{theme.math_color};'
            f' margin-top:6px; margin-bottom:6px"><tr><td>{inner}</td></tr></table>\n'
        )
    html = _math_html(token.content, token.markup, token.meta["closer"], "b", theme)
    return f'<p align="center" style="margin-top:6px; margin-bottom:6px">{html}</p>\n'


def _safe_href(href: str) -> bool:
    return href.lower().startswith(SAFE_LINK_SCHEMES)


def _rule_link_open(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    href = str(tokens[idx].attrGet("href") or "")
    safe = _safe_href(href)
    env["link_stack"].append(safe)
    if not safe:
        return ""
    theme: RenderTheme = env["theme"]
    return f'<a href="{escapeHtml(href)}" style="color:{theme.link_color}">'


def _rule_link_close(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    stack = env["link_stack"]
    return "</a>" if stack and stack.pop() else ""


def _rule_image(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # Never load pictures named by the model (they could be local files): show a link.
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env) or src
    label = escapeHtml(f"[{_image_label()}: {alt}]")
    if not _safe_href(src):
        return label
    theme: RenderTheme = env["theme"]
    return f'<a href="{escapeHtml(src)}" style="color:{theme.link_color}">{label}</a>'


def _rule_table_open(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    theme: RenderTheme = env["theme"]
    return (
        f'<table border="1" cellspacing="0" cellpadding="5" style="border-collapse:collapse;'
        f' border-color:{theme.table_border_color}; margin-top:6px; margin-bottom:10px">\n'
    )


def _cell_rule(tag: str) -> Any:
    def rule(
        self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
    ) -> str:
        theme: RenderTheme = env["theme"]
        style = str(tokens[idx].attrGet("style") or "")
        match = re.search(r"text-align:\s*(left|right|center)", style)
        align = f' align="{match.group(1)}"' if match else ""
        background = f' bgcolor="{theme.table_header_background}"' if tag == "th" else ""
        return f"<{tag}{align}{background}>"

    return rule


def _rule_blockquote_open(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # QTextDocument has no left border for blocks: a narrow coloured cell draws the bar.
    theme: RenderTheme = env["theme"]
    return (
        f'<table cellspacing="0" cellpadding="0" style="margin-top:4px; margin-bottom:10px">'
        f'<tr><td width="4" style="background-color:{theme.quote_bar_color}"></td>'
        f'<td style="padding-left:10px; color:{theme.quote_text_color}">\n'
    )


def _rule_blockquote_close(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return "</td></tr></table>\n"


def _build_parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "typographer": False})
    parser.enable(["table", "strikethrough"])
    parser.block.ruler.before(
        "blockquote",
        "math_block",
        _math_block_rule,
        {"alt": ["paragraph", "reference", "blockquote", "list"]},
    )
    parser.inline.ruler.before("escape", "math_inline", _math_inline_rule)
    rules: dict[str, Any] = {
        "fence": _rule_fence,
        "code_block": _rule_code_block,
        "code_inline": _rule_code_inline,
        "math_inline": _rule_math_inline,
        "math_block": _rule_math_block,
        "link_open": _rule_link_open,
        "link_close": _rule_link_close,
        "image": _rule_image,
        "table_open": _rule_table_open,
        "th_open": _cell_rule("th"),
        "td_open": _cell_rule("td"),
        "blockquote_open": _rule_blockquote_open,
        "blockquote_close": _rule_blockquote_close,
    }
    for name, rule in rules.items():
        parser.add_render_rule(name, rule)
    return parser


_PARSER = _build_parser()


@dataclass(frozen=True, slots=True)
class _Rendered:
    html: str
    code_blocks: list[tuple[str, str]]


def _render(
    text: str, theme: RenderTheme, code_index_start: int, highlight_code: bool
) -> _Rendered:
    env: dict[str, Any] = {
        "theme": theme,
        "code_index": code_index_start,
        "code_blocks": [],
        "highlight": highlight_code,
        "link_stack": [],
    }
    html = _PARSER.render(text, env)
    return _Rendered(html=html, code_blocks=env["code_blocks"])


def render_markdown(text: str, theme: RenderTheme, *, code_index_start: int = 0) -> str:
    """Render a whole answer to HTML for QTextDocument.

    Copy links are numbered from ``code_index_start`` in document order, matching
    :func:`copyable_code_blocks`.
    """
    return _render(text, theme, code_index_start, True).html


def _code_token_value(token: Token) -> tuple[str, str]:
    info = unescapeAll(token.info).strip() if token.type == "fence" else ""
    language = info.split(maxsplit=1)[0] if info else ""
    code = token.content[:-1] if token.content.endswith("\n") else token.content
    return language, code


def copyable_code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, code) of every code block, in the order the Copy links number them."""
    env: dict[str, Any] = {}
    tokens = _PARSER.parse(text, env)
    return [_code_token_value(token) for token in tokens if token.type in ("fence", "code_block")]


def copy_index_from_url(url: QUrl | str) -> int | None:
    """The code block index of a ``hearth-copy:N`` link, or None for any other link."""
    text = url.toString() if isinstance(url, QUrl) else url
    match = re.fullmatch(COPY_URL_SCHEME + r":(\d+)", text)
    return int(match.group(1)) if match else None


# --------------------------------------------------------------------------- streaming


@dataclass(frozen=True, slots=True)
class RenderUpdate:
    """What the view does with one delta: append ``stable_html_to_append`` at the end of the
    finished part, then replace the previous tail with ``tail_html``."""

    stable_html_to_append: str
    tail_html: str


@dataclass(slots=True)
class _Fence:
    char: str
    length: int
    top_level: bool
    opening_line: str


_FENCE_OPEN = re.compile(r"^([ >\t]*)(`{3,}|~{3,})(.*)$")


def _opening_fence(line: str) -> _Fence | None:
    match = _FENCE_OPEN.match(line)
    if match is None:
        return None
    prefix, marks, info = match.groups()
    if marks[0] == "`" and "`" in info:
        return None  # ```code``` on one line is an inline code span
    return _Fence(marks[0], len(marks), prefix == "", line)


def _closes_fence(line: str, fence: _Fence) -> bool:
    stripped = line.lstrip(" >\t").rstrip()
    return (
        len(stripped) >= fence.length
        and stripped == fence.char * len(stripped)
        and (not fence.top_level or len(line) - len(line.lstrip(" ")) <= 3)
    )


class IncrementalRenderer:
    """Renders a streaming answer cheaply: finished blocks rendered once, only the open tail
    re-rendered.

    A block ends at a blank line that is followed by an unindented line (an indented line
    continues a list item), outside code fences; a top-level fence ends a block at its closing
    line. The tail is capped at ``max_tail_chars``: past it the tail is split at the latest
    line start (a long code fence is handed over in pieces), so the work per delta stays flat
    however long the answer grows. :meth:`finish` renders the whole answer once, which fixes
    the few things block-wise rendering cannot know (loose lists, long split fences).
    """

    def __init__(self, theme: RenderTheme, *, max_tail_chars: int = 3000) -> None:
        self._theme = theme
        self._max_tail = max_tail_chars
        self._source_parts: list[str] = []
        self._stable_html_parts: list[str] = []
        self._code_blocks: list[tuple[str, str]] = []
        self._tail = ""
        self._tail_html = ""
        self._tail_code_blocks: list[tuple[str, str]] = []
        # Re-opens a fence that was handed over in pieces, for the rest of its code.
        self._fence_prefix = ""
        self._scan_pos = 0
        self._fence: _Fence | None = None
        self._fence_line_start = 0  # tail index of the open fence's first line (<0: handed over)
        self._has_content = False
        self._pending_split = False
        self._last_line_start = 0
        self.parsed_chars = 0
        """Characters given to the Markdown parser so far: the measure of work done."""

    # -- public

    def append(self, delta: str) -> RenderUpdate:
        stable_before = len(self._stable_html_parts)
        self._tail += delta
        self._scan()
        if len(self._tail) > self._max_tail:
            self._force_split()
        stable = "".join(self._stable_html_parts[stable_before:])
        rendered = self._render_chunk(self._fence_prefix + self._tail, final=False)
        self._tail_html = rendered.html
        self._tail_code_blocks = rendered.code_blocks
        return RenderUpdate(stable_html_to_append=stable, tail_html=rendered.html)

    def finish(self) -> str:
        """The whole answer rendered at once: what the view shows when the turn ends."""
        return render_markdown(self.text, self._theme)

    @property
    def text(self) -> str:
        return "".join(self._source_parts) + self._tail

    def streamed_html(self) -> str:
        """Everything handed out so far (stable parts and the current tail), joined."""
        return "".join(self._stable_html_parts) + self._tail_html

    def copyable_code_blocks(self) -> list[tuple[str, str]]:
        """Code blocks numbered as the Copy links in the HTML handed out so far."""
        return self._code_blocks + self._tail_code_blocks

    # -- internals

    def _render_chunk(self, text: str, *, final: bool) -> _Rendered:
        self.parsed_chars += len(text)
        # An open fence is shown as plain text until it closes: highlighting it again on
        # every delta costs more than it is worth.
        highlight_code = final or self._fence is None
        return _render(text, self._theme, len(self._code_blocks), highlight_code)

    def _commit(self, split: int, *, inside_fence: bool = False) -> None:
        """Hand ``tail[:split]`` over as a finished block."""
        block = self._tail[:split]
        rendered = self._render_chunk(self._fence_prefix + block, final=True)
        self._stable_html_parts.append(rendered.html)
        self._code_blocks.extend(rendered.code_blocks)
        self._source_parts.append(block)
        self._tail = self._tail[split:]
        self._scan_pos = max(0, self._scan_pos - split)
        self._fence_line_start -= split
        self._last_line_start = 0
        self._pending_split = False
        if inside_fence and self._fence is not None:
            self._fence_prefix = self._fence.opening_line.lstrip(" >\t") + "\n"
            self._has_content = True
        else:
            self._fence_prefix = ""
            self._has_content = bool(self._tail[: self._scan_pos].strip())

    def _scan(self) -> None:
        """Advance over the complete lines that arrived, committing finished blocks."""
        while True:
            newline = self._tail.find("\n", self._scan_pos)
            if newline < 0:
                break
            start = self._scan_pos
            self._scan_pos = newline + 1
            self._scan_line(start, newline)
        if self._pending_split and self._fence is None:
            partial = self._tail[self._scan_pos :]
            if partial and not partial[0].isspace():
                self._commit(self._scan_pos)

    def _scan_line(self, start: int, end: int) -> None:
        line = self._tail[start:end]
        fence = self._fence
        if fence is not None:
            if _closes_fence(line, fence):
                self._fence = None
                if fence.top_level:
                    self._commit(end + 1)
                    return
            self._last_line_start = end + 1
            return
        if not line.strip():
            if self._has_content:
                self._pending_split = True
            return
        if self._pending_split:
            self._pending_split = False
            if not line[0].isspace():
                self._commit(start)
                start, end = 0, end - start
        self._has_content = True
        self._last_line_start = start
        self._fence = _opening_fence(line)
        self._fence_line_start = start

    def _force_split(self) -> None:
        """Keep the tail small when no block boundary comes (a long paragraph or fence)."""
        split = self._last_line_start
        if split <= 0 and self._fence is None:
            space = self._tail.rfind(" ")
            split = space + 1 if space > 0 else 0
        if split <= 0:
            split = len(self._tail)
        # A split before the fence's first line leaves the whole fence in the tail.
        inside_fence = self._fence is not None and split > self._fence_line_start
        self._commit(split, inside_fence=inside_fence)


# --------------------------------------------------------------------------- math images (Qt)


@lru_cache(maxsize=512)
def _rasterise(url: str, device_pixel_ratio: float) -> QImage | None:
    parsed = _parse_math_url(url)
    if parsed is None:
        return None
    formula = _formula_for_mode(*parsed)
    if formula is None:
        return None
    renderer = QSvgRenderer(QByteArray(formula.svg))
    if not renderer.isValid():
        return None
    width = max(1, math.ceil(formula.width * device_pixel_ratio))
    height = max(1, math.ceil(formula.height * device_pixel_ratio))
    image = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, width, height))
    painter.end()
    image.setDevicePixelRatio(device_pixel_ratio)
    return image


def math_image(url: QUrl | str, device_pixel_ratio: float = 1.0) -> QImage | None:
    """The picture for a ``hearth-math:`` URL (cached), or None for any other URL."""
    text = (
        url.toString(QUrl.ComponentFormattingOption.FullyEncoded) if isinstance(url, QUrl) else url
    )
    return _rasterise(text, round(device_pixel_ratio, 2))


_MATH_SRC = re.compile(r'src="(' + MATH_URL_SCHEME + r':[^"]+)"')


def register_math_resources(
    document: QTextDocument, html: str, device_pixel_ratio: float = 1.0
) -> int:
    """Add the picture of every formula in ``html`` to ``document``; returns how many.

    Call it before ``setHtml``/``insertHtml`` so the images are there when first painted.
    """
    count = 0
    for url in dict.fromkeys(_MATH_SRC.findall(html)):
        image = math_image(url, device_pixel_ratio)
        if image is not None:
            document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(url), image)
            count += 1
    return count
