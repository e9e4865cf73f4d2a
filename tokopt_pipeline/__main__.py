"""``python -m tokopt_pipeline`` runs the ``tokopt`` command."""

from .cli import run

run()
