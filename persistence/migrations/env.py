"""Alembic environment: runs the packaged migrations against the configured URL."""
from __future__ import annotations

from alembic import context

from persistence import all_models  # noqa: F401  (registers every table on Base.metadata)
from persistence.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
