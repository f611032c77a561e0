"""Student text in reports: bounded and unable to drive a terminal."""

from grader.text import HIDDEN, bound, quote, redact


def test_short_printable_text_is_unchanged():
    assert bound("expected 1.5, got 2 — é ü 中") == "expected 1.5, got 2 — é ü 中"


def test_long_text_is_cut_with_its_length():
    text = bound("x" * 10**6, 100)
    assert text == "x" * 100 + "... [1000000 characters]"


def test_control_and_format_characters_are_escaped():
    text = bound("a\x1b[2J\rb\x00c\x7f\u202ed\u2028e\ud800f\tg")
    assert text == "a\\x1b[2J\\rb\\x00c\\x7f\\u202ed\\u2028e\\ud800f\tg"
    assert text.isprintable() is False  # only because of the tab
    assert text.replace("\t", " ").isprintable()


def test_newlines_are_escaped_unless_kept():
    assert bound("a\nb") == "a\\nb"
    assert bound("a\nb\r\n", newlines=True) == "a\nb\\r\n"


def test_quote_bounds_without_a_full_repr():
    assert quote("ab") == "'ab'"
    assert quote("k" * 10**8, 10) == "'kkkkkkkkkk'... [100000000 characters]"
    assert quote("a\x1b") == "'a\\x1b'"
    assert len(quote(list(range(10**5)), 50)) < 100


def test_redact_hides_folders_longest_first():
    text = "No such file: '/srv/course/solutions/bow.py' in /srv/course"
    assert redact(text, ["/srv/course", "/srv/course/solutions"]) == f"No such file: '{HIDDEN}/bow.py' in {HIDDEN}"
    assert redact("/ stays", ["/", ""]) == "/ stays"
