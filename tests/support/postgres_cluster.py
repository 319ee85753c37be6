"""A throw-away PostgreSQL cluster for tests, CI and benchmarks.

The cluster lives in a fresh folder under ``/tmp``, listens on a free port on
``127.0.0.1`` only, trusts loopback connections and runs with ``fsync`` off
(it holds nothing worth keeping). It has a ``carehub`` login role owning a
``carehub`` database, so its DSN is
``postgresql://carehub@127.0.0.1:<port>/carehub``.

The server binaries (``initdb``, ``pg_ctl``, ``psql``) are taken from ``PATH``
or from the newest ``/usr/lib/postgresql/<version>/bin`` (Debian's layout).
PostgreSQL refuses to run as root, so as root they run as the ``postgres``
user through ``runuser``.

This module uses only the standard library, so the system ``python3.11`` can
run it before any virtualenv exists.

From Python::

    dsn, stop = start_cluster()
    try:
        ...
    finally:
        stop()

From a shell, at the repository root::

    python3.11 -m tests.support.postgres_cluster start      # prints shell assignments
    python3.11 -m tests.support.postgres_cluster stop DIR
    python3.11 -m tests.support.postgres_cluster run -- CMD [ARGS...]

``start`` prints ``CAREHUB_PG_DIR=...`` and ``CAREHUB_TEST_POSTGRES_DSN=...``
(quoted for ``eval``); ``stop DIR`` stops that cluster and deletes its folder;
``run`` starts a cluster, runs ``CMD`` with ``CAREHUB_TEST_POSTGRES_DSN`` set,
stops the cluster and exits with the status of ``CMD``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROLE = "carehub"
DATABASE = "carehub"
HOST = "127.0.0.1"
SERVER_USER = "postgres"
_STATE_FILE = "cluster.json"
_START_ATTEMPTS = 3
_TIMEOUT_S = 120


class ClusterUnavailable(Exception):
    """A cluster cannot be started here; the message says why, in one line."""


def find_bin_dir() -> Path:
    """Return the folder holding ``initdb``, ``pg_ctl`` and ``psql``.

    ``initdb`` on ``PATH`` wins (symbolic links are followed to the real
    folder); otherwise the newest ``/usr/lib/postgresql/*/bin`` is used.

    Raises:
        ClusterUnavailable: no complete set of PostgreSQL server binaries.
    """
    candidates: list[Path] = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates += [Path(on_path).resolve().parent, Path(on_path).parent]
    versioned = Path("/usr/lib/postgresql").glob("*/bin")
    candidates += sorted(versioned, key=_version_key, reverse=True)
    for folder in candidates:
        if all(os.access(folder / tool, os.X_OK) for tool in ("initdb", "pg_ctl", "psql")):
            return folder
    raise ClusterUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl, psql) not found on PATH "
        "or in /usr/lib/postgresql/*/bin"
    )


def _version_key(bin_dir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", bin_dir.parent.name)) or (0,)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _run_as_prefix() -> tuple[list[str], str | None]:
    """Return the command prefix that drops root, and the user it drops to."""
    if os.geteuid() != 0:
        return [], None
    import pwd

    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise ClusterUnavailable(
            f"running as root and there is no {SERVER_USER!r} user to run PostgreSQL as"
        ) from None
    runuser = shutil.which("runuser") or next(
        (p for p in ("/usr/sbin/runuser", "/sbin/runuser") if os.access(p, os.X_OK)), None
    )
    if runuser is None:
        raise ClusterUnavailable("running as root and `runuser` is not available")
    return [runuser, "-u", SERVER_USER, "--"], SERVER_USER


def _clean_env() -> dict[str, str]:
    """The environment without libpq variables that could redirect our tools."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def _run(cmd: Sequence[str], cwd: Path, what: str) -> None:
    try:
        proc = subprocess.run(
            list(cmd),
            cwd=cwd,
            env=_clean_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClusterUnavailable(f"{what} failed: {exc}") from exc
    if proc.returncode != 0:
        tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
        raise ClusterUnavailable(f"{what} failed (exit {proc.returncode}): {tail}")


@dataclass(frozen=True, slots=True)
class Cluster:
    """A cluster started by :func:`start`; ``base_dir`` holds data, socket and log."""

    base_dir: Path
    port: int
    bin_dir: Path
    run_as: str | None

    @property
    def dsn(self) -> str:
        """libpq URI of the ``carehub`` database as the ``carehub`` role."""
        return f"postgresql://{ROLE}@{HOST}:{self.port}/{DATABASE}"

    @property
    def data_dir(self) -> Path:
        """The cluster's data folder (``PGDATA``)."""
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        """The server log."""
        return self.base_dir / "postgres.log"

    def _prefix(self) -> list[str]:
        return _run_as_prefix()[0] if self.run_as else []

    def save(self) -> None:
        """Record the cluster in its folder, so :meth:`load` can find it again."""
        state = {"port": self.port, "bin_dir": str(self.bin_dir), "run_as": self.run_as}
        (self.base_dir / _STATE_FILE).write_text(json.dumps(state), encoding="utf-8")

    @classmethod
    def load(cls, base_dir: Path) -> Cluster:
        """Return the cluster recorded in ``base_dir`` by :meth:`save`."""
        state = json.loads((base_dir / _STATE_FILE).read_text(encoding="utf-8"))
        return cls(base_dir, int(state["port"]), Path(state["bin_dir"]), state["run_as"])

    def stop(self) -> None:
        """Stop the server (if running) and delete the folder; safe to call twice."""
        if (self.data_dir / "postmaster.pid").exists():
            for mode in ("fast", "immediate"):
                pg_ctl = [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir)]
                cmd = [*self._prefix(), *pg_ctl, "-m", mode, "-w", "-t", "60", "stop"]
                try:
                    _run(cmd, self.base_dir, "pg_ctl stop")
                    break
                except ClusterUnavailable:
                    continue
        shutil.rmtree(self.base_dir, ignore_errors=True)


