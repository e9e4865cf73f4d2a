"""The DuckDB store: :mod:`.db` (connections, the lock, pending writes and the
operations that write), :mod:`.schema` (tables and migrations), :mod:`.records` (an
analysis and a summary as rows), :mod:`.queries` (what the Dagster assets read) and
:mod:`.ids` (run ids, error fingerprints)."""

#: Retention's defaults (:mod:`.retention`): runs older than this many days are pruned,
#: then the oldest while the store is bigger than this many MB.
RETENTION_DAYS = 30
RETENTION_MAX_MB = 512.0
