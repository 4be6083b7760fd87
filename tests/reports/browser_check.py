"""The real-browser check of rendered reports: ``python -m tests.reports.browser_check [REPORTS_DIR]`` (``make browser-check``).

Debian's Chromium (``/usr/bin/chromium``, driven by Playwright; no browser is downloaded) opens
``index.html`` and every report the manifests list, and fails on:

- a console error or an uncaught script error;
- a request that leaves the file (anything but ``file:`` and ``data:`` URLs);
- a broken link: a relative link to a file that does not exist, or to an ``#anchor`` the target
  page lacks (index <-> reports, previous/next, Contents);
- a figure (``<img>``) without alt text, or with the template's placeholder;
- printed (print media, A4 width), a table wider than the page or than its own box (cut or
  clipped); and every report is printed to PDF by Chromium, which must give at least one page;
- a machine path in any file under the folder (:mod:`tests.reports.machine_paths`).

Prints one line per problem and a summary with the time taken; exit code 1 when there is a problem.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

from cbss_analysis import paths
from tests.reports.machine_paths import machine_paths

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
A4_CONTENT_PX = 718
A4_LANDSCAPE_CONTENT_PX = 1032
"""A4 (210 mm) less 2 x 12 mm margins, at 96 px per inch: the width a printed table must fit."""
PLACEHOLDER_ALT = "Figure without a caption"

_TABLES_CUT = """([portrait, landscape]) => Array.from(document.querySelectorAll('table')).map((t, i) => {
  const box = t.getBoundingClientRect();
  const width = t.closest('.cbss-landscape') ? landscape : portrait;
  let clipped = false;
  for (let e = t.parentElement; e && e !== document.body; e = e.parentElement) {
    const style = getComputedStyle(e);
    if (['hidden', 'auto', 'scroll', 'clip'].includes(style.overflowX) && e.scrollWidth > e.clientWidth + 1) clipped = true;
  }
  const caption = t.caption ? t.caption.textContent.slice(0, 60) : (t.rows[0] ? t.rows[0].textContent.slice(0, 60) : '');
  return {i, right: box.right, limit: width, scroll: t.scrollWidth, client: t.clientWidth, clipped, caption};
}).filter(t => t.right > t.limit + 1 || t.scroll > t.client + 1 || t.clipped)"""


def report_pages(out: Path) -> list[Path]:
    """index.html and every report HTML that a manifest lists."""
    pages = [out / "index.html"]
    for manifest in sorted(out.glob("*/*/manifest.json")):
        files = json.loads(manifest.read_text(encoding="utf-8")).get("files", {})
        if files.get("html"):
            pages.append(manifest.parent / files["html"])
    return pages


def _check_links(page, path: Path, problems: list[str], anchors: dict[Path, set[str]]) -> None:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    for href in hrefs:
        parsed = urlparse(href)
        if parsed.scheme in ("http", "https", "mailto") or href.startswith("//"):
            problems.append(f"{path.name}: link to another site {href!r}")
            continue
        target = path if not parsed.path else (path.parent / unquote(parsed.path)).resolve()
        if not target.is_file():
            problems.append(f"{path.name}: broken link {href!r}")
            continue
        if parsed.fragment and target.suffix == ".html":
            if target not in anchors:
                text = target.read_text(encoding="utf-8", errors="replace")
                anchors[target] = set(re.findall(r'\sid="([^"]+)"', text))
            if unquote(parsed.fragment) not in anchors[target]:
                problems.append(f"{path.name}: link {href!r} to a missing anchor")


def _offline(name: str, problems: list[str]):
    """A route handler that lets ``file:`` and ``data:`` requests through and records and aborts every other."""

    def route(request_route, request=None) -> None:
        url = request_route.request.url
        if url.startswith(("file:", "data:")):
            request_route.continue_()
        else:
            problems.append(f"{name}: request leaving the file: {url[:100]}")
            request_route.abort()

    return route


def check(out: Path) -> list[str]:
    """Every problem the browser finds in the reports under ``out``, one line each."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    pages = report_pages(out)
    if not pages[0].is_file():
        return [f"{out}/index.html: not found (run make reports first)"]
    anchors: dict[Path, set[str]] = {}
    with tempfile.TemporaryDirectory(prefix="cbss-browser-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(  # a fresh user data folder, removed afterwards
            profile, executable_path=CHROMIUM, args=FLAGS, viewport={"width": 1280, "height": 900})
        for path in pages:
            name = path.relative_to(out).as_posix()
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda message, errors=errors: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))

            page.route("**/*", _offline(name, problems))
            page.goto(path.resolve().as_uri(), wait_until="load")
            problems.extend(f"{name}: console error: {e[:200]}" for e in errors)
            _check_links(page, path, problems, anchors)
            for alt in page.eval_on_selector_all("img", "els => els.map(e => e.getAttribute('alt'))"):
                if not alt or not alt.strip() or alt.strip() == PLACEHOLDER_ALT:
                    problems.append(f"{name}: a figure without alt text")
            page.emulate_media(media="print")
            page.set_viewport_size({"width": A4_CONTENT_PX, "height": 1000})
            for table in page.evaluate(_TABLES_CUT, [A4_CONTENT_PX, A4_LANDSCAPE_CONTENT_PX]):
                problems.append(f"{name}: printed table {table['i']} ({table['caption']!r}) is cut: right edge "
                                f"{table['right']:.0f}px of {table['limit']}px, content {table['scroll']}px in {table['client']}px")
            if path.name != "index.html":
                pdf = page.pdf(format="A4", margin={"top": "16mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
                               print_background=True)
                if pdf.count(b"/Type /Page") + pdf.count(b"/Type/Page") < 1:
                    problems.append(f"{name}: Chromium printed no page")
            page.close()
        context.close()
    problems.extend(f"machine path: {line}" for line in machine_paths(out))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=paths.REPORTS_DIR, help="reports folder (default reports/)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    problems = check(args.out)
    for problem in problems:
        print(problem)
    names = [p.relative_to(args.out).as_posix() for p in report_pages(args.out)]
    failed = {name for name in names for problem in problems if problem.startswith(f"{name}:")}
    failed |= {"machine paths"} if any(p.startswith("machine path") for p in problems) else set()
    print(f"browser-check: {len(names)} pages, {len(problems)} problems, {time.perf_counter() - started:.1f} s")
    print(f"{len(names) - len(failed & set(names))} passed, {len(failed)} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
