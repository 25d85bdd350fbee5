"""The `hzsim` command."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from hzsim.settings import DEFAULT_ADMIN_PASSWORD, Settings, default_data_dir


@click.group()
@click.version_option(package_name="hzsim")
def main() -> None:
    """hzsim: a stateful simulator of the Horizon Server REST API (release 2312)."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8443, show_default=True, type=int, help="Port to listen on.")
@click.option("--no-tls", is_flag=True, help="Serve plain HTTP instead of HTTPS with a self-signed certificate.")
@click.option("--db", "db_url", default=None, metavar="URL",
              help="Database URL: sqlite:///path.db or postgresql+psycopg://user:pass@host/db "
                   "[default: SQLite file in the data directory].")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=f"Where the database, signing key and TLS certificate live "
                   f"[default: $HZSIM_DATA_DIR or {default_data_dir()}].")
@click.option("--clock", default=None, metavar="MODE",
              help="manual, realtime or xN (N simulated seconds per second) [default: as saved, else realtime].")
@click.option("--scenario", default="default", show_default=True, metavar="NAME|FILE",
              help="Scenario loaded into an empty data directory: a built-in name or a YAML file. "
                   "A data directory that already holds state keeps it; use --reset to reload.")
@click.option("--reset", is_flag=True, help="Wipe the state and load --scenario even if state exists.")
@click.option("--admin-password", envvar="HZSIM_ADMIN_PASSWORD", default=DEFAULT_ADMIN_PASSWORD,
              show_default=True, help="Password of EXAMPLE\\administrator (env HZSIM_ADMIN_PASSWORD).")
@click.option("--access-token-minutes", default=30, show_default=True, type=click.IntRange(min=1),
              envvar="HZSIM_ACCESS_TOKEN_MINUTES", help="Lifetime of access tokens (wall clock).")
@click.option("--refresh-token-hours", default=8, show_default=True, type=click.IntRange(min=1),
              envvar="HZSIM_REFRESH_TOKEN_HOURS", help="Lifetime of refresh tokens (wall clock).")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]))
def serve(host: str, port: int, no_tls: bool, db_url: str | None, data_dir: Path | None, clock: str | None,
          scenario: str, reset: bool, admin_password: str, access_token_minutes: int, refresh_token_hours: int,
          log_level: str) -> None:
    """Start the simulator."""
    import uvicorn

    from hzsim.engine.clock import ClockSetting
    from hzsim.errors import HorizonError
    from hzsim.http.app import create_app
    from hzsim.simulator import Simulator

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if clock:
        try:
            ClockSetting.parse(clock)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--clock") from None
    settings = Settings(data_dir=data_dir or default_data_dir(), db_url=db_url, clock=clock, scenario=scenario,
                        admin_password=admin_password, access_token_ttl=access_token_minutes * 60,
                        refresh_token_ttl=refresh_token_hours * 3600)
    try:
        sim = Simulator(settings)
        if reset:
            sim.reset(scenario)
    except HorizonError as error:
        raise click.ClickException(error.message) from None
    ssl: dict[str, str] = {}
    if not no_tls:
        from hzsim.http.tls import ensure_certificate

        cert, key = ensure_certificate(settings.data_dir)
        ssl = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    scheme = "http" if no_tls else "https"
    click.echo(f"hzsim {scheme}://{host}:{port}/rest  (control: {scheme}://{host}:{port}/hzsim/v1, "
               f"clock {sim.clock.mode}, data {settings.data_dir})")
    uvicorn.run(create_app(sim), host=host, port=port, log_level=log_level, access_log=False, **ssl)


@main.group()
def scenario() -> None:
    """Check and show scenarios (docs/scenarios.md)."""


@scenario.command("check")
@click.argument("name_or_file")
def scenario_check(name_or_file: str) -> None:
    """Parse a scenario and report the first problem, with its line."""
    from hzsim.errors import HorizonError
    from hzsim.world import scenarios

    try:
        loaded = scenarios.load(name_or_file)
    except HorizonError as error:
        raise click.ClickException(error.message) from None
    spec = loaded.spec
    click.echo(f"{loaded.name}: {len(spec['vcenters'])} vCenter(s), {len(spec['domains'])} domain(s), "
               f"{len(spec['administrators'])} administrator(s): OK")


@scenario.command("show")
@click.argument("name_or_file")
def scenario_show(name_or_file: str) -> None:
    """Print a scenario as YAML with every default spelt out."""
    from hzsim.errors import HorizonError
    from hzsim.world import scenarios

    try:
        click.echo(scenarios.dump(scenarios.load(name_or_file)), nl=False)
    except HorizonError as error:
        raise click.ClickException(error.message) from None


if __name__ == "__main__":
    main()
