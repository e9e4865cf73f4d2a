"""Real test-suite logs from other runners, summarized by the real command and scored.

Each log here is produced by running a real suite in a subprocess: a pytest suite with
assertion diffs, deep tracebacks, errors at setup and teardown, parametrized and class
tests (``-v -rfE`` and ``-q``), a unittest suite (``python -m unittest -v``), and a
GitHub Actions job log holding several pytest runs, written the way a downloaded job
log looks (timestamp on every line, ``##[group]`` blocks, ``##[error]`` at the end).
The summaries come from the ``tokopt`` command and are scored against the runs' own
JUnit XML with the project's scorer (data/eval/score.py).
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real test suites run in subprocesses, then the command on their logs (16 s in all)

BUDGETS = (1500, 4000, 76659)

SUITE = {
    "test_calc.py": '''
        import pytest

        def parse_pair(text):
            key, value = text.split("=")
            return key.strip(), int(value)

        def normalise(record):
            return {k.lower(): v for k, v in record.items()}

        @pytest.mark.parametrize("text,expected", [
            ("a=1", ("a", 1)), ("b = 2", ("b", 2)),
        ] + [(f"k{i}=v{i}", ("k", i)) for i in range(24)])
        def test_parse_pair(text, expected):
            assert parse_pair(text) == expected

        def test_normalise_keeps_values():
            assert normalise({"A": 1, "B": [1, 2, 3]}) == {"a": 1, "b": [1, 2, 4]}

        def test_division_by_zero_in_helper():
            def ratio(a, b):
                return a / b
            def total(values):
                return sum(ratio(v, v - 3) for v in values)
            assert total([1, 2, 3]) > 0

        class TestInventory:
            def test_stock_count(self):
                stock = {"apples": 3, "pears": 0}
                assert stock["pears"] > 0, "pears are out of stock in the inventory"

            def test_lookup_missing_item(self):
                stock = {"apples": 3}
                assert stock["bananas"] == 1

            def test_passes(self):
                assert True

        @pytest.mark.xfail(reason="known rounding issue")
        def test_rounding():
            assert round(2.675, 2) == 2.68

        @pytest.mark.skip(reason="needs network")
        def test_download():
            pass
    ''',
    "test_service.py": '''
        import pytest

        class Connection:
            def close(self):
                raise OSError("connection reset while closing the session pool")

        @pytest.fixture
        def database():
            raise RuntimeError("database unavailable: could not connect to server on port 5432")

        @pytest.fixture
        def connection():
            c = Connection()
            yield c
            c.close()

        def test_query_users(database):
            assert database

        def test_query_orders(database):
            assert database

        def test_uses_connection(connection):
            assert connection is not None

        def test_config_value():
            config = {"timeout": "30s"}
            assert int(config["timeout"]) == 30

        def test_ok_one():
            assert 1 + 1 == 2

        def test_ok_two():
            assert "tok" in "tokopt"
    ''',
}


def _write_suite(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pytest.ini").write_text("[pytest]\naddopts =\n")
    for name, body in SUITE.items():
        (root / name).write_text(textwrap.dedent(body))
    return root


def _run_pytest(root: Path, log: Path, junit: Path, *flags: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "console_output_style=classic",
         "--color=no", f"--junitxml={junit}", *flags],
        cwd=root, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    log.write_text(done.stdout)
    return done.stdout


def _tokopt(log: Path, out: Path, budget: int, *flags: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tokopt_pipeline", str(log), "--token-budget", str(budget), "--output", str(out), *flags],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return out.read_text(encoding="utf-8")


def _check(scorer, text: str, junits: list[Path], budget: int, log: Path) -> dict:
    score = scorer.score(text, [str(j) for j in junits], budget, str(log))
    assert score["within_budget"], score
    if budget >= 76659:
        assert all(score[k] == 1.0 for k in ("test_recall", "type_recall", "msg_recall", "totals_recall")), score
    elif budget >= 4000:
        assert score["test_recall"] == 1.0, score
        assert score["type_recall"] == 1.0, score
        assert score["msg_recall"] >= 0.95, score
        assert score["totals_recall"] == 1.0, score
    else:
        assert score["test_recall"] >= 0.9, score
        assert score["totals_recall"] == 1.0, score
    return score


def _failing(junit: Path) -> set[str]:
    return {tc.get("name") for tc in ET.parse(junit).getroot().iter("testcase") if tc.find("failure") is not None or tc.find("error") is not None}


def _omitted_counts_cover(text: str, junits: list[Path]) -> None:
    """Every failing test is named in the summary or counted in an omission line."""
    names = set().union(*(_failing(j) for j in junits))
    missing = {n for n in names if n not in text}
    counted = sum(int(n) for n in re.findall(r"(\d+) more failing tests?", text))
    assert len(missing) <= counted, (missing, counted)


@pytest.fixture(scope="module")
def pytest_runs(tmp_path_factory):
    root = _write_suite(tmp_path_factory.mktemp("suite"))
    out = {}
    for kind, flags in (("verbose", ("-v", "-rfE")), ("quiet", ("-q",))):
        log, junit = root / f"{kind}.log", root / f"{kind}.junit.xml"
        _run_pytest(root, log, junit, *flags)
        out[kind] = (log, junit)
    return out


@pytest.mark.parametrize("kind", ["verbose", "quiet"])
@pytest.mark.parametrize("budget", BUDGETS)
def test_pytest_suite_scores(scorer, pytest_runs, tmp_path, kind, budget):
    log, junit = pytest_runs[kind]
    assert len(_failing(junit)) >= 30  # the suite really fails the way it is meant to
    text = _tokopt(log, tmp_path / "s.md", budget)
    _check(scorer, text, [junit], budget, log)
    _omitted_counts_cover(text, [junit])


def test_errors_at_setup_and_teardown_are_reported_as_errors(pytest_runs, tmp_path):
    log, _ = pytest_runs["verbose"]
    text = _tokopt(log, tmp_path / "s.md", 4000)
    assert "database unavailable: could not connect to server on port 5432" in text
    assert "connection reset while closing the session pool" in text
    for name in ("test_query_users", "test_query_orders", "test_uses_connection"):
        assert name in text


UNITTEST_SUITE = '''
import unittest


class TestParser(unittest.TestCase):
    def test_empty_input(self):
        self.assertEqual("".split(","), [])

    def test_number(self):
        self.assertEqual(int("42"), 42)

    def test_bad_number(self):
        int("forty-two")

    def test_dict_merge(self):
        self.assertDictEqual({"a": 1, "b": 2}, {"a": 1, "b": 3})


class TestStorage(unittest.TestCase):
    def setUp(self):
        self.items = []

    def test_pop_empty(self):
        self.items.pop()

    def test_append(self):
        self.items.append(1)
        self.assertEqual(self.items, [1])

    def test_capacity(self):
        self.assertLessEqual(len(range(10)), 5, "storage capacity exceeded for the bucket")


if __name__ == "__main__":
    unittest.main()
'''

# The ground truth of UNITTEST_SUITE: (class, method, kind, exception type, message).
UNITTEST_FAILURES = [
    ("TestParser", "test_empty_input", "failure", "AssertionError", "Lists differ: [''] != []"),
    ("TestParser", "test_bad_number", "error", "ValueError", "invalid literal for int() with base 10: 'forty-two'"),
    ("TestParser", "test_dict_merge", "failure", "AssertionError", "{'a': 1, 'b': 2} != {'a': 1, 'b': 3}"),
    ("TestStorage", "test_pop_empty", "error", "IndexError", "pop from empty list"),
    ("TestStorage", "test_capacity", "failure", "AssertionError", "10 not less than or equal to 5 : storage capacity exceeded for the bucket"),
]


@pytest.fixture(scope="module")
def unittest_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("unittest")
    (root / "test_units.py").write_text(UNITTEST_SUITE)
    done = subprocess.run([sys.executable, "-m", "unittest", "-v", "test_units"], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    log = root / "unittest.log"
    log.write_text(done.stderr)  # unittest reports on stderr
    suite = ET.Element("testsuite")
    for cls, name, kind, typ, msg in UNITTEST_FAILURES:
        tc = ET.SubElement(suite, "testcase", classname=f"test_units.{cls}", name=name)
        ET.SubElement(tc, kind, message=f"{typ}: {msg}")
    junit = root / "unittest.junit.xml"
    ET.ElementTree(suite).write(junit)
    return log, junit


@pytest.mark.parametrize("budget", BUDGETS)
def test_unittest_suite_scores(scorer, unittest_run, tmp_path, budget):
    log, junit = unittest_run
    # The log really holds what the ground truth says.
    body = log.read_text()
    assert "FAILED (failures=3, errors=2)" in body and "Ran 7 tests in" in body
    text = _tokopt(log, tmp_path / "s.md", budget)
    score = scorer.score(text, [str(junit)], budget, str(log))
    assert score["within_budget"], score
    assert score["test_recall"] == 1.0 and score["type_recall"] == 1.0, score
    assert score["msg_recall"] >= 0.95, score
    assert "FAILED (failures=3, errors=2)" in text
    assert "Ran 7 tests in" in text


STAMP = "2025-11-20T00:53:{:02d}.{:07d}Z "


def _github_job_log(runs: list[tuple[str, str]]) -> str:
    """A job log as GitHub serves it for download: several steps, every line stamped."""
    lines = [
        "Current runner version: '2.329.0'",
        "##[group]Operating System",
        "Ubuntu",
        "24.04.3",
        "LTS",
        "##[endgroup]",
        "##[group]Run actions/checkout@v4",
        "with:",
        "  repository: example/shop",
        "##[endgroup]",
        "Syncing repository: example/shop",
    ]
    for command, output in runs:
        lines += [f"##[group]Run {command}", f"\x1b[36;1m{command}\x1b[0m", "shell: /usr/bin/bash -e {0}", "##[endgroup]"]
        lines += output.splitlines()
    lines.append("##[error]Process completed with exit code 1.")
    lines += ["Post job cleanup.", "Cleaning up orphan processes"]
    return "".join(STAMP.format(i % 60, (i * 7919) % 10_000_000) + line + "\n" for i, line in enumerate(lines))


def github_job(root: Path) -> tuple[Path, list[Path]]:
    """A GitHub Actions job log of three pytest runs of the suite in ``root`` (written
    by :func:`_write_suite`), and the runs' JUnit XML files."""
    runs, junits = [], []
    for i, (command, flags) in enumerate([
        ("pytest -v -rfE test_calc.py", ("-v", "-rfE", "test_calc.py")),
        ("pytest -q test_service.py", ("-q", "test_service.py")),
        ("pytest -v -rfE -k 'parse_pair or Inventory'", ("-v", "-rfE", "-k", "parse_pair or Inventory")),
    ]):
        log, junit = root / f"run{i}.log", root / f"run{i}.junit.xml"
        runs.append((command, _run_pytest(root, log, junit, *flags)))
        junits.append(junit)
    job = root / "job.log"
    job.write_text(_github_job_log(runs))
    return job, junits


@pytest.fixture(scope="module")
def github_log(tmp_path_factory):
    return github_job(_write_suite(tmp_path_factory.mktemp("gha")))


@pytest.mark.parametrize("budget", BUDGETS)
def test_github_actions_job_with_several_runs(scorer, github_log, tmp_path, budget):
    job, junits = github_log
    text = _tokopt(job, tmp_path / "s.md", budget)
    score = _check(scorer, text, junits, budget, job)
    assert score["runs"] == 2  # the scorer reads "=== ... in 0.1s ===" banners: the -v runs
    # The -q run's totals line has no banner; it is a run's totals all the same.
    quiet_totals = re.findall(r"Z (\d+ failed, \d+ passed, \d+ errors) in [\d.]+s$", job.read_text(), re.M)
    assert len(quiet_totals) == 1
    assert quiet_totals[0] in text
    assert "Process completed with exit code 1" in text
    _omitted_counts_cover(text, junits)
