"""The kiosk's command line: `flask --app kiosk users create`, `seed-demo`."""
import click
from flask.cli import AppGroup
from flask import current_app

from kiosk import demo
from kiosk.auth import services as auth_services
from kiosk.errors import DomainError
from kiosk.extensions import db, init_migrations
from kiosk.models import ROLES

users = AppGroup("users", help="Kiosk users (vendors and managers).")


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


def register(app) -> None:
    app.cli.add_command(users)
    app.cli.add_command(seed_demo)
