"""Colours and sizes of rendered answers."""

from __future__ import annotations

from dataclasses import dataclass

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
