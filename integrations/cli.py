"""`hotline12348 integrations …`: the reference platform receiver, the exchange schema, a bench run."""
from __future__ import annotations

import json

import typer

name = "integrations"
app = typer.Typer(help="工单对接 (tickets, 12348 platform, 12345, callbacks)", no_args_is_help=True)


@app.command()
def receiver(
    host: str = typer.Option("127.0.0.1", help="Bind address"),
    port: int = typer.Option(8100, help="Port (settings.platform_url points at 127.0.0.1:8100)"),
) -> None:
    """Run the reference 12348-platform/12345 receiver (records, verifies, can be told to fail)."""
    import uvicorn

    from hotline.settings import get_settings
    from integrations.receiver import create_receiver, default_state

    uvicorn.run(create_receiver(default_state(get_settings())), host=host, port=port, log_config=None)


@app.command()
def schema(check: bool = typer.Option(False, "--check", help="Fail if the committed file is out of date")) -> None:
    """Write (or check) integrations/schema/ticket-exchange.schema.json from the pydantic model."""
    from integrations.exchange import SCHEMA_PATH, exchange_schema, write_schema

    if check:
        current = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
        if current != exchange_schema():
            typer.echo(f"{SCHEMA_PATH} is out of date: run `hotline12348 integrations schema`", err=True)
            raise typer.Exit(1)
        typer.echo("schema up to date")
        return
    typer.echo(f"wrote {write_schema()}")


@app.command()
def bench(tickets: int = typer.Option(200, help="Tickets to create (3 changes each)")) -> None:
    """Measure outbox deliveries per second to the reference receiver (scratch SQLite database)."""
    from integrations.benchmarks import run_outbox_bench

    typer.echo(json.dumps(run_outbox_bench(tickets=tickets), ensure_ascii=False, indent=2))
