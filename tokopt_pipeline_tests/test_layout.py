"""The house rules of the package's layout that a reader relies on."""

from __future__ import annotations

import ast
from pathlib import Path

LIB = Path(__file__).resolve().parents[1] / "tokopt_pipeline" / "lib"
LIMIT = 400


def test_a_long_module_of_lib_says_which_one_concept_it_holds():
    """A module of lib/ over 400 lines is one concept, and its docstring names it."""
    unexplained = []
    for path in sorted(LIB.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if text.count("\n") <= LIMIT:
            continue
        doc = ast.get_docstring(ast.parse(text)) or ""
        if "One concept (over 400 lines):" not in doc:
            unexplained.append(f"{path.relative_to(LIB)} ({text.count(chr(10))} lines)")
    assert unexplained == [], f"split these modules or say which one concept each holds: {unexplained}"


def test_every_bench_script_loads(monkeypatch):
    """The benchmarks import the package and the tests' helpers by name: a moved module
    must not leave a script that fails before it measures anything."""
    import importlib.util
    import sys

    bench = LIB.parents[1] / "bench"
    scripts = sorted(bench.glob("*.py"))
    assert len(scripts) >= 8
    monkeypatch.setattr(sys, "path", [str(bench.parent), *sys.path])
    for path in scripts:
        spec = importlib.util.spec_from_file_location(f"bench_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # runs the imports; main() only runs as a script
        assert callable(getattr(module, "main", None)), f"{path.name} has no main()"
