"""Alembic environment: runs against the engine prepress hands over, or a URL."""

from alembic import context
from sqlmodel import SQLModel

import models.attempts  # noqa: F401  (registers the tables)
import models.audit  # noqa: F401
import models.invoice  # noqa: F401
import models.job  # noqa: F401
import models.problems  # noqa: F401
import models.shop_settings  # noqa: F401
import models.targets  # noqa: F401

engine = context.config.attributes.get("engine")
if engine is None:
    from models.db import engine_for

    engine = engine_for(context.config.get_main_option("sqlalchemy.url"))

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
