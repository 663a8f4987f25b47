"""Backups of either app's database while the app runs, and putting one back (README "Backups and restore").

SQLite (the kiosk; central by default): sqlite3's online backup API copies the database in one read
transaction, so the copy is the database as one commit left it, whatever is written meanwhile (WAL lets the
writers go on). PostgreSQL (central in production): `pg_dump -Fc`, restored with `pg_restore --clean`.

A copy is written beside its final name, checked (`PRAGMA integrity_check`, `pg_restore --list`), fsynced,
and only then linked to its name, which is never overwritten: a backup file that exists is whole."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why."""


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite database URL; None for another database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(parsed.database)


def default_target(folder: Path, name: str, suffix: str) -> Path:
    """``folder``/backups/``name``-<UTC time>``suffix``."""
    return Path(folder) / "backups" / f"{name}-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}{suffix}"


def backup_database(url: str, target: Path) -> Path:
    """A consistent copy of the database at ``url`` in ``target`` (which must not exist yet)."""
    source = sqlite_file(url)
    if source is None:
        return backup_postgresql(url, target)
    return backup_sqlite(source, target)


def backup_sqlite(source: Path, target: Path) -> Path:
    if not source.exists():
        raise BackupError(f"There is no database at {source}.")
    part = _reserve(target)
    try:
        try:
            with _connect(source) as database, _connect(part) as copy:
                database.backup(copy)  # every page in one step: one read transaction, one commit's state
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source} cannot be copied: {error}") from None
        problem = _problem(part)
        if problem:
            raise BackupError(f"No backup was written: the copy of {source} {problem} (check the database itself "
                              "with `sqlite3 FILE 'PRAGMA integrity_check'`).")
        return _publish(part, target)
    finally:
        part.unlink(missing_ok=True)


def check_sqlite(path: Path) -> None:
    """Raise unless ``path`` is an SQLite database with tables that passes `PRAGMA integrity_check`."""
    if not path.is_file():
        raise BackupError(f"There is no database file at {path}.")
    problem = _problem(path)
    if problem:
        raise BackupError(f"{path} {problem}")


def _problem(path: Path) -> str | None:
    try:
        with _connect(path) as database:
            problems = [row[0] for row in database.execute("PRAGMA integrity_check")]
            tables = database.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    except sqlite3.DatabaseError as error:
        return f"is not a sound SQLite database: {error}"
    if problems != ["ok"]:
        return f"fails its integrity check: {'; '.join(problems[:5])}"
    return None if tables else "holds no tables: not a backup of this app."


def restore_sqlite(backup: Path, database: Path) -> None:
    """Put ``backup`` (checked first) in place of ``database``, through SQLite itself: its -wal and -shm
    files stay consistent, and a database that SQLite still had open is replaced page by page."""
    check_sqlite(backup)
    database.parent.mkdir(parents=True, exist_ok=True)
    with _connect(backup) as source, _connect(database) as live:
        source.backup(live)
        live.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _fsync(database)
    check_sqlite(database)


def backup_postgresql(url: str, target: Path) -> Path:
    part = _reserve(target)
    try:
        _run_pg("pg_dump", ["--format=custom", "--no-owner", f"--file={part}"], url)
        _run_pg("pg_restore", ["--list", str(part)], None)  # the archive reads back whole
        return _publish(part, target)
    finally:
        part.unlink(missing_ok=True)


def restore_postgresql(backup: Path, url: str) -> None:
    """`pg_restore --clean --if-exists` of a `pg_dump -Fc` archive into the database at ``url``, in one
    transaction: all of it or, on an error, nothing."""
    if not backup.is_file():
        raise BackupError(f"There is no backup at {backup}.")
    _run_pg("pg_restore", ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(backup)], url)


def _run_pg(program: str, arguments: list[str], url: str | None) -> None:
    """Run a PostgreSQL client program; the URL goes as libpq's (no `+psycopg`), its password through the
    environment (not the command line, which `ps` shows); an error says what the program said, never the
    password."""
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(f"{program} is not installed (Debian: apt-get install postgresql-client, the server's "
                          "major version or newer).")
    environment, password = dict(os.environ), None
    if url is not None:
        parsed = make_url(url)
        password = parsed.password
        if password is not None:
            environment["PGPASSWORD"] = password
        libpq = parsed._replace(drivername="postgresql", password=None).render_as_string(hide_password=False)
        arguments = [*arguments, f"--dbname={libpq}"]
    result = subprocess.run([executable, *arguments], capture_output=True, text=True, env=environment)
    if result.returncode != 0:
        said = result.stderr.strip() or f"exit status {result.returncode}"
        if password:
            said = said.replace(password, "***")
        raise BackupError(f"{program} failed: {said}")


