"""Markdown to HTML for QTextDocument: markdown-it rules for code, math, links and tables."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml, unescapeAll
from markdown_it.rules_core import StateCore
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
from PySide6.QtCore import QCoreApplication, QUrl

from app.ui.render.math_html import _has_uncovered, _math_html
from app.ui.render.math_layout import MathBudget
from app.ui.render.math_syntax import _math_block_rule, _math_inline_rule
from app.ui.render.theme import RenderTheme

log = logging.getLogger(__name__)

COPY_URL_SCHEME = "hearth-copy"
#: ``hearth-cite:N`` links the answer's ``[N]`` markers to its source N; the view handles
#: them itself and never hands them to the system.
CITE_URL_SCHEME = "hearth-cite"
# Link schemes the view may open (after asking). Anything else is shown as plain text, so
# a model cannot forge our own hearth-copy:/hearth-math: links or point at local files.
SAFE_LINK_SCHEMES = ("http://", "https://", "mailto:")


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
    return _math_html(
        token.content, token.markup, token.meta["closer"], mode, env["theme"], env.get("math")
    )


def _rule_math_block(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    theme: RenderTheme = env["theme"]
    latex = token.content.strip()
    boxed = re.fullmatch(r"\\boxed\s*\{(.*)\}", latex, flags=re.DOTALL)
    if boxed and _has_uncovered(latex):
        # A display box around text the math font lacks: a one-cell table with a border.
        inner = _math_html(boxed.group(1), "", "", "d", theme, env.get("math"))
        return (
            f'<table align="center" border="1" cellspacing="0" cellpadding="6"'
            f' style="border-collapse:collapse; border-color:{theme.math_color};'
            f' margin-top:6px; margin-bottom:6px"><tr><td>{inner}</td></tr></table>\n'
        )
    html = _math_html(
        token.content, token.markup, token.meta["closer"], "b", theme, env.get("math")
    )
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


# ``[2]``, ``[1, 3]``: the numbers an answer cites its sources with (at most 4 digits each).
_CITATION = re.compile(r"\[(\d{1,4}(?:\s*,\s*\d{1,4}){0,15})\]")


def _citation_rule(state: StateInline, silent: bool) -> bool:
    """``[n]`` where n is a source of this answer becomes a citation token.

    Runs in the inline pass, so streaming costs stay proportional to the new text; code
    spans and blocks never reach it, and a marker inside a link's text stays text.
    """
    # Silent mode is the link rule measuring a label (``[see [2]](url)``): a citation
    # there would hide the label's brackets and break the link, so it is plain text.
    if silent or state.src[state.pos] != "[" or state.linkLevel > 0:
        return False
    citations = state.env.get("citations") if isinstance(state.env, dict) else None
    if not citations:
        return False
    match = _CITATION.match(state.src, state.pos, state.posMax)
    if match is None:
        return False
    numbers = [int(part) for part in match.group(1).split(",")]
    if any(number not in citations for number in numbers):
        return False
    token = state.push("citation", "", 0)
    token.meta = {"numbers": numbers}
    state.pos = match.end()
    return True


# ``【2】``, ``［1，3］``: full-width brackets, common in Chinese answers. markdown-it's text
# rule never stops at them, so they are found in the finished text tokens instead.
_WIDE_CITATION = re.compile(r"([【［])(\d{1,4}(?:\s*[,，、]\s*\d{1,4}){0,15})([】］])")


def _wide_citation_rule(state: StateCore) -> None:
    """Split text tokens at full-width ``【n】`` markers of this answer's sources.

    Like :func:`_citation_rule` it sees only inline text (never code), skips link labels,
    and touches only the blocks being parsed, so streaming stays O(new text).
    """
    citations = state.env.get("citations") if isinstance(state.env, dict) else None
    if not citations:
        return
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        link_depth = 0
        changed = False
        for child in block.children:
            if child.type in ("link_open", "link_close"):
                link_depth += 1 if child.type == "link_open" else -1
            content = child.content
            if child.type != "text" or link_depth or ("【" not in content and "［" not in content):
                children.append(child)
                continue
            start = 0
            for match in _WIDE_CITATION.finditer(content):
                numbers = [int(part) for part in re.split(r"[,，、]", match.group(2))]
                if any(number not in citations for number in numbers):
                    continue
                if match.start() > start:
                    children.append(_text_token(content[start : match.start()]))
                token = Token("citation", "", 0)
                token.meta = {"numbers": numbers, "brackets": match.group(1) + match.group(3)}
                children.append(token)
                start = match.end()
                changed = True
            if start == 0:
                children.append(child)
            elif start < len(content):
                children.append(_text_token(content[start:]))
        if changed:
            block.children = children


def _text_token(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _rule_citation(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    theme: RenderTheme = env["theme"]
    citations = env["citations"]
    numbers = tokens[idx].meta["numbers"]

    def link(number: int, text: str) -> str:
        return (
            f'<a href="{CITE_URL_SCHEME}:{number}" title="{escapeHtml(citations[number])}"'
            f' style="color:{theme.link_color}; text-decoration:none">{text}</a>'
        )

    opening, closing = tokens[idx].meta.get("brackets", "[]")
    if len(numbers) == 1:  # the brackets too: a larger target to click and hover
        return link(numbers[0], f"{opening}{numbers[0]}{closing}")
    return opening + ", ".join(link(number, str(number)) for number in numbers) + closing


def _new_paragraph(
    self: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # Each Qt paragraph gets its own allowance of inline formula images.
    budget: MathBudget | None = env.get("math")
    if budget is not None:
        budget.paragraph_images = 0
    return str(self.renderToken(tokens, idx, options, env))


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
        budget: MathBudget | None = env.get("math")
        if budget is not None:  # a cell is a paragraph of its own in Qt
            budget.paragraph_images = 0
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
    # After "link": ``[1](https://…)`` stays a link; a bare ``[1]`` is not one.
    parser.inline.ruler.after("link", "citation", _citation_rule)
    parser.core.ruler.after("text_join", "wide_citation", _wide_citation_rule)
    rules: dict[str, Any] = {
        "fence": _rule_fence,
        "code_block": _rule_code_block,
        "code_inline": _rule_code_inline,
        "math_inline": _rule_math_inline,
        "math_block": _rule_math_block,
        "link_open": _rule_link_open,
        "link_close": _rule_link_close,
        "image": _rule_image,
        "citation": _rule_citation,
        "table_open": _rule_table_open,
        "th_open": _cell_rule("th"),
        "td_open": _cell_rule("td"),
        "blockquote_open": _rule_blockquote_open,
        "blockquote_close": _rule_blockquote_close,
        "paragraph_open": _new_paragraph,
        "heading_open": _new_paragraph,
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
    text: str,
    theme: RenderTheme,
    code_index_start: int,
    highlight_code: bool,
    citations: Mapping[int, str] | None = None,
) -> _Rendered:
    env: dict[str, Any] = {
        "theme": theme,
        "code_index": code_index_start,
        "code_blocks": [],
        "highlight": highlight_code,
        "link_stack": [],
        "math": MathBudget(),
        "citations": citations or {},
    }
    try:
        html = _PARSER.render(text, env)
    except Exception:  # last line of defence: model output must never make a chat unshowable
        log.warning("markdown render failed; showing the text as it is", exc_info=True)
        return _Rendered(html=_plain_html(text, theme), code_blocks=[])
    return _Rendered(html=html, code_blocks=env["code_blocks"])


def _plain_html(text: str, theme: RenderTheme) -> str:
    return f'<p style="white-space:pre-wrap; color:{theme.text_color}">{escapeHtml(text)}</p>\n'


def render_markdown(
    text: str,
    theme: RenderTheme,
    *,
    code_index_start: int = 0,
    citations: Mapping[int, str] | None = None,
) -> str:
    """Render a whole answer to HTML for QTextDocument.

    Copy links are numbered from ``code_index_start`` in document order, matching
    :func:`copyable_code_blocks`. ``citations`` maps the answer's source numbers to their
    tooltips (already safe for a Qt tooltip): a ``[n]`` outside code with n among them
    becomes a ``hearth-cite:n`` link.
    """
    return _render(text, theme, code_index_start, True, citations).html


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


def cite_number_from_url(url: QUrl | str) -> int | None:
    """The source number of a ``hearth-cite:N`` link, or None for any other link."""
    text = url.toString() if isinstance(url, QUrl) else url
    match = re.fullmatch(CITE_URL_SCHEME + r":(\d+)", text)
    return int(match.group(1)) if match else None


def copy_index_from_url(url: QUrl | str) -> int | None:
    """The code block index of a ``hearth-copy:N`` link, or None for any other link."""
    text = url.toString() if isinstance(url, QUrl) else url
    match = re.fullmatch(COPY_URL_SCHEME + r":(\d+)", text)
    return int(match.group(1)) if match else None
