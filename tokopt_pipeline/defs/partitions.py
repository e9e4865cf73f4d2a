"""One dynamic partition per log file; the key is derived from the file's path."""

import dagster as dg

from .keys import output_name, partition_key

__all__ = ["log_files", "output_name", "partition_key"]

log_files = dg.DynamicPartitionsDefinition(name="log_files")
