"""The ``tokopt`` command: a tree of click commands over :mod:`tokopt_pipeline.lib`.

``tokopt LOG`` is ``tokopt summarize LOG``; the other commands are ``run`` (a command's
output, summarized), ``memory``, ``usage``, ``ci``, ``config``, ``diagnose``, ``mcp`` and
``report``. The spec's
command-like flags (``--check-usage``, ``--validate-ci`` ...) are aliases of these
(:mod:`.aliases`). Every option is defined once (:mod:`.params`).
"""

from tokopt_pipeline.cli.main import main, run, tokopt

__all__ = ["main", "run", "tokopt"]
