"""The engine: a log in, a budgeted summary out.

In the order a log goes through it: :mod:`.reader` (streams, decompresses, cleans),
:mod:`.redact` (secrets out), :mod:`.priority` and :mod:`.profiles` (a level per line),
:mod:`.literals` (word gates that keep many patterns cheap), :mod:`.packs` (what each
ecosystem's tools print), :mod:`.events` (multi-line events), :mod:`.templates` (line
templates), :mod:`.testresults`, :mod:`.cisteps` and :mod:`.runmeta` (failing tests, run
totals, CI steps, the commit), :mod:`.analysis` (one pass over the log), :mod:`.budget`
(what fits), :mod:`.render` (the text), :mod:`.summarize` (all of it in one call).
Beside them: :mod:`.tokens` (the tokenizer and the estimator), :mod:`.components`
(a budget per component), :mod:`.adaptive` (the settings that reach a target),
:mod:`.export` (side outputs), :mod:`.cache`.
"""
