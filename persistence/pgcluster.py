"""A throw-away PostgreSQL cluster on 127.0.0.1 (tests and ``xinfang bench scale``).

It runs the Debian server binaries from ``/usr/lib/postgresql/*/bin`` in a temporary
folder, listens only on 127.0.0.1 and a free port, and is removed by ``stop()``.
``durable=False`` (the tests' default) turns fsync off for speed; benchmarks that
compare with a deployment keep the server's durable defaults.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN_CANDIDATES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A throw-away PostgreSQL cluster on 127.0.0.1, removed by ``stop()``."""

    def __init__(self, durable: bool = False, settings: dict[str, str] | None = None):
        if not PG_BIN_CANDIDATES:
            raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql "
                               "(apt-get install postgresql)")
        self.bin = PG_BIN_CANDIDATES[0]
        self.dir = Path(tempfile.mkdtemp(prefix="xinfang-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.durable = durable
        self.settings = dict(settings or {})
        self.as_root = os.geteuid() == 0
        if self.as_root:  # initdb refuses to run as root: hand the folder to postgres
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        """initdb and start the server; returns when it accepts connections."""
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "xinfang", "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8")
        settings = {"listen_addresses": "127.0.0.1", "port": str(self.port),
                    "unix_socket_directories": str(self.dir), "max_connections": "200"}
        if not self.durable:
            settings.update(fsync="off", synchronous_commit="off", full_page_writes="off")
        settings.update(self.settings)
        opts = " ".join(f"-c {k}={v}" for k, v in settings.items())
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"),
                  "-w", "start")

    def stop(self) -> None:
        """Stop the server and delete its files."""
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, dbname: str) -> str:
        """SQLAlchemy URL of a database on this server."""
        return f"postgresql+psycopg://xinfang@127.0.0.1:{self.port}/{dbname}"

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE DATABASE …)."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="xinfang", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(sql)
