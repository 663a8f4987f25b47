"""Central's command line: `flask --app central_sync db ...` (Flask-Migrate), `users create`, `devices create`
and `revoke`, `seed-demo`, `demo-kiosk`, `generate-history`, `backup`, `restore`."""
import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from central_sync import demo
from central_sync.auth import services as auth_services
from central_sync.extensions import db
from central_sync.models import ROLES
from central_sync.network import services as network_services
from central_sync.protocol import DomainError, backup
from central_sync.protocol.passwords import refuse_demo_logins

users = AppGroup("users", help="People of the central office (admins and reviewers).")
devices = AppGroup("devices", help="The kiosks' devices and their sync tokens.")


def ensure_database() -> None:
    """Create the database, or bring it to the newest migration (nothing to do when it is current)."""
    from flask_migrate import upgrade

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
    """Create a user of the central API."""
    ensure_database()
    user = run_and_commit(lambda: auth_services.create_user(name, password, role))
    click.echo(f"User {user.username} ({role}) created.")


@users.command("set-password")
@click.argument("name")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def set_password(name: str, password: str) -> None:
    """Give NAME a new password (a forgotten one); their API tokens stop working."""
    run_and_commit(lambda: auth_services.set_password(name, password))
    click.echo(f"Password of {name} changed.")


@devices.command("create")
@click.argument("location_code")
def create_device(location_code: str) -> None:
    """Create the device of a kiosk and print its token (shown this once)."""
    device, token = run_and_commit(lambda: network_services.create_device(location_code))
    click.echo(f"Device {device.id} for {location_code}. Its token, shown only this once:")
    click.echo(token)


@devices.command("revoke")
@click.argument("device_id", type=int)
def revoke_device(device_id: int) -> None:
    """Revoke a device: its token stops working at once."""
    run_and_commit(lambda: network_services.revoke_device(device_id))
    click.echo(f"Device {device_id} revoked.")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Load the Đắk Lắk demo network, catalogue, warehouse stock and users (again: no change)."""
    ensure_database()
    run_and_commit(lambda: refuse_demo_logins(current_app.config))
    logins = run_and_commit(demo.load)
    click.echo("Demo data loaded. Logins:")
    for username, password, role in logins:
        click.echo(f"  {username} / {password} ({role})")


@click.command("demo-kiosk")
@click.argument("location_code")
@click.option("--new-kiosk", is_flag=True,
              help="The kiosk's database is new (its events start again at seq 1): a device that has taken events "
                   "is replaced by a new one instead of getting a new token.")
@with_appcontext
def demo_kiosk(location_code: str, new_kiosk: bool) -> None:
    """For `make run`: give LOCATION_CODE's kiosk a device token and ship it the demo goods (once).

    Prints only the token on stdout (what it did goes to stderr), for `flask --app kiosk enroll URL TOKEN`.
    Again and again: the same device gets a new token (its seq goes on), and nothing more is shipped."""
    device, token, shipped = run_and_commit(lambda: demo.demo_kiosk(location_code, new_kiosk=new_kiosk))
    if device.rotated_at is None:
        click.echo(f"Device {device.id} made for {location_code}.", err=True)
    else:
        click.echo(f"Device {device.id} of {location_code} has a new token; its events go on after seq "
                   f"{device.last_seq}.", err=True)
    if shipped is not None:
        click.echo(f"Shipped {len(demo.KIOSK_SHIPMENT)} products, {demo.KIOSK_SHIPMENT_QTY} of each, to "
                   f"{location_code} (transfer {shipped.id}).", err=True)
    click.echo(token)


@click.command("generate-history")
@click.option("--years", type=click.FloatRange(0.01, 20), default=3, show_default=True)
@click.option("--lines", type=click.IntRange(1), default=5_000_000, show_default=True, help="Sale lines in all.")
@click.option("--seed", type=int, default=2024, show_default=True)
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="The last day (default: today).")
@click.option("--force", is_flag=True, help="Even on a database with real sales, or with history already.")
@with_appcontext
def generate_history(years: float, lines: int, seed: int, until, force: bool) -> None:
    """Generate YEARS of demo sales at the sale points (COPY on PostgreSQL: minutes for 5 million lines)."""
    from central_sync.demo import history

    ensure_database()
    summary = run_and_commit(lambda: history.generate(years, lines, seed, until=until and until.date(), force=force))
    click.echo(f"Generated {summary}.")


def _after_restore() -> list[str]:
    """A restored database: migrated to this version, and a new epoch for its change log (the kiosks pull
    everything again)."""
    from central_sync.sync import changes

    ensure_database()
    changes.new_epoch(db.session)
    db.session.commit()
    return ["Start central again. Each kiosk pulls everything again, and sends again the events this backup "
            "lacks (central answers seq_gap with the seq it expects)."]


def register(app) -> None:
    for command in (users, devices, seed_demo, demo_kiosk, generate_history, backup.backup_command("central"),
                    backup.restore_command("central", _after_restore)):
        app.cli.add_command(command)
