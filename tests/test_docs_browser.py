"""The built pages, opened in a headless browser with no network: formulas and figures render.

Runs in ``tox -e docs`` after the build (which sets ``GRADER_DOCS_BUILD``).
Chromium loads each exercise page from disk through a proxy that does not
exist, so a page that needed the network (MathJax from a CDN, say) would
show raw TeX. After the page's scripts ran, the DOM must hold MathJax's
output for every formula and no TeX source, and every image must be a file
of the build that is not empty.

Without Chromium the tests are skipped, unless ``CI`` is set: in CI they
must run (``.ci/run`` installs Debian's ``chromium``).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

BUILD = os.environ.get("GRADER_DOCS_BUILD")
if BUILD is None:
    pytest.skip("runs in tox -e docs, after the build (GRADER_DOCS_BUILD is not set)", allow_module_level=True)

HTML = Path(BUILD) / "html"
BROWSER = next(
    (path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))), None
)
if BROWSER is None:
    if os.environ.get("CI"):
        pytest.fail("CI is set but chromium is not installed (.ci/run installs it)", pytrace=False)
    pytest.skip("chromium is not installed (apt-get install chromium fonts-noto-cjk)", allow_module_level=True)

LANGUAGES = ("en", "zh_CN")
PAGES = sorted(p.stem for p in (HTML / "en" / "course").glob("*.html"))
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-extensions",
    "--disable-background-networking",
    "--proxy-server=http://127.0.0.1:9",  # nothing listens there: any network request fails
    "--allow-file-access-from-files",
]


def browser(*arguments: str, timeout: float = 90) -> str:
    profile = Path(BUILD) / "chromium-profile"
    command = [BROWSER, *FLAGS, f"--user-data-dir={profile}", *arguments]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def rendered_dom(page: Path) -> str:
    return browser("--virtual-time-budget=8000", "--dump-dom", page.as_uri())


def without_scripts(dom: str) -> str:
    return re.sub(r"<script\b.*?</script>", "", dom, flags=re.DOTALL | re.IGNORECASE)


def test_every_exercise_page_was_built():
    assert len(PAGES) >= 9, PAGES
    for language in LANGUAGES:
        for page in PAGES:
            assert (HTML / language / "course" / f"{page}.html").is_file(), (language, page)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("page", PAGES)
def test_formulas_and_figures_render_offline(language, page):
    path = HTML / language / "course" / f"{page}.html"
    source = path.read_text(encoding="utf-8")
    formulas = len(re.findall(r'class="math notranslate nohighlight"', source))
    assert formulas > 0, f"{path} has no formula to render"
    dom = without_scripts(rendered_dom(path))
    rendered = dom.count("<mjx-container")
    assert rendered >= formulas, f"{path}: {rendered} formulas rendered by MathJax, {formulas} on the page"
    text = html.unescape(re.sub(r"<[^>]+>", " ", dom))
    for tex in ("\\frac", "\\(", "\\[", "\\sum", "\\mathrm"):
        assert tex not in text, f"{path}: raw TeX {tex!r} left on the rendered page"
    images = re.findall(r'<img\b[^>]*\bsrc="([^"]+)"', dom)
    figures = [src for src in images if "_images/" in src]
    assert figures, f"{path}: no figure"
    for src in images:
        target = (path.parent / unquote(urlsplit(src).path)).resolve()
        assert target.is_file() and target.stat().st_size > 0, f"{path}: image {src} is missing or empty"
    if language == "zh_CN":
        assert 'lang="zh-CN"' in source or 'lang="zh_CN"' in source, f"{path} is not marked as Chinese"


def test_the_language_switch_links_the_two_builds():
    for language, other in (("en", "zh_CN"), ("zh_CN", "en")):
        page = HTML / language / "course" / f"{PAGES[0]}.html"
        links = re.findall(r'class="grader-language" href="([^"]+)"', page.read_text(encoding="utf-8"))
        assert links, f"{page} has no language switch"
        assert (page.parent / links[0]).resolve() == (HTML / other / "course" / f"{PAGES[0]}.html").resolve()


def test_screenshot_of_a_page(tmp_path):
    """A real render to pixels (the file tool shows it); a blank page would be tiny."""
    shot = tmp_path / "page.png"
    browser(
        "--window-size=1280,1600",
        "--virtual-time-budget=8000",
        f"--screenshot={shot}",
        (HTML / "zh_CN" / "course" / "shift_reduce.html").as_uri(),
    )
    assert shot.is_file() and shot.stat().st_size > 50_000
