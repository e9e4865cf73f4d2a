"""The DuckDB store: :mod:`.db` (connections, the lock, pending writes, the operations
that write, and refusing files that are not a healthy store), :mod:`.schema` (tables
and migrations), :mod:`.records` (an analysis and a summary as rows), :mod:`.queries`
(what the Dagster assets read), :mod:`.retention` (pruning by age and size) and
:mod:`.ids` (run ids, error fingerprints)."""

#: Retention's defaults (:mod:`.retention`): runs older than this many days are pruned,
#: then the oldest while the store is bigger than this many MB.
RETENTION_DAYS = 30
RETENTION_MAX_MB = 512.0
