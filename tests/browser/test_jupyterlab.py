"""A real JupyterLab in headless Chromium (Playwright, Debian's chromium): the explorer and the rich displays.

Run by ``make browser-test`` (``CBSS_BROWSER_TEST=1``); skipped elsewhere, so ``make test`` needs no browser.
The test starts JupyterLab on a free loopback port with a random token in a temporary folder, opens a
notebook, checks the rich display of a ``Survey`` and that a mistyped name is one line, runs ``cbss.explore(cbss.load_survey())``, changes the
indicator and the breakdown and checks that the figure and the generated code change, copies the code
with the copy button, pastes it into a new cell and checks that it draws the same figure. Screenshots go
to ``$CBSS_SCREENSHOTS`` (default: the test's temporary folder). JupyterLab is stopped at the end.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from cbss_analysis import paths

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("CBSS_BROWSER_TEST") != "1", reason="drives a browser: run it with make browser-test"),
]

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
SERVER_START = 90.0
"""Seconds JupyterLab may take to answer."""
STEP = 60_000
"""Milliseconds any one step in the page may take (kernel start, a cell, a redraw)."""


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium not found: install it with apt-get install -y chromium (.ci/run does)")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0


def _notebook(folder: Path) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_code_cell("import cbss_analysis as cbss\nsurvey = cbss.load_survey()\nsurvey"),
        nbformat.v4.new_code_cell("cbss.estimate.proportion(survey, 'cyberbulied')"),
        nbformat.v4.new_code_cell("cbss.explore(cbss.load_survey())"),
    ]
    path = folder / "explore.ipynb"
    nbformat.write(notebook, path)
    return path


@pytest.fixture()
def jupyterlab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """JupyterLab on 127.0.0.1:<free port> with a random token over a temporary notebook folder; stopped at the end."""
    port, token = _free_port(), secrets.token_hex(24)
    root = tmp_path / "notebooks"
    root.mkdir()
    _notebook(root)
    home = tmp_path / "jupyter"
    settings = home / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(paths.PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
           "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "lab-settings"), "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "IPYTHONDIR": str(home / "ipython"), "MPLCONFIGDIR": str(home / "matplotlib")}
    env.pop("CBSS_DATA_DIR", None)
    env.pop("CBSS_DEBUG", None)
    log = (tmp_path / "jupyterlab.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
         "--allow-root", f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False", "--no-browser",
         f"--ServerApp.root_dir={root}", "--LabApp.news_url=", "--ServerApp.shutdown_no_activity_timeout=600",
         "--MappingKernelManager.cull_idle_timeout=0"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START
        while _get(f"{base}/api/status?token={token}") != 200:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start: {(tmp_path / 'jupyterlab.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield f"{base}/lab/tree/explore.ipynb?token={token}", tmp_path
    finally:
        try:
            request = urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST")
            urllib.request.urlopen(request, timeout=10).close()
            server.wait(timeout=20)
        except Exception:
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGTERM)
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(server.pid, signal.SIGKILL)
        log.close()


def _run(page, cell) -> None:
    """Run one cell: focus its editor, Shift+Enter, and wait until the kernel has taken it (prompt [*] or [n])."""
    from playwright.sync_api import expect

    editor = cell.locator(".jp-InputArea-editor")
    editor.click()
    expect(editor.locator(".cm-editor.cm-focused")).to_have_count(1)
    page.keyboard.press("Shift+Enter")
    expect(cell.locator(".jp-InputArea-prompt")).to_have_text(re.compile(r"\[(\*|\d+)\]:"))


def _image_bytes(page, locator) -> bytes:
    """The bytes an <img> shows (a blob: URL of an ipywidgets Image, or a data: URL of an output)."""
    encoded = locator.evaluate(
        "async (img) => { const r = await fetch(img.src); const b = new Uint8Array(await r.arrayBuffer());"
        " let s = ''; for (const x of b) s += String.fromCharCode(x); return btoa(s); }")
    return base64.b64decode(encoded)


def test_explorer_and_rich_displays_in_jupyterlab(jupyterlab):
    from playwright.sync_api import expect, sync_playwright

    url, folder = jupyterlab
    shots = Path(os.environ.get("CBSS_SCREENSHOTS") or folder / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(folder / "chromium-profile"), executable_path=_chromium(), headless=True, chromium_sandbox=False,
            args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 2200})
        try:
            context.set_default_timeout(STEP)
            expect.set_options(timeout=STEP)
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.split("/lab")[0])
            page = context.new_page()
            page.goto(url)
            cells = page.locator(".jp-Notebook .jp-Cell")
            expect(cells).to_have_count(3)
            expect(page.locator(".jp-StatusBar-TextItem", has_text="Python 3 (cbss-analysis) | Idle")).to_have_count(1)

            # 1. the rich display of a Survey
            _run(page, cells.nth(0))
            summary = cells.nth(0).locator(".jp-OutputArea-output .cbss-survey")
            expect(summary).to_contain_text("47,421 respondents", timeout=STEP)
            expect(summary).to_contain_text("SYNTHETIC DATA")
            expect(summary).to_contain_text("Indicators it can compute")
            expect(summary).to_contain_text("Child-friendly justice")
            assert "/" not in summary.locator("p").first.inner_text().split("from")[-1]  # the file name only
            summary.screenshot(path=str(shots / "1-survey-display.png"))

            # 2. a typo: one line that suggests the name, no traceback, no folder
            _run(page, cells.nth(1))
            error = cells.nth(1).locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
            expect(error).to_contain_text("did you mean 'cyberbullied'?")
            assert error.inner_text().strip().splitlines() == [
                "EstimationError: cbss_synthetic_hbsc2018.sav: no variable or indicator 'cyberbulied' in the survey; "
                "did you mean 'cyberbullied'? (list them with survey.indicator_ids or survey.data.columns)"]
            cells.nth(1).screenshot(path=str(shots / "1b-one-line-error.png"))

            # 3. the explorer
            _run(page, cells.nth(2))
            explorer = cells.nth(2).locator(".cbss-explorer")
            code = explorer.locator(".cbss-code pre")
            figure = explorer.locator("img").first
            expect(code).to_contain_text("estimate.proportion(survey", timeout=STEP)
            expect(figure).to_be_visible()
            first_code, first_png = code.inner_text(), _image_bytes(page, figure)
            assert first_png[:4] == b"\x89PNG" and '"been_bullied"' in first_code
            explorer.screenshot(path=str(shots / "2-explorer-start.png"))

            # 4. change the indicator: the figure and the code change
            clicked = time.monotonic()
            explorer.locator(".widget-select-multiple select").first.select_option(
                label="Cyberbullied at least once in the past couple of months")
            expect(code).to_contain_text('["cyberbullied"]')
            seen = [time.monotonic() - clicked]
            expect(explorer.locator(".cbss-status")).to_contain_text("Redrawn in")
            second_png = _image_bytes(page, figure)
            assert second_png != first_png

            # 5. change the breakdown to sex: a figure by group, the code says so
            clicked = time.monotonic()
            explorer.locator(".widget-dropdown", has_text="Breakdown").locator("select").select_option(label="Sex")
            expect(code).to_contain_text('by="sex"')
            seen.append(time.monotonic() - clicked)
            expect(code).to_contain_text("plots.estimates_by_group(")
            expect(explorer.locator(".widget-select-multiple", has_text="States").locator("select")).to_be_disabled()
            third_png = _image_bytes(page, figure)
            assert third_png not in (first_png, second_png)
            status = explorer.locator(".cbss-status").inner_text()
            explorer.screenshot(path=str(shots / "3-explorer-by-sex.png"))

            # 6. copy the code, paste it into a new cell, run it: the same figure
            explorer.locator("button.cbss-copy").click()
            expect(explorer.locator("button.cbss-copy")).to_have_text("Copied")
            copied = page.evaluate("navigator.clipboard.readText()")
            assert copied.strip() == code.inner_text().strip()
            expect(cells).to_have_count(4)  # running the last cell added an empty one below it
            cells.nth(3).locator(".jp-InputArea-editor").click()
            page.keyboard.press("Control+V")
            _run(page, cells.nth(3))
            pasted = cells.nth(3).locator(".jp-OutputArea-output")
            expect(pasted.locator("img")).to_have_count(1, timeout=STEP)
            expect(pasted.locator(".cbss-estimates")).to_contain_text("SYNTHETIC DATA", timeout=STEP)
            assert _image_bytes(page, pasted.locator("img").first) == third_png
            cells.nth(3).screenshot(path=str(shots / "4-pasted-code-output.png"))
            page.screenshot(path=str(shots / "5-page.png"), full_page=True)
        except Exception:
            for open_page in context.pages:
                open_page.screenshot(path=str(shots / "failure.png"), full_page=True)
            raise
        finally:
            context.close()
    print(f"\nbrowser test: {time.monotonic() - started:.1f} s in the browser; a change seen in the page after "
          f"{', '.join(f'{t:.2f}' for t in seen)} s; explorer status: {status}; screenshots in {shots}")
