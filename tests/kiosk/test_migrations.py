"""The migrations build exactly the schema the models describe, through `flask --app kiosk db`."""


def test_models_and_migrations_agree(app):
    result = app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_a_model_change_without_a_migration_is_caught(app):
    from sqlalchemy import Column, Integer

    from kiosk.models import PrintJob

    column = Column("forgotten", Integer)
    PrintJob.__table__.append_column(column)
    try:
        result = app.test_cli_runner().invoke(args=["db", "check"])
    finally:
        PrintJob.__table__._columns.remove(column)
    assert result.exit_code != 0
