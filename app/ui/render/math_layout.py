"""Formula layout: ziamath lays LaTeX out as SVG; ``hearth-math:`` URLs carry a formula."""

from __future__ import annotations

import base64
import binascii
import logging
import math
import re
import time
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markdown_it.common.utils import escapeHtml

from app.ui.render.theme import RenderTheme

log = logging.getLogger(__name__)

MATH_URL_SCHEME = "hearth-math"

# Past this, a formula is shown as source: layout time grows with it and nobody reads it.
MAX_FORMULA_CHARS = 2000
# ziamath takes about 3 ms per character even for flat formulas (2,000 characters of
# "x+" took 6.6 s on a busy 2-core machine). Longer formulas are shown as readable text,
# so one formula never holds the GUI thread for more than a second or two.
MAX_LAYOUT_CHARS = 600
# ziamath's layout time roughly triples with each level of nesting (measured: braces nested
# 12 deep take 1.7 s, 16 deep 88 s; \frac 12 deep 12 s). Past this depth a formula is
# shown as readable text instead of a picture; real formulas rarely nest beyond 4.
MAX_LAYOUT_DEPTH = 6
# Wall-clock seconds of formula layout one render may spend (cached formulas cost nothing);
# the rest of the formulas of that render are shown as text.
MATH_LAYOUT_SECONDS = 2.0
# Qt lays out a paragraph in time quadratic in its inline images (measured: 1,000 images in
# one paragraph 0.19 s, 4,000 6.3 s; in paragraphs of 100, 0.05 s and 0.14 s). Past this
# many in one paragraph, formulas are shown as text.
MAX_IMAGES_PER_PARAGRAPH = 300

_DEEP_COMMANDS = {"left": 2, "right": -2, "begin": 2, "end": -2}


def nesting_depth(latex: str) -> int:
    """How deeply ``latex`` nests: ``{`` groups, ``\\left``…``\\right`` and environments.

    A linear scan that never recurses, so it is safe on any input.
    """
    depth = deepest = 0
    for match in re.finditer(r"\\[A-Za-z]+|\\.|[{}]", latex):
        token = match.group(0)
        if token == "{":
            depth += 1
        elif token == "}":
            depth = max(0, depth - 1)
        else:
            depth = max(0, depth + _DEEP_COMMANDS.get(token[1:], 0))
        deepest = max(deepest, depth)
    return deepest


class _LayoutAllowance:
    """Formula layout time across renders: a bucket of seconds that refills with time.

    Each render has its own budget, but a streamed answer renders its tail on every
    delta: without a shared allowance, an answer made of new formulas would spend up to a
    budget per delta. Layout may use about half of the GUI thread's time at most.
    """

    CAPACITY_S = 2.0
    REFILL_PER_S = 0.5

    def __init__(self) -> None:
        self._seconds = self.CAPACITY_S
        self._stamp = time.monotonic()

    def available(self) -> float:
        now = time.monotonic()
        self._seconds = min(
            self.CAPACITY_S, self._seconds + (now - self._stamp) * self.REFILL_PER_S
        )
        self._stamp = now
        return self._seconds

    def spend(self, seconds: float) -> None:
        self.available()
        self._seconds -= seconds

    def refill(self) -> None:
        """Full again (tests start each case with the allowance of a fresh start)."""
        self._seconds = self.CAPACITY_S
        self._stamp = time.monotonic()


_ALLOWANCE = _LayoutAllowance()


class MathBudget:
    """Layout time left for one render, and images in the current paragraph.

    See :data:`MATH_LAYOUT_SECONDS`, :class:`_LayoutAllowance` and
    :data:`MAX_IMAGES_PER_PARAGRAPH`.
    """

    __slots__ = ("left", "paragraph_images")

    def __init__(self, seconds: float = MATH_LAYOUT_SECONDS) -> None:
        self.left = seconds
        self.paragraph_images = 0

    @property
    def exhausted(self) -> bool:
        return (
            self.left <= 0
            or self.paragraph_images >= MAX_IMAGES_PER_PARAGRAPH
            or _ALLOWANCE.available() <= 0
        )

    def spend(self, seconds: float) -> None:
        self.left -= seconds
        _ALLOWANCE.spend(seconds)


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
    if zm is None or len(latex) > MAX_LAYOUT_CHARS or nesting_depth(latex) > MAX_LAYOUT_DEPTH:
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


def _img_tag(
    latex: str, mode: str, theme: RenderTheme, budget: MathBudget | None = None
) -> str | None:
    sizes = (theme.math_font_px, theme.body_font_px)
    if budget is not None and budget.exhausted:
        return None
    started = time.perf_counter()
    image = _formula_for_mode(latex, mode, theme.math_color, *sizes)
    if budget is not None:
        # A cached formula costs microseconds: only new layouts draw on the allowance.
        budget.spend(time.perf_counter() - started)
        budget.paragraph_images += image is not None
    if image is None:
        return None
    url = _math_url(latex, mode, theme.math_color, *sizes)
    align = "" if mode == "b" else ' style="vertical-align: middle"'
    return (
        f'<img src="{url}" width="{math.ceil(image.width)}" height="{math.ceil(image.height)}"'
        f' alt="{escapeHtml(latex)}"{align} />'
    )