def _reserve(target: Path) -> Path:
    """The temporary file beside ``target`` that the copy is written to; refuses a ``target`` that exists."""
    if target.exists():
        raise BackupError(f"{target} exists already; give another --output (a backup is never overwritten).")
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(f".{target.name}.part")
    part.unlink(missing_ok=True)
    return part


def _publish(part: Path, target: Path) -> Path:
    """fsync the finished copy, give it its name (never replacing a file of that name), fsync the folder."""
    _fsync(part)
    try:
        os.link(part, target)
    except FileExistsError:
        raise BackupError(f"{target} exists already; give another --output (a backup is never overwritten).") from None
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
    return target


def _fsync(path: Path) -> None:
    with open(path, "rb") as file:
        os.fsync(file.fileno())


class _connect:
    """An sqlite3 connection closed on leaving (sqlite3's own context manager only commits)."""

    def __init__(self, path: Path):
        self.connection = sqlite3.connect(path)
        self.connection.execute("PRAGMA busy_timeout=10000")

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *_exc) -> None:
        self.connection.close()


# --- the `backup` and `restore` commands of either app ----------------------------------------------------------

def backup_command(name: str) -> click.Command:
    """`flask --app APP backup [--output PATH]` for the app whose database is ``name`` (kiosk, central)."""

    @click.command("backup")
    @click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
                  help=f"Where the copy goes; it must not exist. Default: INSTANCE/backups/{name}-<UTC time>.sqlite3 "
                       "(.dump from PostgreSQL).")
    @with_appcontext
    def backup(output: Path | None) -> None:
        """A consistent copy of the database, made while the app runs, checked, never over an existing file;
        prints its path."""
        url = current_app.config["SQLALCHEMY_DATABASE_URI"]
        target = output or default_target(current_app.instance_path, name, _suffix(url))
        try:
            made = backup_database(url, target)
        except BackupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Backup of the {name} database written and checked:", err=True)
        click.echo(str(made))

    return backup


def restore_command(name: str, after: Callable[[], list[str]]) -> click.Command:
    """`flask --app APP restore BACKUP_FILE [--yes]`: the database as ``BACKUP_FILE`` has it, the one it
    replaces kept first (INSTANCE/backups/NAME-before-restore-<time>); then ``after()`` (in the app context:
    migrations, ...), whose lines are printed as what to do next."""

    @click.command("restore")
    @click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Do not ask whether the app is stopped.")
    @with_appcontext
    def restore(backup_file: Path, yes: bool) -> None:
        """Replace the database with BACKUP_FILE (made by `backup`). Stop the app first."""
        url = current_app.config["SQLALCHEMY_DATABASE_URI"]
        database = sqlite_file(url)
        shown = database or make_url(url).render_as_string(hide_password=True)
        if not yes:
            click.confirm(f"Is the {name} app stopped? Its database {shown} will be replaced by {backup_file}.",
                          abort=True)
        current_app.extensions["sqlalchemy"].engine.dispose()  # no connection of ours stays on the old one
        if database is None or database.exists():
            kept = default_target(current_app.instance_path, f"{name}-before-restore", _suffix(url))
            try:
                click.echo(f"The database as it was is kept in {backup_database(url, kept)}")
            except (BackupError, sqlite3.DatabaseError) as error:
                click.echo(f"Warning: the database as it was could not be kept ({error}); restoring anyway.",
                           err=True)
        try:
            if database is None:
                restore_postgresql(backup_file, url)
            else:
                restore_sqlite(backup_file, database)
        except BackupError as error:
            raise click.ClickException(str(error)) from None
        click.echo(f"Restored {shown} from {backup_file}.")
        for line in after():
            click.echo(line)

    return restore


def _suffix(url: str) -> str:
    return ".sqlite3" if sqlite_file(url) else ".dump"
