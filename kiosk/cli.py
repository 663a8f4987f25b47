"""The kiosk's command line: `flask --app kiosk db ...`, `users create`, `seed-demo`, `serve`, `enroll`, `sync`,
`backup`, `restore`."""
import sys
import time

import click
from flask import current_app, g
from flask.cli import AppGroup, ScriptInfo, with_appcontext

from central_sync.protocol import backup
from central_sync.protocol.passwords import refuse_demo_logins
from kiosk import demo
from kiosk.auth import services as auth_services
from kiosk.errors import DomainError
from kiosk.extensions import db, init_migrations
from kiosk.models import ROLES
from kiosk.printing import worker
from kiosk.sync import recovery, runner, state
from kiosk.sync.client import CentralError

users = AppGroup("users", help="Kiosk users (vendors and managers).")


class MigrationCommands(click.Group):
    """`flask db ...`: Flask-Migrate's commands, with Alembic imported only when one of them runs."""

    def _commands(self, ctx) -> click.Group:
        init_migrations(ctx.ensure_object(ScriptInfo).load_app())
        from flask_migrate.cli import db as migrate_commands

        return migrate_commands

    def list_commands(self, ctx):
        return self._commands(ctx).list_commands(ctx)

    def get_command(self, ctx, name):
        return self._commands(ctx).get_command(ctx, name)


@click.group("db", cls=MigrationCommands)
@with_appcontext
def migration_commands() -> None:
    """Create or migrate the kiosk database (Flask-Migrate; migrations/kiosk)."""
    g.directory, g.x_arg = None, ()  # what Flask-Migrate's own group would set: its defaults


def ensure_database() -> None:
    """Create the database, or bring it to the newest migration (a no-op when it is current)."""
    from flask_migrate import upgrade

    init_migrations(current_app)
    upgrade()


def run_and_commit(action):
    """Run a service call and commit, or turn its refusal into the command's error message."""
    try:
        result = action()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    return result


@users.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(name: str, role: str, password: str) -> None:
    """Create a user who can log in at this kiosk."""
    ensure_database()
    run_and_commit(lambda: auth_services.create_user(name, password, role))
    click.echo(f"User {name} ({role}) created.")


