"""A PDF of every report, for reviewers who read on paper: WeasyPrint on the report's own HTML.

The HTML carries a print stylesheet (:data:`cbss_analysis.reports.style.PRINT_CSS`): A4 pages
numbered "page n of m", the synthetic-data banner at the top of every page of a synthetic report,
headings kept with what follows them, figures never split, wide tables set smaller with their
cells wrapped so that no column is cut, table header rows repeated on each page.

WeasyPrint (``pip install weasyprint``) draws text with Pango (Debian: ``libpango-1.0-0``,
``libpangoft2-1.0-0``, present wherever Chromium or GTK is). Nothing is fetched: figures are
embedded as data URIs and every other address is refused.
"""

from __future__ import annotations

from typing import Any

from cbss_analysis.errors import ReportError


def _offline_fetcher() -> Any:
    """A WeasyPrint URL fetcher that reads ``data:`` URLs only (figures) and refuses every other address."""
    try:
        from weasyprint.urls import URLFetcher
    except ImportError:  # WeasyPrint before 66: fetchers are functions
        from weasyprint.urls import default_url_fetcher

        def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
            if url.startswith("data:"):
                return default_url_fetcher(url, *args, **kwargs)
            raise ValueError(f"not fetched (reports are offline): {url[:60]}")

        return fetch
    return URLFetcher(allowed_protocols={"data"})


def available() -> bool:
    """Whether WeasyPrint and its system libraries load here."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def pdf_bytes(document: str) -> bytes:
    """The HTML ``document`` rendered as PDF (print media, offline).

    Raises
    ------
    ReportError
        When WeasyPrint or Pango is missing, with what to install.
    """
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise ReportError(f"--pdf needs WeasyPrint and Pango: pip install weasyprint; apt-get install libpango-1.0-0 "
                          f"libpangoft2-1.0-0 ({type(exc).__name__})") from exc
    import logging

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return weasyprint.HTML(string=document, url_fetcher=_offline_fetcher(), base_url=None).write_pdf()
