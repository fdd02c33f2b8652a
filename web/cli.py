"""The ``xinfang`` command: database, deployment, serving, demo data, timers, benchmark."""
from __future__ import annotations

import json
import logging
import sys

import click

from engine.bootstrap import build_engine, deploy_folder
from engine.errors import DeployError, EngineError
from engine.settings import Settings


def _settings() -> Settings:
    """The settings read once by the ``main`` group (environment, then its options)."""
    return click.get_current_context().find_object(Settings)


def _engine():
    return build_engine(_settings())


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
@click.option("--database-url", default=None, help="SQLAlchemy URL (overrides DATABASE_URL).")
@click.option("--data-dir", default=None, type=click.Path(file_okay=False),
              help="Data folder (overrides XINFANG_DATA_DIR).")
@click.pass_context
def main(ctx: click.Context, verbose: bool, database_url: str | None, data_dir: str | None) -> None:
    """xinfang — 信访事项办理流程引擎."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = Settings.from_env(database_url=database_url, data_dir=data_dir)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest revision."""
    engine = build_engine(_settings())  # migrates
    engine.close()
    click.echo(f"schema up to date: {_settings().database_url.split('@')[-1]}")


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--name", default=None, help="Deployment name.")
@click.option("--by", "deployed_by", default="cli", show_default=True, help="Who deploys.")
def deploy(paths: tuple[str, ...], name: str | None, deployed_by: str) -> None:
    """Deploy BPMN/DMN files or folders."""
    from engine.deploy import resources_from_paths

    engine = _engine()
    resources = resources_from_paths(paths)
    if not resources:
        raise click.ClickException("no .bpmn or .dmn files found")
    try:
        info = engine.deploy(resources, name=name or "cli", source="xinfang deploy", deployed_by=deployed_by)
    except DeployError as exc:
        for p in exc.problems:
            click.echo(f"error: {p}", err=True)
        sys.exit(1)
    state = "deployed" if info.created else "unchanged (no new version)"
    click.echo(f"deployment {info.id}: {state}")
    for d in info.definitions:
        flag = "" if d.executable else "  (diagram only, not startable)"
        click.echo(f"  process  {d.key} v{d.version}  {d.name or ''}{flag}")
    for d in info.decisions:
        click.echo(f"  decision {d.key} v{d.version}  {d.name or ''}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-scheduler", is_flag=True, help="Do not start the timer scheduler.")
@click.option("--threads", default=8, show_default=True, help="Worker threads of the HTTP server.")
def serve(host: str, port: int, no_scheduler: bool, threads: int) -> None:
    """Serve the web app (waitress) and run the timer scheduler in the same process."""
    from waitress import serve as waitress_serve

    from web import create_app

    app = create_app({"START_SCHEDULER": not no_scheduler}, settings=_settings())
    click.echo(f"xinfang serving on http://{host}:{port}/  (Ctrl+C to stop)")
    waitress_serve(app, host=host, port=port, threads=threads, ident="xinfang")


@main.command()
@click.option("--cases", default=300, show_default=True, help="Number of synthetic petitions.")
@click.option("--if-empty", is_flag=True, help="Do nothing when demo data is already there.")
def demo(cases: int, if_empty: bool) -> None:
    """Deploy processes/ and load the demo county (units, users, petitions)."""
    engine = _engine()
    deploy_folder(engine)
    try:
        from engine.demo import load_demo
    except ModuleNotFoundError:
        click.echo("processes deployed; demo data module not available")
        return
    summary = load_demo(engine, cases=cases, if_empty=if_empty)
    click.echo(json.dumps(summary, ensure_ascii=False, indent=2, default=str))


@main.group()
def timers() -> None:
    """Deadline timers."""


@timers.command("fire")
def timers_fire() -> None:
    """Fire every timer that is due now (what the scheduler does)."""
    count = _engine().fire_due()
    click.echo(f"fired {count} timer(s)")


@timers.command("run")
@click.option("--max-sleep", default=5.0, show_default=True, type=float,
              help="Longest wait between looks at the database (timers armed by other processes).")
def timers_run(max_sleep: float) -> None:
    """Run the timer scheduler in the foreground (one of M scheduler processes beside the web workers).

    Several may run at once against one PostgreSQL: each due case is claimed with
    SKIP LOCKED and saved under its version check, so every timer fires once.
    """
    import signal
    import threading

    from engine.timers import TimerScheduler

    engine = _engine()
    scheduler = TimerScheduler(engine, max_sleep=max_sleep)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    scheduler.start()
    click.echo(f"timer scheduler running (checks at least every {max_sleep:g} s); Ctrl+C to stop")
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        scheduler.shutdown()
        engine.close()
        click.echo(f"timer scheduler stopped after firing {scheduler.fired} timer(s)")


