"""Runner pack: Python's type checkers, linters, pre-commit, pip, Sphinx and unittest.

Tools and the console lines read here (one example each; the level a line gets):

* mypy: ``src/pkg/a.py:12: error: Incompatible return value type (got "str", expected "int")  [return-value]``
  high; ``src/pkg/a.py:12: note: "reserve" defined in "pkg.stock"`` low;
  ``Found 5 errors in 3 files (checked 12 source files)`` critical (totals);
  ``Success: no issues found in 12 source files`` (totals).
* pyright: ``  /src/pkg/a.py:319:14 - error: "X" is not exported from module "y"`` high.
* ruff check, full format: ``F401 [*] `os` imported but unused`` high; the location on the
  next line, `` --> pkg/a.py:1:8``, is high here but the rust pack's rule for rustc's line of
  the same shape comes first (low); being indented it stays in the header's event, and the
  source excerpt and ``help:`` lines after it continue that event as rustc's do;
  ``invalid-syntax: Expected `)`, found newline`` high;
  ``Found 3 errors.`` critical (totals); ``[*] 2 fixable with the `--fix` option.`` low;
  ``All checks passed!`` (totals).
* ruff check --output-format concise, flake8, pylint:
  ``pkg/a.py:3:1: E302 expected 2 blank lines, found 1`` high.
* ruff format --check, black --check: ``unformatted: File would be reformatted``,
  ``Would reformat: pkg/a.py`` high; ``2 files would be reformatted, 10 files already formatted``
  critical (totals).
* pre-commit: ``ruff check...............Failed`` critical, a failing test named by the
  hook's name; ``mypy....Passed`` and ``check rst....(no files to check)Skipped`` verbose;
  ``- hook id: ruff``, ``- duration: 0.31s`` low; ``- files were modified by this hook`` high.
* unittest: ``test_x (tests.test_m.Case.test_x) ... ok`` verbose;
  ``test_x (tests.test_m.Case.test_x) ... FAIL`` and
  ``FAIL: test_x (tests.test_m.Case.test_x)`` critical (failing tests);
  ``FAILED (failures=2, errors=1, skipped=2)`` critical (totals).
* pytest, for logs the pytest profile does not cover:
  ``tests/test_a.py::TestX::test_y PASSED [ 10%]`` verbose;
  ``FAILED tests/test_a.py::TestX::test_y - AssertionError: boom`` and
  ``___ TestX.test_y ___`` critical; ``E       assert 1 == 2`` high;
  ``=== 64 failed, 370 passed, 6 errors in 1.46s ===`` critical (totals).
* pip: ``ERROR: No matching distribution found for acme-utils==2.0``,
  ``ERROR: Could not install packages due to an OSError: [Errno 2] ...``,
  ``ERROR: ResolutionImpossible: ...``, ``ERROR: Failed to build 'x' when ...`` critical;
  ``error: subprocess-exited-with-error`` and
  ``× Getting requirements to build wheel did not run successfully.`` high;
  ``╰─> [21 lines of output]``, ``note: This error originates from a subprocess, ...`` low;
  ``Processing /w/x.whl``, ``Requirement already satisfied: x``,
  ``Installing build dependencies: finished with status 'done'`` verbose.
* Sphinx: ``/docs/index.rst:9: WARNING: undefined label: 'x' [ref.ref]`` high (a docs job
  builds with -W); ``build finished with problems, 3 warnings (with warnings treated as errors).``
  and ``Warning, treated as error:`` critical, and Sphinx < 8's location line after it,
  ``/docs/index.rst:4:toctree contains reference to nonexisting document 'x'``, high;
  ``reading sources... [ 50%] guide/error-codes`` verbose.
* doctest (sphinx.ext.doctest, python -m doctest): ``Failed example:`` high;
  ``***Test Failed*** 1 failures.`` critical; ``6 passed and 1 failed.`` (totals).

pytest's and unittest's failing tests and totals are read by ``testresults`` before any
pack; the pack's patterns for them make :func:`packs.failing_test` and
:func:`packs.totals` complete on their own.

Events: each mypy error opens one (also indented); its ``note:`` lines and, with
``--pretty``, its wrapped code (``[union-attr]``) continue it, as do pre-commit's
``- hook id:``/``- exit code:`` lines, pip's ``×``/``│``/``╰─>`` box, Sphinx 7's warning
under ``Warning, treated as error:`` and the ``assert ...`` second line of a pytest
short-summary message.
"""

from __future__ import annotations

from tokopt_pipeline.lib.engine.packs.base import C, H, L, Pack, Rule, TestLine, TotalsLine, V

