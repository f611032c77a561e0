"""Build the documentation: both languages, the doctests, the internal links.

Usage, from the repository root (``tox -e docs`` runs the first form)::

    python docs/build.py                  # every step below, in order
    python docs/build.py html-en doctest  # only some steps
    python docs/build.py gettext          # update docs/locale/ from the pages

Steps:

``html-en``, ``html-zh_CN``
    ``sphinx-build -b html -W --keep-going -n`` into ``docs/_build/html/<lang>``.
``doctest``
    The worked examples, against the reference solutions.
``links``
    Every relative ``href`` and ``src`` of the built HTML, and every
    ``#anchor`` into a built page, must exist. External links are not
    followed: the build has no network.
``pot``
    The message templates (``-b gettext``) into ``docs/_build/gettext``,
    which ``tests/test_docs.py`` compares with the committed catalogs.

``gettext`` is not part of the default run: it rewrites the catalogs in
``docs/locale/`` with ``sphinx-intl update``, so new and changed messages can
be translated.
"""

from __future__ import annotations

import html.parser
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

DOCS = Path(__file__).resolve().parent
BUILD = DOCS / "_build"
LANGUAGES = ("en", "zh_CN")
STRICT = ["-W", "--keep-going", "-n", "-q"]
DEFAULT = ["html-en", "html-zh_CN", "doctest", "links", "pot"]


def sphinx(builder: str, out: Path, language: str = "en", strict: bool = True) -> None:
    doctrees = BUILD / "doctrees" / ("gettext" if builder == "gettext" else language)  # gettext's are its own
    command = [sys.executable, "-m", "sphinx", "-b", builder, "-d", str(doctrees)]
    command += (STRICT if strict else ["-q"]) + ["-D", f"language={language}", str(DOCS), str(out)]
    print("$", " ".join(command[2:]), flush=True)
    subprocess.run(command, check=True)


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        for key in ("href", "src"):
            if attrs.get(key):
                self.links.append(attrs[key])


def check_links(root: Path) -> list[str]:
    """Broken relative links and anchors under ``root``, as messages."""
    parsed: dict[Path, _Links] = {}

    def parse(page: Path) -> _Links:
        if page not in parsed:
            parser = _Links()
            parser.feed(page.read_text(encoding="utf-8"))
            parsed[page] = parser
        return parsed[page]

    broken = []
    for page in sorted(root.rglob("*.html")):
        for link in parse(page).links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:", "data:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if parts.path.endswith("/") or target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(root)}: {link}"
            if not target.is_file():
                broken.append(f"{where} (no such file)")
            elif parts.fragment and target.suffix == ".html" and parts.fragment not in parse(target).ids:
                broken.append(f"{where} (no such anchor)")
    return broken


def write_root_index() -> None:
    """``docs/_build/html/index.html``: a page that sends readers to the English build."""
    (BUILD / "html").mkdir(parents=True, exist_ok=True)
    (BUILD / "html" / "index.html").write_text(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="refresh" content="0; url=en/index.html">'
        "<title>torch-exercise-grader</title></head><body>"
        '<p><a href="en/index.html">English</a> · <a href="zh_CN/index.html" lang="zh-CN">简体中文</a></p>'
        "</body></html>\n",
        encoding="utf-8",
    )


def run(step: str) -> None:
    if step.startswith("html-"):
        language = step[len("html-") :]
        sphinx("html", BUILD / "html" / language, language)
        write_root_index()
    elif step == "doctest":
        sphinx("doctest", BUILD / "doctest")
    elif step == "links":
        broken = check_links(BUILD / "html")
        for message in broken:
            print(f"broken link: {message}", file=sys.stderr)
        if broken:
            raise SystemExit(f"{len(broken)} broken internal links")
        print(f"internal links: all {sum(1 for _ in (BUILD / 'html').rglob('*.html'))} pages ok")
    elif step == "pot":
        sphinx("gettext", BUILD / "gettext")
    elif step == "gettext":
        sphinx("gettext", BUILD / "gettext")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "sphinx_intl",
                "update",
                "-p",
                str(BUILD / "gettext"),
                "-d",
                str(DOCS / "locale"),
                "-l",
                "zh_CN",
                "-w",
                "0",
            ],
            check=True,
        )
    else:
        raise SystemExit(f"unknown step {step!r} (steps: {', '.join(DEFAULT + ['gettext'])})")


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    steps = argv or DEFAULT
    for step in steps:
        start = time.perf_counter()
        try:
            run(step)
        except subprocess.CalledProcessError as exc:
            print(f"docs: step {step} failed (exit status {exc.returncode})", file=sys.stderr)
            return 1
        print(f"docs: {step} done in {time.perf_counter() - start:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
