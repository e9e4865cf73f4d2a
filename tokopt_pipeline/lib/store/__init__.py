"""The DuckDB store: :mod:`.db` (connections, the lock, pending writes and the
operations that write), :mod:`.schema` (tables and migrations), :mod:`.records` (an
analysis and a summary as rows), :mod:`.queries` (what the Dagster assets read) and
:mod:`.ids` (run ids, error fingerprints)."""
