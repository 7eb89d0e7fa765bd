"""`orchestrix db migrate`: create or upgrade an event store's schema."""

from __future__ import annotations

import asyncio

import click

from orchestrix.cli.backends import backend_of
from orchestrix.cli.schema import SchemaPlan
from orchestrix.cli.store_choice import StoreChoice, store_options


@click.group()
def db() -> None:
    """Manage the database of an event store."""


@db.command()
@click.option(
    "--dry-run", is_flag=True, help="Print the SQL of the missing migrations; change nothing."
)
@store_options
def migrate(store: StoreChoice, dry_run: bool) -> None:
    """Apply the schema migrations the store lacks (a new SQLite file is created).

    Safe to run at any time and from several processes at once: what is applied already is
    left alone.
    """
    backend = backend_of(store)
    plan = asyncio.run(backend.schema_plan(store))
    plan.require_known(store.describe())
    if dry_run:
        _print_sql(store, plan)
        return
    applied = asyncio.run(backend.migrate(store))
    if not applied:
        click.echo(f"The {store.describe()} is up to date at schema version {plan.current}")
        return
    names = {migration.version: migration.name for migration in plan.pending}
    listed = ", ".join(f"{version} {names.get(version, '')}".rstrip() for version in applied)
    plural = "s" if len(applied) > 1 else ""
    click.echo(
        f"Applied migration{plural} {listed} to the {store.describe()}; "
        f"now at schema version {max(applied)}"
    )


def _print_sql(store: StoreChoice, plan: SchemaPlan) -> None:
    click.echo(f"-- {store.describe()}: schema version {plan.current} of {plan.latest}")
    if not plan.pending:
        click.echo("-- up to date: nothing to apply")
        return
    if store.backend == "postgres":
        click.echo(f"-- each migration runs in schema {store.schema!r} (its search_path)")
    for migration in plan.pending:
        title = f"{migration.version} {migration.name}".rstrip()
        click.echo(f"\n-- migration {title}\n{migration.sql};")


__all__ = ["db"]
