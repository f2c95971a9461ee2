"""workers_db: the data layer.

SQLAlchemy 2.x models (`workers_db.models`), Alembic migrations (`workers_db.migrations`) and
the operations on them: normalise a phone or card id, register workers, find a caller, record
an event idempotently, import a pre-registration CSV.  Every operation takes a `Session` and
never opens, commits or closes one: the entry point (request, job, CLI command) owns it.
"""
