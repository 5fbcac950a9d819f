"""``report.html``: what the class got wrong, one self-contained page, student text
escaped; checked as HTML, and (opt-in, where chromium is installed) as a browser shows it."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from autograder.grading.batch_inputs import Student
from autograder.grading.batch_report import BINS, write_report_html
from autograder.grading.results import error_results, write_json_atomic

EVIL = "got <img src=x onerror=alert(1)></td><script>alert(2)</script> \u202etxt.exe"


def _results(q1: float, q2: float, cases: list[dict], seconds: float) -> dict:
    tests = [
        {
            "name": f"{q} {title}: cases",
            "score": score,
            "max_score": points,
            "status": "passed" if score == points else "failed",
            "output": "**x/y cases passed**\n- ✗ *case*: message",
            "tags": [q],
        }
        for q, title, score, points in (("q1", "Square by hand", q1, 60), ("q2", "Add", q2, 40))
    ]
    extra = {"grader_fault": False, "assignment": "hw99_demo", "cases": cases, "seconds": seconds}
    return {"score": q1 + q2, "execution_time": round(seconds), "tests": tests, "extra_data": extra}


def _case(q: str, case: str, message: str, kind: str = "") -> dict:
    return {
        "question": q,
        "test": f"test_{q}_values",
        "case": case,
        "kind": kind,
        "message": message,
    }


CLASS = {
    "alice": _results(60, 40, [], 2.5),
    "bob": _results(30, 40, [_case("q1", "x=-2", r"expected 4, got 2 \[a float\]")], 9.25),
    "carol": _results(60, 0, [_case("q2", "ints", "not implemented yet", "not_implemented")], 1.0),
    "eve": _results(
        0,
        40,
        [
            _case("q1", "x=-2", EVIL),
            _case("q1", "x=3", "timed out: took longer than 5 s", "timeout"),
        ],
        7.0,
    ),
}


@pytest.fixture(scope="module")
def report(demo_course, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    rows = [Student(sid, None, source=f"class/{sid}.py") for sid in [*CLASS, "faulty"]]
    rows.append(Student("notes.txt", None, problem="not a notebook (.txt)", status="skipped"))
    for sid, results in CLASS.items():
        write_json_atomic(out / "results" / f"{sid}.json", results)
    fault = error_results(demo_course.assignment("hw99"), "x", grader_fault=True)
    fault["extra_data"]["fault"] = "RuntimeError: <b>boom</b>"
    write_json_atomic(out / "results" / "faulty.json", fault)
    return write_report_html(demo_course.assignment("hw99"), rows, out)


class _Page(HTMLParser):
    """The elements, attributes and text of a page, with the text of each section."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.sections: dict[str, str] = {}
        self.current: str | None = None
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs
        if tag == "section":
            self.current = dict(attrs).get("id")
            self.sections[self.current] = ""

    def handle_endtag(self, tag):
        if tag == "section":
            self.current = None

    def handle_data(self, data):
        self.text.append(data)
        if self.current:
            self.sections[self.current] += data + " "


def _check_page(page: _Page) -> None:
    """What the instructor must see, whether read from the file or from the browser."""
    assert not {"script", "img", "iframe", "object", "embed", "link"} & set(page.tags)
    assert not [a for a, _ in page.attrs if a in ("src", "href") or a.startswith("on")]
    assert page.tags.count("svg") == 3  # the total, and q1 and q2
    assert page.tags.count("rect") == 3 * (BINS + 1)
    failed = " ".join(page.sections["failed"].split())
    # Most-failed first: two students failed x=-2, each told something else.
    assert failed.index("x=-2 2 of 4") < failed.index("x=3 1 of 4")
    assert "expected 4, got 2 [a float]" in failed  # the feedback's Markdown escapes undone
    assert "got <img src=x onerror=alert(1)></td><script>alert(2)</script> \ufffdtxt.exe" in failed
    assert "ints" not in failed  # not implemented: counted per question, not ranked
    questions = " ".join(page.sections["questions"].split())
    assert "q2 Add (40 points) mean 30.0, median 40 of 40; full marks: 3, zero: 1 (of 4)" in (
        questions
    )
    assert "not attempted: 1" in questions
    faults = page.sections["faults"]
    assert "faulty" in faults and "RuntimeError: <b>boom</b>" in faults and "--regrade" in faults
    limits = " ".join(page.sections["limits"].split())
    assert "eve q1 test_q1_values: x=3 probe time limit" in limits
    slowest = " ".join(page.sections["slowest"].split())
    assert slowest.index("bob 9.2 s 70") < slowest.index("eve 7.0 s 40")
    assert "notes.txt skipped: not a notebook (.txt)" in " ".join(
        page.sections["not-graded"].split()
    )
    overview = " ".join("".join(page.text).split())
    assert "6 rows: 4 graded, 1 grader fault, 1 not graded." in overview


def test_the_report_says_what_the_class_got_wrong(report):
    text = report.read_text(encoding="utf-8")
    assert "://" not in text  # no address to fetch anything from
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert "<script>" not in text and "&lt;script&gt;alert(2)" in text
    _check_page(_Page(text))


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="opt-in: needs chromium (apt-get install chromium)")
def test_the_report_renders_in_a_headless_browser(report, tmp_path):
    """The page as chromium builds it (its DOM after parsing, and a screenshot): student
    text stays text, and the charts are drawn."""
    base = [CHROMIUM, "--headless", "--disable-gpu", "--no-first-run", "--hide-scrollbars"]
    base += [f"--user-data-dir={tmp_path / 'profile'}", "--disable-dev-shm-usage"]
    if os.geteuid() == 0:  # chromium refuses to run as root with its own sandbox
        base.append("--no-sandbox")
    url = report.resolve().as_uri()
    dom = subprocess.run(
        [*base, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    _check_page(_Page(dom))
    shot = tmp_path / "shot.png"
    subprocess.run(
        [*base, f"--screenshot={shot}", "--window-size=1200,1400", url],
        capture_output=True,
        timeout=120,
        check=True,
    )
    from PIL import Image

    pixels = {rgb for _, rgb in Image.open(shot).convert("RGB").getcolors(1 << 24)}
    assert (0x4C, 0x72, 0xB0) in pixels  # the total's bars
    assert (0x55, 0xA8, 0x68) in pixels  # the questions' bars
