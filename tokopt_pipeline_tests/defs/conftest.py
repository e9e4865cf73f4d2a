"""A pipeline in tmp_path: watched folder, output folder, DuckDB file, pending folder."""

from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from tokopt_pipeline.defs.resources import TokoptSettings, TokoptStore
from tokopt_pipeline.lib.store.db import Store
from tokopt_pipeline_tests.conftest import EXAMPLE_LOG


@dataclass
class Pipeline:
    root: Path
    log_dir: Path
    out_dir: Path
    db: Path
    pending: Path
    instance: dg.DagsterInstance

    @property
    def resources(self) -> dict:
        return {
            "store": TokoptStore(path=str(self.db), pending_dir=str(self.pending), lock_timeout=30),
            "settings": TokoptSettings(log_dir=str(self.log_dir), output_dir=str(self.out_dir)),
        }

    def store(self) -> Store:
        return Store(self.db, self.pending, lock_timeout=30)

    def query(self, sql: str, params=None) -> list[tuple]:
        with self.store().connect() as conn:
            return conn.execute(sql, params or []).fetchall()

    def drop(self, name: str, source: Path = EXAMPLE_LOG) -> Path:
        path = self.log_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(source.read_bytes())
        return path


@pytest.fixture
def pipeline(tmp_path):
    log_dir = tmp_path / "incoming"
    log_dir.mkdir()
    (tmp_path / "dagster_home").mkdir()
    with dg.instance_for_test(temp_dir=str(tmp_path / "dagster_home")) as instance:
        yield Pipeline(tmp_path, log_dir, tmp_path / "out", tmp_path / "store" / "tokopt.duckdb", tmp_path / "pending", instance)