@users.command("set-password")
@click.argument("name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def set_password(name: str, password: str) -> None:
    """Give NAME a new password (a manager's forgotten one: managers reset vendors' on the Users page)."""
    ensure_database()
    user = auth_services.find_user(name)
    if user is None:
        raise click.ClickException(f"No user is called {name}.")
    run_and_commit(lambda: auth_services.set_password(user, password))
    click.echo(f"Password of {user.username} changed.")


@click.command("seed-demo")
@click.option("--enrolled", is_flag=True,
              help="For a kiosk enrolled with central (`make run`): the catalogue is central's, so only the demo "
                   "users, then every transfer central shipped here received in full, then a sync.")
@with_appcontext
def seed_demo(enrolled: bool) -> None:
    """Load the demo catalogue, stock, an incoming transfer and demo users (a kiosk without central); with
    --enrolled, the demo users and central's shipments received (a kiosk enrolled with central)."""
    ensure_database()
    run_and_commit(lambda: refuse_demo_logins(current_app.config))
    if enrolled != state.enrolled():
        db.session.rollback()
        raise click.ClickException(
            "This kiosk is not enrolled: run `flask --app kiosk enroll CENTRAL_URL TOKEN` first." if enrolled else
            "This kiosk is enrolled with central, whose catalogue it has: use `seed-demo --enrolled`.")
    if enrolled:
        _seed_enrolled_demo()
        return
    logins = demo.load()
    db.session.commit()
    click.echo("Demo data loaded. Logins:")
    for username, password, role in logins:
        click.echo(f"  {username} / {password} ({role})")


def _seed_enrolled_demo() -> None:
    logins, received = demo.load_enrolled()
    db.session.commit()
    click.echo("Demo users ready. Logins:")
    for username, password, role in logins:
        click.echo(f"  {username} / {password} ({role})")
    for transfer in received:
        click.echo(f"Received transfer {transfer.id} from {transfer.from_location} in full.")
    try:
        _sync_with_progress()  # central sees the receipts now
    except click.ClickException as error:
        click.echo(f"{error.message} The kiosk syncs again while it runs.", err=True)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5001, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the kiosk with waitress, the print worker running beside it."""
    from waitress import serve as waitress_serve

    app = current_app._get_current_object()
    printer = worker.start(app)
    syncing = runner.start(app)
    click.echo(f"Kiosk POS on http://{host}:{port}/ (printer: {app.config['PRINTER_URL']}; "
               f"central: {state.central_url() or 'not enrolled'})")
    db.session.remove()
    try:
        waitress_serve(app, host=host, port=port, threads=threads)
    finally:
        syncing.stop()
        printer.stop()


@click.command("enroll")
@click.argument("central_url")
@click.argument("token")
@click.option("--new-device", is_flag=True,
              help="TOKEN is a new device's, for a kiosk database that holds events of an old (revoked) device: "
                   "the old device's acknowledged events leave the outbox, the waiting ones are numbered from 1.")
@with_appcontext
def enroll(central_url: str, token: str, new_device: bool) -> None:
    """Enrol this kiosk with central (its device token, from `flask --app central_sync devices create`), then
    sync: push what was sold, pull the catalogue, prices and transfers."""
    ensure_database()
    if not central_url.startswith(("http://", "https://")):
        raise click.BadParameter("CENTRAL_URL starts with http:// or https://", param_hint="CENTRAL_URL")
    state.enrol(central_url.rstrip("/"), token.strip())
    db.session.commit()
    click.echo(f"Enrolled with {central_url}.")
    if new_device:
        _report_recovery(_recovering(recovery.new_device))
    else:
        _sync_with_progress()
    location = state.get(state.LOCATION) or {}
    click.echo(f"This kiosk is {location.get('code', '?')} ({location.get('name', '?')}).")


def _sync_with_progress() -> dict:
    """One cycle, with a progress bar over the events waiting; a refusal or an absent central is the error."""
    pending = state.pending_events()
    db.session.rollback()
    try:
        if pending and sys.stdout.isatty():
            with click.progressbar(length=pending, label=f"Pushing {pending} events", show_pos=True) as bar:
                result = runner.sync_once(progress=bar.update)
        elif pending:  # a log (a service, a pipe): a line a batch
            done = [0]

            def progress(count: int) -> None:
                done[0] += count
                click.echo(f"Pushed {done[0]}/{pending} events")

            result = runner.sync_once(progress=progress)
        else:
            result = runner.sync_once()
    except (CentralError, runner.NotEnrolled) as error:
        raise click.ClickException(f"Sync failed, nothing is lost (it is tried again later): {error}") from None
    click.echo(f"Pushed {result['pushed']} events, pulled {result['pulled']} changes; "
               f"{result['pending_events']} events waiting.")
    return result


def _recovering(step) -> recovery.Recovery:
    try:
        return step()
    except (CentralError, runner.NotEnrolled, recovery.RecoveryRefused) as error:
        raise click.ClickException(f"Stopped, nothing is lost: {error}") from None


def _report_recovery(done: recovery.Recovery) -> None:
    if done.dropped:
        click.echo(f"{done.dropped} events acknowledged under the old device left the outbox.")
    if done.lost_events:
        click.echo(f"Central holds {done.lost_events} events of this kiosk that this database lost (made after "
                   "the backup): their sales are at central.")
    if done.renumbered:
        click.echo(f"{done.renumbered} waiting events renumbered to follow central's last seq.")
    for old, new in done.receipts:
        click.echo(f"Sale {old} is now {new} (its receipt was printed as {old}).")
    if not done.needed:
        click.echo("Nothing to recover: central took this kiosk's events as they were.")
    result = done.sync
    click.echo(f"Pushed {result['pushed']} events, pulled {result['pulled']} changes; "
               f"{result['pending_events']} events waiting.")
    for sku, before, after in done.stock:
        click.echo(f"Stock of {sku} set to central's {after} (it was {before} here: the lost hours' sales).")


@click.command("sync")
@click.option("--watch", is_flag=True, help="Keep syncing every SYNC_INTERVAL seconds, backing off while "
                                            "central cannot be reached (Ctrl+C stops).")
@click.option("--after-restore", is_flag=True,
              help="This database was restored from a backup and central answers seq_conflict: go on after "
                   "central's last seq (new seqs and receipt numbers for what was made since the restore), "
                   "then take central's stock figures.")
@with_appcontext
def sync(watch: bool, after_restore: bool) -> None:
    """Push what the kiosk has sold, then pull from central; with a progress bar for a large backlog."""
    if after_restore:
        _report_recovery(_recovering(recovery.after_restore))
        return
    if not watch:
        _sync_with_progress()
        return
    app, failures = current_app._get_current_object(), 0
    while True:
        try:
            _sync_with_progress()
            failures, wait = 0, app.config["SYNC_INTERVAL"]
        except click.ClickException as error:
            failures += 1
            wait = runner.backoff(failures)
            click.echo(f"{error.message} Next try in {wait:.0f} s.", err=True)
        db.session.remove()
        time.sleep(wait)


def register(app) -> None:
    app.cli.add_command(migration_commands)
    app.cli.add_command(users)
    app.cli.add_command(seed_demo)
    app.cli.add_command(serve)
    app.cli.add_command(enroll)
    app.cli.add_command(sync)
    app.cli.add_command(backup.backup_command("kiosk"))
    app.cli.add_command(backup.restore_command("kiosk", _after_restore))


def _after_restore() -> list[str]:
    ensure_database()  # a backup from an older version of the kiosk gets its migrations
    return ["Start the kiosk again, then sync (`flask --app kiosk sync`). If central answers seq_conflict (it "
            "holds events this backup does not), run `flask --app kiosk sync --after-restore` (README \"Backups and "
            "restore\")."]
