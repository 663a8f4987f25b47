"""The kiosk's command line: `flask --app kiosk db ...`, `users create`, `seed-demo`, `serve`."""
import click
from flask import current_app, g
from flask.cli import AppGroup, ScriptInfo, with_appcontext

from kiosk import demo
from kiosk.auth import services as auth_services
from kiosk.errors import DomainError
from kiosk.extensions import db, init_migrations
from kiosk.models import ROLES
from kiosk.printing import worker

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


@users.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user(name: str, role: str, password: str) -> None:
    """Create a user who can log in at this kiosk."""
    ensure_database()
    try:
        auth_services.create_user(name, password, role)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"User {name} ({role}) created.")


@click.command("seed-demo")
def seed_demo() -> None:
    """Load the demo catalogue, stock, an incoming transfer and demo users (for `make run`)."""
    ensure_database()
    logins = demo.load()
    db.session.commit()
    click.echo("Demo data loaded. Logins:")
    for username, password, role in logins:
        click.echo(f"  {username} / {password} ({role})")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5001, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the kiosk with waitress, the print worker running beside it."""
    from waitress import serve as waitress_serve

    app = current_app._get_current_object()
    printer = worker.start(app)
    click.echo(f"Kiosk POS on http://{host}:{port}/ (printer: {app.config['PRINTER_URL']})")
    try:
        waitress_serve(app, host=host, port=port, threads=threads)
    finally:
        printer.stop()


def register(app) -> None:
    app.cli.add_command(migration_commands)
    app.cli.add_command(users)
    app.cli.add_command(seed_demo)
    app.cli.add_command(serve)
