"""One formula as HTML: an image, mixed text and images, readable Unicode, or its source."""

from __future__ import annotations

import re

from markdown_it.common.utils import escapeHtml

from app.ui.render.math_layout import (
    MAX_FORMULA_CHARS,
    MAX_LAYOUT_CHARS,
    MAX_LAYOUT_DEPTH,
    MathBudget,
    _has_uncovered,
    _img_tag,
    _is_covered,
    nesting_depth,
)
from app.ui.render.math_syntax import _is_escaped
from app.ui.render.theme import RenderTheme

# Past this depth (or MAX_FORMULA_CHARS) a formula is shown as its source: the Unicode
# rendering below recurses once per level.
MAX_TEXT_DEPTH = 40
_COMMAND = re.compile(r"\\([A-Za-z]+|.)")

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
        match = _COMMAND.match(latex, pos)
        assert match is not None
        return match.group(0), match.end()
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
            match = _COMMAND.match(latex, pos)
            assert match is not None
            name = match.group(1)
            pos = match.end()
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
            match = _COMMAND.match(latex, pos)
            assert match is not None
            name = match.group(1)
            end = match.end()
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


def _mixed_math_html(
    latex: str, mode: str, theme: RenderTheme, budget: MathBudget | None
) -> str | None:
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
            tag = _img_tag(source, inline_mode, theme, budget)
            if tag is None:
                return None
            html.append(tag)
        else:
            inner = (
                _mixed_math_html(source, mode, theme, budget) if _has_uncovered(source) else None
            )
            if inner is None:
                inner = _img_tag(source, inline_mode, theme, budget)
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


def _text_math_html(latex: str, theme: RenderTheme) -> str:
    # Unicode text, \boxed shown as a box: readable when the layout engine cannot be.
    boxed = re.fullmatch(r"\\boxed\s*\{(.*)\}", latex, flags=re.DOTALL)
    text = escapeHtml(latex_to_text(boxed.group(1) if boxed else latex))
    text = _inline_box(text, theme) if boxed else text
    return f'<span style="color:{theme.math_color}; font-style:italic">{text}</span>'


def _math_html(
    latex: str,
    opener: str,
    closer: str,
    mode: str,
    theme: RenderTheme,
    budget: MathBudget | None = None,
) -> str:
    """HTML for one formula: an image, mixed text and images, Unicode text, or the source.

    Never raises and never recurses past :data:`MAX_TEXT_DEPTH`: a formula too long or too
    deep is shown as its source, one too deep to lay out quickly as Unicode text.
    """
    latex = latex.strip()
    source = f"{opener}{latex}{closer}"
    if len(latex) > MAX_FORMULA_CHARS:
        return _math_source_html(source, theme)
    depth = nesting_depth(latex)
    if depth > MAX_TEXT_DEPTH:
        return _math_source_html(source, theme)
    tag = None
    try:
        if depth > MAX_LAYOUT_DEPTH or len(latex) > MAX_LAYOUT_CHARS:
            tag = _text_math_html(latex, theme)
        elif _has_uncovered(latex):
            tag = _mixed_math_html(latex, mode, theme, budget) or _text_math_html(latex, theme)
        else:
            tag = _img_tag(latex, mode, theme, budget)
            if tag is None and budget is not None and budget.exhausted:
                tag = _text_math_html(latex, theme)
    except Exception:  # model output must never break the answer (RecursionError and all)
        tag = None
    return tag if tag is not None else _math_source_html(source, theme)
