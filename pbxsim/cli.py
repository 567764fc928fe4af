"""`hotline12348 pbxsim …`: run the stand-in alone, or a load run."""
from __future__ import annotations

import asyncio

import typer

name = "pbxsim"
app = typer.Typer(help="Asterisk 22 stand-in (test and demo instrument, never a production PBX)", no_args_is_help=True)


@app.command()
def run(port: int = typer.Option(None, help="AMI port (default: the first AMI node's)"),
        traffic: bool = typer.Option(True, help="Generate demo calls")) -> None:
    """Run pbxsim in real time with the directory's queues and seats."""
    from hotline.directory import load_directory
    from hotline.settings import get_settings

    from .component import PbxsimComponent

    settings = get_settings()
    if port:
        settings.ami_nodes[0].port = port
    settings.demo_traffic = traffic

    class _K:
        pass

    kernel = _K()
    kernel.settings, kernel.directory, kernel.services = settings, load_directory(settings.directory_file), {}

    async def main() -> None:
        comp = PbxsimComponent()
        await comp.start(kernel, {"pbxsim"})
        typer.echo(f"pbxsim: AMI on {settings.ami_nodes[0].host}:{settings.ami_nodes[0].port} (Ctrl-C to stop)")
        await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass


@app.command()
def load(rate: float = 50.0, duration: float = 60.0, seats: int = 500, talk: float = 40.0,
         realtime: bool = typer.Option(False, help="Run on the wall clock (CPU share = cost of keeping up)")) -> None:
    """Load run; prints events/s and the process CPU share."""
    from .load import report, run_load

    typer.echo(report(asyncio.run(run_load(rate, duration, seats, talk, realtime=realtime))))
