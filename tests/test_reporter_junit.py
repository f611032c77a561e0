"""``--junit PATH``: JUnit XML that junitparser and the standard library both read."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from types import SimpleNamespace

import junitparser
import pytest

from grader.cli import main
from grader.reporters import junit
from grader.results import CheckResult, ExerciseResult, Report, Session
from tests.toy_runs import PLUGINS, grade_toys


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    return {
        broken: grade_toys(tmp_path_factory.mktemp("broken" if broken else "correct"), broken)
        for broken in (False, True)
    }


def write(report, tmp_path):
    path = tmp_path / "junit.xml"
    path.write_text("old contents")
    junit.grader_report_finish(report=report, args=SimpleNamespace(junit=path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junit.xml"], "a temporary file was left behind"
    ET.parse(path)  # well-formed for the standard library's parser
    return path


def cases(path):
    xml = junitparser.JUnitXml.fromfile(str(path))
    return {(case.classname, case.name): case for suite in xml for case in suite}, xml


def points(case):
    (properties,) = case.iterchildren(junitparser.Properties)
    props = {p.name: p.value for p in properties.iterchildren(junitparser.Property)}
    return float(props["score"]), float(props["max_score"])


def test_a_correct_submission_passes_every_testcase(reports, tmp_path):
    report = reports[False]
    found, xml = cases(write(report, tmp_path))
    expected = {(e.name, c.name) for e in report.exercises for c in e.checks}
    assert set(found) == expected
    for case in found.values():
        assert case.is_passed, case.name
        score, max_score = points(case)
        assert score == max_score > 0
    assert xml.tests == len(expected) and xml.failures == 0 and xml.errors == 0


def test_a_broken_submission_maps_each_status(reports, tmp_path):
    report = reports[True]
    found, xml = cases(write(report, tmp_path))
    results = {(e.name, c.name): c for e in report.exercises for c in e.checks}
    assert set(found) == set(results)
    kinds = {}
    for key, case in found.items():
        check = results[key]
        assert points(case) == (check.score, check.max_score)
        (outcome,) = case.result
        kinds[key] = type(outcome).__name__
        assert outcome.message == outcome.text.split("\n")[0]
    assert kinds == {
        ("toy_a", "add_one"): "Failure",
        ("toy_a", "total"): "Error",
        ("toy_a", "numpy_only"): "Failure",
        ("toy_b", "double"): "Error",
    }
    assert found[("toy_b", "double")].result[0].type == "timeout"
    assert found[("toy_a", "numpy_only")].result[0].type == "failed"  # "not yet counted": total failed
    assert "expected 2.8" in found[("toy_a", "add_one")].result[0].text
    assert xml.failures == 2 and xml.errors == 2


def test_submission_text_is_escaped_and_still_parses(reports, tmp_path):
    path = write(reports[True], tmp_path)
    raw = path.read_bytes()
    for illegal in (b"\x00", b"\x1b", b"\x07", b"\x0b", "\ufffe".encode()):
        assert illegal not in raw
    found, _ = cases(path)
    error = found[("toy_a", "total")].result[0]
    assert "bad | cell <b>x</b> 100% ]]>" in error.text  # markup kept as text, not as elements
    assert "\\x00\\x1b[2J\\x07" in error.text
    out = ET.parse(path).getroot().find("./testsuite[@name='toy_a']/system-out").text
    assert "student says \\x00\\x1b[2J\\x07 <b>&amp; ]]> \\ufffe" in out


def test_every_character_class_a_submission_can_send():
    nasty = "".join(chr(i) for i in range(0, 0x80)) + "\ud800\udfff\ufffe\uffff\U0001f600 ]]> &amp; \"'"
    check = CheckResult("c", "f", "error", 0.0, 1.0, nasty)
    report = Report(Session(("ex",), "s", "cpu"), (ExerciseResult("ex", "Ex", (check,), output=nasty * 3),), 1.0)
    root = ET.fromstring(junit.to_junit_xml(report))
    error = root.find("./testsuite/testcase/error")
    assert "\U0001f600 ]]> &amp; \"'" in error.text
    assert "\\x00" in error.text and "\\ud800" in error.text and "\\ufffe" in error.text


def test_printed_output_is_bounded():
    check = CheckResult("c", "f", "passed", 1.0, 1.0)
    report = Report(Session(("ex",), "s", "cpu"), (ExerciseResult("ex", "Ex", (check,), output="y" * 10**6),), 1.0)
    out = ET.fromstring(junit.to_junit_xml(report)).find("./testsuite/system-out").text
    assert junit.OUTPUT_LIMIT <= len(out) < junit.OUTPUT_LIMIT + 100


def test_bad_path_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["-p", PLUGINS[1], "run", "toy_a", "--junit", str(tmp_path / "no" / "r.xml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--junit" in err and "does not exist" in err
    assert main(["-p", PLUGINS[1], "run", "toy_a", "--junit", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
