"""What an offline report page must not contain: references that a browser would fetch from elsewhere."""

from __future__ import annotations

import re

EXTERNAL = re.compile(r"""\s(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
CSS_EXTERNAL = re.compile(r"""url\(\s*["']?\s*(?:https?:)?//|@import\s+["'](?:https?:)?//""", re.IGNORECASE)


def links(page: str) -> list[str]:
    """Every double-quoted ``href``/``src`` of a page."""
    return re.findall(r"""\s(?:href|src)\s*=\s*"([^"]*)\"""", page)
