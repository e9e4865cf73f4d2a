"""A throwaway PostgreSQL cluster on loopback for the tests and benchmarks: ``initdb`` and
``pg_ctl start`` in a temporary folder, trust authentication, a free port.

The binaries come from Debian's ``postgresql`` package (``/usr/lib/postgresql/*/bin``)
or PATH. ``initdb`` refuses to run as root: as root the cluster runs as the
``postgres`` user (the package creates it), through ``runuser``.

Example:
    with Cluster.start() as cluster:
        url = cluster.new_database("t1")   # postgresql://tokopt@127.0.0.1:PORT/t1
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Cluster", "PostgresMissing", "find_binaries"]

USER = "tokopt"


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries here (or no user to run them as)."""


def find_binaries() -> Path:
    """The folder of ``initdb``, ``pg_ctl`` and ``postgres`` (the newest Debian version first)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[3]) if
                   Path(p).parts[3].isdigit() else 0, reverse=True)
    if found:
        return Path(found[0]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise PostgresMissing("no PostgreSQL server binaries (initdb, pg_ctl): install Debian's package `postgresql` "
                          "(make test-setup does, as root)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """A running cluster: its folder, port and the command prefix that runs as its owner."""

    root: Path
    port: int
    bindir: Path
    as_owner: list[str]

    @classmethod
    def start(cls) -> Cluster:
        """initdb + pg_ctl start on a free loopback port; raises :class:`PostgresMissing`."""
        bindir = find_binaries()
        as_owner: list[str] = []
        root = Path(tempfile.mkdtemp(prefix="tokopt-pg-"))
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresMissing("running as root and there is no `postgres` user to run the server as "
                                      "(Debian's package `postgresql` creates it)") from None
            runuser = shutil.which("runuser") or shutil.which("su")
            if runuser is None:
                raise PostgresMissing("running as root without runuser or su to start the server as `postgres`")
            as_owner = [runuser, "-u", "postgres", "--"] if runuser.endswith("runuser") else [runuser, "postgres", "-c"]
            os.chmod(root, 0o755)
            os.chown(root, owner.pw_uid, owner.pw_gid)
        data = root / "data"
        port = _free_port()
        cluster = cls(root, port, bindir, as_owner)
        cluster._run(str(bindir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust", "--no-sync", "-E", "UTF8",
                     "--locale=C")
        opts = (f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories='' -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100 -c shared_buffers=32MB")
        cluster._run(str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "server.log"), "-w",
                     "-t", "60", "start")
        return cluster

    def _run(self, *cmd: str) -> None:
        argv = [*self.as_owner, *cmd] if not self.as_owner or self.as_owner[-1] != "-c" else \
            [*self.as_owner, " ".join(f"'{c}'" for c in cmd)]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=self.root)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd[:2])} failed ({done.returncode}): {done.stderr or done.stdout}\n{tail}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def new_database(self, name: str) -> str:
        """Create database ``name`` and return its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')  # type: ignore[arg-type]
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return self.url(name)

    def new_schema(self, database: str, schema: str) -> str:
        """Create ``schema`` in ``database`` and return a URL whose tables live there."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')  # type: ignore[arg-type]
            conn.execute(f'CREATE SCHEMA "{schema}"')  # type: ignore[arg-type]
        return f"{self.url(database)}?options=-csearch_path%3D{schema}"

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