B = r"(?-u:\b)"
_PY = r"[^\s:]+\.(py|pyi|ipynb)"  # a Python source path as the tools print it

RULES = (
    # --- failures that decide a run
    Rule(r"^(FAIL|ERROR): \w+ \([\w.]+\)|\S \.\.\. (?:FAIL|ERROR)$|^FAILED \((failures|errors)=\d+"
         r"|^(FAILED|ERROR) [^\s:]+\.py::|^[^\s:]+\.py::\S.* (FAILED|ERROR)( +\[ *\d+%\])?$|^_{3,} \S.* _{3,}$"
         r"|^=+ .*" + B + r"\d+ (failed|errors?)" + B + r".* in [\d.]+s.* =+$|^\*\*\*Test Failed\*\*\* \d+ failures?\.$"
         r"|^\d+ passed and [1-9]\d* failed\.$|^\s+[1-9]\d* failures? in tests$",
         C, "unittest / pytest / doctest failure"),
    Rule(r"\S\.{3}Failed$", C, "pre-commit hook failed"),
    Rule(r"^Found \d+ errors? in \d+ files? \(checked \d+ source files?\)$|^Found \d+ errors?\.$"
         r"|^Found \d+ errors? \(\d+ fixed, [1-9]\d* remaining\)\.$|^\d+ files? would be reformatted",
         C, "mypy / ruff / ruff format failing totals"),
    Rule(r"^ERROR: (No matching distribution found for |Could not install packages due to an |ResolutionImpossible"
         r"|Failed to build |Could not build wheels for )", C, "pip install failed"),
    Rule(r"^build finished with problems|^Warning, treated as error:$|^Sphinx error:$", C, "sphinx build failed"),
    # --- diagnostics
    Rule(r"^\s*" + _PY + r":\d+:(\d+:)? error: |^\s*" + _PY + r":\d+:\d+ - error: ", H, "mypy / pyright error"),
    Rule(r"^" + _PY + r":\d+:\d+: ([A-Z]+\d+:? |invalid-syntax: )"
         r"|^([A-Z]\d{3}|[A-Z]{2,6}\d{3,4}) (\[\*\] )?[A-Za-z`]|^invalid-syntax: |^\s*--> " + _PY + r":\d+:\d+$"
         r"|^unformatted: File would be reformatted$|^(Would reformat: |would reformat )",
         H, "ruff / flake8 / pylint finding"),
    Rule(r"^(checking consistency\.\.\. )?\S+(\.(rst|md|txt)|\.py:docstring of \S+)(:\d+)?: (WARNING|ERROR|CRITICAL|SEVERE): "
         r"|^\S+(\.(rst|md|txt)|\.py:docstring of \S+):\d+:[^\s\d]", H, "sphinx / docutils diagnostic"),
    Rule(r"^error: [a-z]+(-[a-z]+)+$|^ *× \S|^- files were modified by this hook$|^Failed example:$|^E {3,}\S",
         H, "pip / pre-commit / doctest / pytest diagnostic"),
    # --- context that mentions errors without being one
    Rule(r"^\s*" + _PY + r":\d+:(\d+:)? note: |^\s*(note|hint): |^\s*╰─> |^- (hook id|duration): |^\[\*\] \d+ fixable with "
         r"|^\d+ passed and 0 failed\.$|^Test passed\.$",
         L, "mypy note / pip note / pre-commit hook details"),
    # --- noise: passing tests, progress, downloads
    Rule(r"\S \.\.\. (?:ok|skipped .*|expected failure)$|^[^\s:]+\.py::\S.* (PASSED|SKIPPED|XFAIL|XPASS)( +\[ *\d+%\])?$"
         r"|\S\.{3}(?:\([^)]*\))?(?:Passed|Skipped)$", V, "passing test / hook"),
    Rule(r"^\s*(Collecting|Downloading|Using cached|Requirement already satisfied:|Obtaining|Processing|Created wheel for"
         r"|Stored in directory:|Installing collected packages:|Attempting uninstall:|Found existing installation:"
         r"|Uninstalling|Successfully uninstalled|Building wheels for collected packages:) "
         r"|^\s*(Installing build dependencies|Getting requirements to build (wheel|editable)|Installing backend dependencies"
         r"|Checking if build backend supports build_editable|Preparing (editable )?metadata \([\w.]+\)"
         r"|Building (wheel|editable) for \S+ \([\w.]+\))(: started|: finished with status 'done'| \.\.\. done)$"
         r"|^(reading sources|writing output|highlighting module code)\.\.\. \[ *\d+%\] [^:]*$",
         V, "pip / sphinx progress"),
)

