"""A lock and then a read, sent to PostgreSQL as one statement.

Under READ COMMITTED a statement reads one snapshot, taken when it starts, so a lock taken
inside the statement that reads would not make it see what the lock's last holder committed:
a decision lock and the read it guards have to be two statements (the locked look-up of
`workers_db.callers`; the checked write of `workers_db.intake` and `workers_db.decisions`,
whose "read" inserts, see `run(own_transaction=True)`).  Sent as two, in psycopg's pipeline
with the transaction's BEGIN, they cost the web process 0.21 M instructions more per
check-in than one statement after a plain BEGIN (bench/ivr_instructions.py: 3.19 → 2.98 M,
7 %).  Inside a VOLATILE PL/pgSQL function each statement takes a fresh snapshot, so a
function that takes the lock (`PERFORM`) and then returns the read (`RETURN QUERY`) keeps
that order and is one statement to send: `SELECT * FROM pg_temp.genba_<name>(…)`.

The function is made from the same two Core statements that the general path runs, on each
connection when it first needs it (`pg_temp`: the connection's own, gone when it closes), so
the SQL has one home and no migration carries a copy of it.  Each connection remembers that
it made it (`PoolProxiedConnection.info`).  In a transaction already under way the two
statements are sent as they are (`run_on_driver`): the function is only made between
transactions, where nothing can roll it back.  A pooler that hands one client's statements
to several server connections (PgBouncer in transaction mode) would not keep it: genba-call
connects to PostgreSQL directly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import psycopg as psycopg_dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.sqltypes import NullType
from sqlalchemy.sql.visitors import replacement_traverse

from workers_db.db import (
    DriverStatement,
    autocommitted,
    commit_on_driver,
    run_on_driver,
    sent_nothing_yet,
)

_DIALECT = psycopg_dialect.dialect()


class LockedRead:
    """`lock` then `read` (Core selects bound by the same names), one function per name."""

    def __init__(self, name: str, lock: Select[Any], read: Select[Any]) -> None:
        if not re.fullmatch(r"[a-z_]+", name):
            raise ValueError(f"function name {name!r}: lower-case letters and _ only")
        self.lock, self.read = DriverStatement(lock), DriverStatement(read)
        self.function = f"pg_temp.genba_{name}"
        required = _required_binds(lock) | _required_binds(read)
        self.names = sorted(required)  # the function's parameters, $1… in this order
        position = {bind: f"${i}" for i, bind in enumerate(self.names, start=1)}
        args = ", ".join(required[n].type.compile(_DIALECT) for n in self.names)
        columns = ", ".join(
            f"c{i} {c.type.compile(_DIALECT)}" for i, c in enumerate(read.selected_columns)
        )
        lock_sql = _with_positions(lock, position)
        if not lock_sql.startswith("SELECT "):
            raise ValueError(f"{name}: the lock is not a plain SELECT")
        self.create_sql = (
            f"CREATE OR REPLACE FUNCTION {self.function}({args}) RETURNS TABLE ({columns})\n"
            f"LANGUAGE plpgsql VOLATILE AS $genba$\nBEGIN\n"
            f"PERFORM {lock_sql.removeprefix('SELECT ')};\n"
            f"RETURN QUERY {_with_positions(read, position)};\nEND\n$genba$"
        )
        function = getattr(func.pg_temp, f"genba_{name}")
        arguments = [bindparam(n, type_=required[n].type) for n in self.names]
        self.call = DriverStatement(select(literal_column("*")).select_from(function(*arguments)))

    def run(
        self,
        session: Session,
        params: Mapping[str, Any],
        *,
        locked: bool,
        own_transaction: bool = False,
    ) -> Sequence[tuple[Any, ...]]:
        """The read's rows, after the lock unless `locked` (this transaction holds it).
        `own_transaction`: when the session's transaction has sent nothing yet, the function
        is a transaction of its own (`workers_db.db.autocommitted`), committed when it
        returns, so the lock is held only while it runs (for a read that writes)."""
        if locked:
            [rows] = run_on_driver(session, (self.read, params))
            return rows
        if not sent_nothing_yet(session):
            *_, rows = run_on_driver(session, (self.lock, params), (self.read, params))
            return rows
        pooled = session.connection().connection
        made: set[str] = pooled.info.setdefault("genba_functions", set())
        if self.function not in made:
            commit_on_driver(session, self.create_sql)
            made.add(self.function)
        if own_transaction:
            with autocommitted(session):
                [rows] = run_on_driver(session, (self.call, params))
        else:
            [rows] = run_on_driver(session, (self.call, params))
        return rows


def _required_binds(statement: Select[Any]) -> dict[str, BindParameter[Any]]:
    compiled = statement.compile(dialect=_DIALECT)
    found = {}
    for name, bind in compiled.binds.items():
        if bind.required:
            if bind.expanding:
                raise ValueError(f"{name}: an expanding parameter cannot be a function's")
            if isinstance(bind.type, NullType):
                raise ValueError(f"{name}: a function's parameter needs a type")
            found[name] = bind
    return found


def _with_positions(statement: Select[Any], position: Mapping[str, str]) -> str:
    """The statement's SQL with its caller's parameters as `$n` and its own values inlined."""

    def replace(element: Any, **_kw: Any) -> Any:
        if isinstance(element, BindParameter) and element.key in position:
            return literal_column(position[element.key], type_=element.type)
        return None

    replaced = cast(Select[Any], replacement_traverse(statement, {}, replace))
    return str(replaced.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True}))
