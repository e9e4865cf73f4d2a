"""One dynamic partition per log file; the key is derived from the file's path
(:func:`tokopt_pipeline.lib.logfiles.partition_key`)."""

import dagster as dg

log_files = dg.DynamicPartitionsDefinition(name="log_files")
