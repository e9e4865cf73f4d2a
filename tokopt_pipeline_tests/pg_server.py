"""A real PostgreSQL server on loopback for the tests: ``initdb`` and ``pg_ctl`` in a
temporary folder, a free port, trust authentication for the ``tokopt`` superuser.

The binaries are Debian's (package ``postgresql``, in ``/usr/lib/postgresql/<version>/bin``,
the newest version first). ``initdb`` refuses to run as root, so as root the server's
folder belongs to the ``postgres`` user (created by the package) and every server
command runs through ``runuser -u postgres --``.

    server = start()                      # or the pytest fixture `pg_server`
    url = create_database(server, "dagster")
    ...
    stop(server)                          # pg_ctl stop -m fast, folder removed

Where the binaries or the user are missing, :func:`start` raises :class:`PostgresUnavailable`
and the fixture skips, naming the package to install.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SUPERUSER = "tokopt"
BIN_GLOB = "/usr/lib/postgresql/*/bin"
MISSING = "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin: install the Debian package `postgresql`"


class PostgresUnavailable(RuntimeError):
    """No server can be started here (binaries or the ``postgres`` user missing)."""


@dataclass
class Server:
    """A running server: its folder, port, binaries and the command prefix that runs as its owner."""

    root: Path
    port: int
    bindir: Path
    as_owner: tuple[str, ...]
    host: str = "127.0.0.1"
    user: str = SUPERUSER

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, db: str = "postgres", driver: str | None = None) -> str:
        """``postgresql://tokopt@127.0.0.1:PORT/db`` (``postgresql+DRIVER://`` with ``driver``)."""
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{db}"

    def env(self, db: str) -> dict[str, str]:
        """The variables deploy/dagster.yaml reads, pointed at database ``db`` of this server."""
        return {"DAGSTER_PG_HOST": self.host, "DAGSTER_PG_PORT": str(self.port), "DAGSTER_PG_USER": self.user,
                "DAGSTER_PG_PASSWORD": "", "DAGSTER_PG_DB": db}

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """A server binary (``initdb``, ``pg_ctl``, ``psql``...) run as the folder's owner."""
        return subprocess.run([*self.as_owner, str(self.bindir / args[0]), *args[1:]], capture_output=True, text=True,
                              check=check, timeout=120)


def binaries() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` with ``initdb`` and ``pg_ctl``."""
    found = [Path(p) for p in glob.glob(BIN_GLOB) if (Path(p) / "initdb").exists() and (Path(p) / "pg_ctl").exists()]
    if not found:
        raise PostgresUnavailable(MISSING)
    return max(found, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _owner_prefix(root: Path) -> tuple[str, ...]:
    if os.geteuid() != 0:
        return ()
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable("running as root, and no `postgres` user to run initdb as: install the Debian package `postgresql`") from None
    runuser = shutil.which("runuser")
    if runuser is None:
        raise PostgresUnavailable("running as root without runuser (util-linux) to start the server as `postgres`")
    os.chmod(root, 0o755)
    os.chown(root, owner.pw_uid, owner.pw_gid)
    return (runuser, "-u", "postgres", "--")


def start(root: Path | None = None) -> Server:
    """initdb + pg_ctl start on a free loopback port (no Unix socket outside the folder).

    Raises:
        PostgresUnavailable: no binaries, or root without a ``postgres`` user.
        subprocess.CalledProcessError: initdb or the server failed (its output is in the error).
    """
    bindir = binaries()
    root = Path(root) if root else Path(tempfile.mkdtemp(prefix="tokopt-pg-"))
    root.mkdir(parents=True, exist_ok=True)
    as_owner = _owner_prefix(root)
    server = Server(root, _free_port(), bindir, as_owner)
    server.run("initdb", "-D", str(server.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C")
    options = f"-c listen_addresses=127.0.0.1 -p {server.port} -c unix_socket_directories={root} -c fsync=off -c max_connections=200"
    try:
        server.run("pg_ctl", "-D", str(server.data), "-l", str(root / "server.log"), "-o", options, "-w", "-t", "60", "start")
    except subprocess.CalledProcessError as exc:
        log = (root / "server.log").read_text(errors="replace") if (root / "server.log").exists() else ""
        raise subprocess.CalledProcessError(exc.returncode, exc.cmd, exc.stdout, f"{exc.stderr}\n{log[-2000:]}") from exc
    return server


def stop(server: Server) -> None:
    """Stop the server (fast shutdown) and remove its folder."""
    server.run("pg_ctl", "-D", str(server.data), "-m", "fast", "-w", "stop", check=False)
    shutil.rmtree(server.root, ignore_errors=True)


def create_database(server: Server, name: str) -> str:
    """Create database ``name``; returns its ``postgresql://`` URL."""
    server.run("psql", "-h", server.host, "-p", str(server.port), "-U", server.user, "-d", "postgres",
               "-v", "ON_ERROR_STOP=1", "-c", f'CREATE DATABASE "{name}"')
    return server.url(name)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    """One server for the session (skipped, naming the package, where none can be started)."""
    try:
        server = start()
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))
    try:
        yield server
    finally:
        stop(server)
