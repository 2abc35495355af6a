"""Markdown, code and math in an assistant answer, turned into HTML that QTextDocument shows.

From pure to Qt:

* ``markdown`` (:func:`render_markdown`): markdown-it-py (CommonMark + tables +
  strikethrough) with raw HTML disabled, because model output is untrusted. Every style is
  inline, so the HTML looks right wherever it is inserted. Code is highlighted by Pygments
  under a header with the language and a ``hearth-copy:N`` link (``N`` indexes
  :func:`copyable_code_blocks`). With ``citations`` (the answer's sources), ``[n]``
  markers outside code become ``hearth-cite:n`` links with the source as tooltip.
* ``math_syntax``: the ``$…$`` / ``\\[…\\]`` rules, linear in the paragraph (thousands of
  ``$`` signs cost n log n).
* ``math_layout`` and ``math_html``: ziamath lays a formula out as SVG, within limits on
  depth, length, layout time per render and across renders, and images per paragraph;
  past them a formula becomes readable Unicode, and one too long or deep even for that
  is shown as its source. Nothing in a formula can raise out of the renderer. A
  ``hearth-math:`` URL carries everything needed to draw a formula again.
* ``streaming`` (:class:`IncrementalRenderer`): finished blocks rendered once, only the open
  tail again, with a size cap, so one update costs the same at 1k and at 1M characters.
* ``images`` (:func:`math_image`, :func:`register_math_resources`): Qt's SVG renderer
  rasterises formulas; the view registers them before inserting HTML, or answers
  ``loadResource`` on demand::

      class AnswerBrowser(QTextBrowser):
          def loadResource(self, kind, url):
              if url.scheme() == MATH_URL_SCHEME:
                  return math_image(url, self.devicePixelRatioF())
              return super().loadResource(kind, url)
"""

from app.ui.render.images import _rasterise, math_image, register_math_resources
from app.ui.render.markdown import (
    CITE_URL_SCHEME,
    COPY_URL_SCHEME,
    SAFE_LINK_SCHEMES,
    cite_number_from_url,
    copy_index_from_url,
    copyable_code_blocks,
    render_markdown,
)
from app.ui.render.math_html import MAX_TEXT_DEPTH, latex_to_text
from app.ui.render.math_layout import (
    MATH_LAYOUT_SECONDS,
    MATH_URL_SCHEME,
    MAX_FORMULA_CHARS,
    MAX_LAYOUT_CHARS,
    MAX_LAYOUT_DEPTH,
    FormulaImage,
    _formula_for_mode,
    _parse_math_url,
    _ziamath,
    formula_image,
    nesting_depth,
)
from app.ui.render.streaming import IncrementalRenderer, RenderUpdate
from app.ui.render.theme import RenderTheme, dark_theme, light_theme, theme_for

__all__ = [
    "CITE_URL_SCHEME",
    "COPY_URL_SCHEME",
    "MATH_LAYOUT_SECONDS",
    "MATH_URL_SCHEME",
    "MAX_FORMULA_CHARS",
    "MAX_LAYOUT_CHARS",
    "MAX_LAYOUT_DEPTH",
    "MAX_TEXT_DEPTH",
    "SAFE_LINK_SCHEMES",
    "FormulaImage",
    "IncrementalRenderer",
    "RenderTheme",
    "RenderUpdate",
    "_formula_for_mode",
    "_parse_math_url",
    "_rasterise",
    "_ziamath",
    "cite_number_from_url",
    "copy_index_from_url",
    "copyable_code_blocks",
    "dark_theme",
    "formula_image",
    "latex_to_text",
    "light_theme",
    "math_image",
    "nesting_depth",
    "register_math_resources",
    "render_markdown",
    "theme_for",
]