def start() -> Cluster:
    """Create, start and prepare a cluster; the caller must call :meth:`Cluster.stop`.

    Raises:
        ClusterUnavailable: binaries are missing, or initdb/start/set-up failed.
    """
    bin_dir = find_bin_dir()
    prefix, run_as = _run_as_prefix()
    tmp_root = "/tmp" if os.path.isdir("/tmp") else None
    base_dir = Path(tempfile.mkdtemp(prefix="carehub-pg-", dir=tmp_root))
    cluster = Cluster(base_dir, 0, bin_dir, run_as)
    try:
        if run_as is not None:
            import pwd

            entry = pwd.getpwnam(run_as)
            os.chown(base_dir, entry.pw_uid, entry.pw_gid)
        initdb = [str(bin_dir / "initdb"), "-D", str(cluster.data_dir)]
        options = ["-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8", "-N"]
        _run([*prefix, *initdb, *options], base_dir, "initdb")
        cluster = _start_server(cluster, prefix)
        psql = [str(bin_dir / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1"]
        target = ["-h", HOST, "-p", str(cluster.port), "-U", "postgres", "-d", "postgres"]
        statements = [
            "-c",
            f"CREATE ROLE {ROLE} LOGIN CREATEDB",
            "-c",
            f"CREATE DATABASE {DATABASE} OWNER {ROLE}",
        ]
        _run([*psql, *target, *statements], base_dir, "creating the carehub role and database")
        cluster.save()
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _start_server(cluster: Cluster, prefix: list[str]) -> Cluster:
    """Start the server on a free port, retrying if another process takes the port."""
    error: ClusterUnavailable | None = None
    for _ in range(_START_ATTEMPTS):
        port = free_port()
        server_options = " ".join(
            [
                f"-c listen_addresses={HOST}",
                f"-p {port}",
                f"-k {shlex.quote(str(cluster.base_dir))}",
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            ]
        )
        pg_ctl = [str(cluster.bin_dir / "pg_ctl"), "-D", str(cluster.data_dir)]
        cmd = [*prefix, *pg_ctl, "-l", str(cluster.log_file), "-w", "-t", "60"]
        try:
            _run([*cmd, "-o", server_options, "start"], cluster.base_dir, "pg_ctl start")
        except ClusterUnavailable as exc:
            error = exc
            continue
        return Cluster(cluster.base_dir, port, cluster.bin_dir, cluster.run_as)
    log = ""
    with contextlib.suppress(OSError):
        log = " | ".join(cluster.log_file.read_text(errors="replace").strip().splitlines()[-3:])
    raise ClusterUnavailable(f"{error}{' | log: ' + log if log else ''}")


def start_cluster() -> tuple[str, Callable[[], None]]:
    """Start a cluster and return its DSN and the function that stops it.

    Raises:
        ClusterUnavailable: see :func:`start`.
    """
    cluster = start()
    return cluster.dsn, cluster.stop


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.support.postgres_cluster",
        description="Start or stop a throw-away PostgreSQL cluster for CareHub tests.",
    )
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("start", help="start a cluster and print shell assignments for it")
    stop_parser = sub.add_parser("stop", help="stop a cluster and delete its folder")
    stop_parser.add_argument("dir", type=Path, help="the CAREHUB_PG_DIR printed by start")
    run_parser = sub.add_parser("run", help="run a command with a cluster up")
    run_parser.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARGS...]")
    args = parser.parse_args(argv)

    if args.action == "stop":
        if (args.dir / _STATE_FILE).exists():
            Cluster.load(args.dir).stop()
        return 0
    command: list[str] = getattr(args, "command", [])
    if command[:1] == ["--"]:
        command = command[1:]
    if args.action == "run" and not command:
        parser.error("run needs a command after --")
    try:
        cluster = start()
    except ClusterUnavailable as exc:
        print(f"postgres_cluster: {exc}", file=sys.stderr)
        return 1
    if args.action == "start":
        print(f"CAREHUB_PG_DIR={shlex.quote(str(cluster.base_dir))}")
        print(f"CAREHUB_TEST_POSTGRES_DSN={shlex.quote(cluster.dsn)}")
        return 0
    try:
        env = {**os.environ, "CAREHUB_TEST_POSTGRES_DSN": cluster.dsn}
        return subprocess.run(command, env=env, check=False).returncode
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
