"""``python -m tokopt_pipeline`` runs the ``tokopt`` command."""

import sys

from .cli import main

sys.exit(main())