@main.command("notify")
def notify() -> None:
    """Announce tasks due soon or overdue in the bell (the scheduler does this every 5 minutes)."""
    from engine.notifications import Bell

    click.echo(f"{Bell(_engine()).sweep()} new deadline notification(s)")


@main.group(invoke_without_command=True)
@click.option("--cases", default=200, show_default=True, help="Lifecycles per measurement.")
@click.option("--rounds", default=3, show_default=True, help="Alternating rounds (best of).")
@click.option("--database-url", default=None, help="Database for the persisted run (default: a temp SQLite file).")
@click.pass_context
def bench(ctx: click.Context, cases: int, rounds: int, database_url: str | None) -> None:
    """Persisted engine vs bare in-memory SpiffWorkflow on the same BPMN, in one run."""
    if ctx.invoked_subcommand is not None:
        return
    from engine.bench import run_benchmark

    run_benchmark(cases=cases, rounds=rounds, database_url=database_url, echo=click.echo)


@bench.command("scale")
@click.option("--cases", default=20000, show_default=True, help="Open cases in the database.")
@click.option("--db", type=click.Choice(["sqlite", "postgresql"]), default="sqlite", show_default=True)
@click.option("--rounds", default=20, show_default=True, help="Timed requests per page and user.")
@click.option("--templates", default=150, show_default=True,
              help="Petitions driven through the engine before the open ones are copied.")
@click.option("--threads", default=4, show_default=True, help="Threads of the measured server.")
def bench_scale(cases: int, db: str, rounds: int, templates: int, threads: int) -> None:
    """Inbox, case, dashboard and REST latency over HTTP with CASES open cases."""
    from web.bench_scale import run_scale_bench

    run_scale_bench(cases=cases, db=db, rounds=rounds, templates=templates, threads=threads, echo=click.echo)


@bench.command("workers")
@click.option("--db", type=click.Choice(["sqlite", "postgresql"]), default="postgresql", show_default=True)
@click.option("--workers", default=4, show_default=True, help="gunicorn web worker processes.")
@click.option("--schedulers", default=2, show_default=True, help="`xinfang timers run` processes.")
@click.option("--clients", default=8, show_default=True, help="Concurrent REST clients.")
@click.option("--cases", default=10, show_default=True, help="Lifecycles per client.")
@click.option("--timer-cases", default=40, show_default=True, help="Cases whose 3-second timer must fire once.")
@click.option("--synchronous-commit", type=click.Choice(["on", "off"]), default="on", show_default=True,
              help="PostgreSQL durability setting of the database (see README).")
def bench_workers(db, workers, schedulers, clients, cases, timer_cases, synchronous_commit) -> None:
    """REST lifecycles from concurrent clients against gunicorn workers, timers fired by several schedulers."""
    from web.bench_workers import run_workers_bench

    run_workers_bench(db=db, workers=workers, schedulers=schedulers, clients=clients, cases=cases,
                      timer_cases=timer_cases, synchronous_commit=synchronous_commit, echo=click.echo)


@main.command("bench-rest")
@click.option("--cases", default=50, show_default=True, help="Lifecycles per measurement.")
@click.option("--rounds", default=2, show_default=True, help="Alternating rounds (best of).")
def bench_rest(cases: int, rounds: int) -> None:
    """REST lifecycle over real HTTP (one client, SQLite): ms per case with and without the credential cache."""
    from web.bench_rest import run_rest_benchmark

    run_rest_benchmark(cases=cases, rounds=rounds, echo=click.echo)


@main.group()
def users() -> None:
    """User accounts."""


@users.command("create")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", required=True)
@click.option("--unit", "unit_code", required=True)
@click.option("--role", "roles", multiple=True, required=True)
def users_create(username, password, display_name, unit_code, roles) -> None:
    """Create a user."""
    from engine.accounts import create_user

    engine = _engine()
    try:
        with engine.unit_of_work() as s:
            create_user(s, username, password, display_name, unit_code, list(roles))
    except (EngineError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"user {username} created")


if __name__ == "__main__":  # pragma: no cover
    main()
