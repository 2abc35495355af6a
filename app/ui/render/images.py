"""Math pictures for QTextDocument: rasterise a ``hearth-math:`` URL with Qt's SVG renderer."""

from __future__ import annotations

import math
import re
from functools import lru_cache

from PySide6.QtCore import QByteArray, QRectF, Qt, QUrl
from PySide6.QtGui import QImage, QPainter, QTextDocument
from PySide6.QtSvg import QSvgRenderer

from app.ui.render.math_layout import MATH_URL_SCHEME, _formula_for_mode, _parse_math_url


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
