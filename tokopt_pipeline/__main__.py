"""``python -m tokopt_pipeline`` runs the ``tokopt`` command."""

from tokopt_pipeline.cli import run

run()