TESTS = (
    TestLine(r"^(?P<id>\S.*?)\.{3,}Failed$"),  # pre-commit: the hook's name
    TestLine(r"^(?P<name>\w+) \((?P<id>[\w.]+)\)(?: \S.*)? \.\.\. FAIL$"),
    TestLine(r"^(?P<name>\w+) \((?P<id>[\w.]+)\)(?: \S.*)? \.\.\. ERROR$", "error"),
    TestLine(r"^FAIL: (?P<name>\w+) \((?P<id>[\w.]+)\)"),
    TestLine(r"^ERROR: (?P<name>\w+) \((?P<id>[\w.]+)\)", "error"),
    TestLine(r"^FAILED (?P<id>(?P<file>[^\s:]+\.py)::\S+?(?:\[[^\]]*\])?)(?: - |$)"),
    TestLine(r"^ERROR (?P<id>(?P<file>[^\s:]+\.py)::\S+?(?:\[[^\]]*\])?)(?: - |$)", "error"),
)

TOTALS = (
    TotalsLine(r"^(?P<text>Found \d+ errors? in \d+ files? \(checked \d+ source files?\)"
               r"|Success: no issues found in \d+ source files?)$", r"^Found [1-9]"),
    TotalsLine(r"^(?P<text>Found \d+ errors?(?: \(\d+ fixed, \d+ remaining\))?\.|All checks passed!)$",
               r"^Found \d+ errors?\.$|, [1-9]\d* remaining"),
    TotalsLine(r"^(?P<text>\d+ files? would be reformatted(?:, \d+ files? (?:already formatted|would be left unchanged))?"
               r"|\d+ files? (?:reformatted|already formatted|left unchanged)(?:, \d+ files? left unchanged)?)\.?$",
               r"would be reformatted"),
    TotalsLine(r"^(?P<text>build (?:finished with problems|succeeded)[^.]*(?:\([^)]*\))?\.)$", r"problems"),
    TotalsLine(r"^(?P<text>\d+ passed and \d+ failed\.)$", r"[1-9]\d* failed"),
    TotalsLine(r"^\s+(?P<text>\d+ failures? in tests)$", r"^[1-9]"),  # the doctest builder's summary
    TotalsLine(r"^(?P<text>FAILED \((?:failures|errors|skipped|expected failures|unexpected successes)=\d+[^)]*\))$",
               r"failures=|errors=|unexpected successes="),
    TotalsLine(r"^=+ (?P<text>\d+ (?:passed|failed|errors?|skipped)[^=]* in [\d.]+s(?: \([\d:]+\))?) =+$",
               r"\b[1-9]\d* (?:failed|errors?)\b"),
)

BLOCK_STARTS = (
    # each mypy error opens its event (its notes and wrapped lines continue it), also when
    # indented (a checker under tox or nox); pyright's indented diagnostics under the file name
    r"^\s*[^\s:]+\.pyi?:\d+:(\d+:)? error: |^\s+[^\s:]+\.pyi?:\d+:\d+ - (error|warning): ",
)

CONTINUES = (
    # mypy: the notes of an error; with --pretty, the wrapped end of its message and its code
    r"^[^\s:]+\.pyi?:\d+:(\d+:)? note: |^\[[a-z]+(-[a-z]+)*\]$|\S  \[[a-z]+(?:-[a-z]+)*\]$"
    # pre-commit: a hook's details under its result line
    r"|^- (hook id|exit code|duration): |^- files were modified by this hook$"
    # pip's box around a subprocess's failure
    r"|^(× |│ |╰─> )"
    # Sphinx < 8: the warning under "Warning, treated as error:"
    r"|^\S+(\.(rst|md|txt)|\.py:docstring of \S+):\d+:[^\s\d]"
    # pytest on CI: the second line of a short-summary message ("FAILED t.py::x - AssertionError: msg")
    r"|^assert \S",
)

PACK = Pack(
    "python",
    "Python type checkers, linters, pre-commit, pip, Sphinx, unittest and pytest",
    detect=r"^Found \d+ errors? in \d+ files? \(checked |^Success: no issues found in |\.{3,}(Passed|Failed|Skipped)$"
           r"|^Running Sphinx v|^Ran \d+ tests? in |^(Looking in indexes|Looking in links): |^[^\s:]+\.py:\d+:\d+: [A-Z]+\d+ ",
    rules=RULES,
    tests=TESTS,
    totals=TOTALS,
    block_starts=BLOCK_STARTS,
    continues=CONTINUES,
    tools=("mypy", "pyright", "ruff", "flake8", "pylint", "black", "pre-commit", "pip", "sphinx", "doctest",
           "unittest", "pytest"),
)
