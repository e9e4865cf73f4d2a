"""Pure logic of tokopt: reading, redacting, tagging, grouping, templating, budgeting.

Nothing in this package imports Dagster; the CLI, the Python API and the Dagster
assets are thin layers over it.
"""
