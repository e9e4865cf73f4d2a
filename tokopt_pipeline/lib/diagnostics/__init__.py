"""Diagnostics: the diagnostic report, token distribution, benchmark simulation, tokenizer config.

* :func:`diagnostic_report` — environment, versions, configuration, store health,
  tokenizer self-check and the last runs, as one dict (``--diagnostic-report``).
* :func:`token_distribution` — where a log's tokens are: by priority, by component,
  and the top templates (``--token-distribution``).
* :func:`benchmark_simulation` — generates logs of several shapes with planted
  failures, summarizes each under several presets, and suggests settings
  (``--benchmark-simulation``).
* :func:`update_tokenizer_config` — checks the tokenizer and rewrites
  ``.tokopt/token_model.json`` with every profile's coefficients and the encoding
  they were fitted for (``--update-tokenizer-config``).

Nothing here uses the network; the store is opened read-only.
"""

from __future__ import annotations

from tokopt_pipeline.lib.diagnostics.distribution import (
           render_distribution,
           token_distribution,
)
from tokopt_pipeline.lib.diagnostics.report import (
           diagnostic_report,
           render_report,
           store_health,
           tokenizer_self_check,
)
from tokopt_pipeline.lib.diagnostics.simulation import (
           SHAPES,
           benchmark_simulation,
           render_benchmark,
)
from tokopt_pipeline.lib.diagnostics.tokenizer import update_tokenizer_config

__all__ = ["diagnostic_report", "render_report", "token_distribution", "render_distribution", "benchmark_simulation",
           "render_benchmark", "update_tokenizer_config", "tokenizer_self_check", "store_health", "SHAPES"]
