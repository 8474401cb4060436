"""An engine (superuser or not) and an attacker role with ordinary rights on its database.

The attacker's payload records `current_user` in a table anyone may insert into and tries to
make the attacker a superuser; a test passes only if the payload never ran as the engine role.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from psycopg import sql

from sg import PostgresEngine, ResultShape
from tests.support.servers import TestServer


@dataclass
class Setting:
    """The engine under attack, the attacker's own engine on the same database, and names."""

    engine: PostgresEngine
    attacker: PostgresEngine
    engine_role: str
    attacker_role: str
    superuser_engine: bool

    def payload(self, name: str, args: str = "", returns: str = "void", result: str = "") -> None:
        """Create the attacker's function `name(args)` that records who ran it, then escalates."""
        body = f"""
            BEGIN
                INSERT INTO public.sg_attack_log VALUES (current_user::text, {name!r});
                BEGIN
                    EXECUTE format('ALTER ROLE %I SUPERUSER', {self.attacker_role!r});
                EXCEPTION WHEN OTHERS THEN NULL;
                END;
                RETURN {result};
            END"""
        self.attacker.run_sql(
            sql.SQL("CREATE FUNCTION {}({}) RETURNS {} LANGUAGE plpgsql AS {}").format(
                sql.SQL(name), sql.SQL(args), sql.SQL(returns), sql.Literal(body)
            )
        )

    def tracked_table(self, name: str) -> None:
        """The attacker's table `public.<name> (id int PRIMARY KEY, v text)`, which the engine
        may read, lock and put triggers on, tracked by the engine."""
        self.attacker.run_sql(f"CREATE TABLE public.{name} (id int PRIMARY KEY, v text)")
        self.attacker.run_sql(
            f"GRANT SELECT, UPDATE, TRIGGER ON public.{name} TO {self.engine_role}"
        )
        self.attacker.commit()
        self.engine.track_tables([("public", name)])
        self.engine.commit()

    def ran_as_engine(self) -> list[str]:
        """The payloads that ran with the engine role's identity."""
        rows = self.engine.run_sql(
            "SELECT payload FROM public.sg_attack_log WHERE who = %s ORDER BY 1",
            [self.engine_role],
            ResultShape.MANY_ONE,
        )
        return list(rows)

    def attacker_is_superuser(self) -> bool:
        """True when an escalation worked."""
        return bool(
            self.engine.run_sql(
                "SELECT rolsuper FROM pg_roles WHERE rolname = %s",
                [self.attacker_role],
                ResultShape.ONE_ONE,
            )
        )

    def assert_safe(self) -> None:
        """No payload ran as the engine role, and the attacker is no superuser."""
        self.engine.rollback()
        assert self.ran_as_engine() == []
        assert not self.attacker_is_superuser()


@contextmanager
def attack_setting(server: TestServer, superuser_engine: bool) -> Iterator[Setting]:
    """A fresh database with an initialized engine and an attacker role, all dropped after."""
    database = f"sgt_{uuid.uuid4().hex[:12]}"
    attacker_role, attacker_password = f"sg_attacker_{uuid.uuid4().hex[:8]}", "a" + uuid.uuid4().hex
    engine_role, engine_password = server.base_params["SG_ENGINE_USER"], None
    roles = [attacker_role]
    with server.admin_connect() as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(attacker_role), sql.Literal(attacker_password)
            )
        )
        if not superuser_engine:
            engine_role, engine_password = f"sg_engine_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
            roles.append(engine_role)
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                    sql.Identifier(engine_role), sql.Literal(engine_password)
                )
            )
        conn.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(database), sql.Identifier(engine_role)
            )
        )
    with server.admin_connect(database) as conn:
        # Ordinary rights: create objects in public and in the database (own schemas).
        conn.execute(sql.SQL("GRANT CREATE ON SCHEMA public TO PUBLIC"))
        conn.execute(
            sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(
                sql.Identifier(database), sql.Identifier(attacker_role)
            )
        )
        conn.execute("CREATE TABLE public.sg_attack_log (who text, payload text)")
        conn.execute("GRANT INSERT, SELECT ON public.sg_attack_log TO PUBLIC")
    params = server.params(database)
    if engine_password is not None:
        params = {**params, "SG_ENGINE_USER": engine_role, "SG_ENGINE_PWD": engine_password}
    engine = PostgresEngine(params, "engine")
    attacker = PostgresEngine(
        {**params, "SG_ENGINE_USER": attacker_role, "SG_ENGINE_PWD": attacker_password},
        "attacker",
    )
    try:
        yield Setting(engine, attacker, engine_role, attacker_role, superuser_engine)
    finally:
        for each in (engine, attacker):
            each.rollback()
            each.close()
        server.drop_database(database)
        with server.admin_connect() as conn:
            for role in roles:
                conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
