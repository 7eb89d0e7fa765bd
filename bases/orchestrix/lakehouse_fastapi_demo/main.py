"""`orchestrix-lakehouse`: start the lakehouse service with uvicorn.

    orchestrix-lakehouse --port 8000                      # SQLite under ./lakehouse-data
    orchestrix-lakehouse --dsn postgresql://localhost/db  # PostgreSQL

Then open http://127.0.0.1:8000/ for the page, /docs for the API.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from orchestrix.core.common.exceptions import OrchestrixError
from orchestrix.lakehouse_fastapi_demo.app import create_app
from orchestrix.lakehouse_fastapi_demo.settings import Settings


def parse(arguments: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="orchestrix-lakehouse", description="Run the Orchestrix lakehouse service."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (0: any)")
    parser.add_argument("--data-dir", type=Path, help="files and the SQLite database")
    parser.add_argument("--dsn", help="PostgreSQL DSN (default: SQLite in the data directory)")
    parser.add_argument("--schema", help="PostgreSQL schema (default: lakehouse)")
    parser.add_argument("--max-upload-bytes", type=int, help="size limit of one upload")
    parser.add_argument("--no-docs", action="store_true", help="serve no /docs page")
    return parser.parse_args(arguments)


def settings_from(options: argparse.Namespace) -> Settings:
    return Settings.from_environment(
        data_dir=options.data_dir,
        dsn=options.dsn,
        schema=options.schema,
        max_upload_bytes=options.max_upload_bytes,
        docs=False if options.no_docs else None,
    )


async def serve(app: FastAPI, options: argparse.Namespace) -> None:
    """Run the app's lifespan here rather than in uvicorn, so a service that cannot start (a
    database that refuses) raises to `main`, which reports it in one line."""
    config = uvicorn.Config(
        app, host=options.host, port=options.port, log_level="warning", lifespan="off"
    )
    async with app.router.lifespan_context(app):
        print(f"Orchestrix lakehouse on http://{options.host}:{options.port}/", flush=True)
        await uvicorn.Server(config).serve()


def main(arguments: list[str] | None = None) -> None:
    options = parse(arguments)
    try:
        asyncio.run(serve(create_app(settings_from(options)), options))
    except KeyboardInterrupt:
        pass  # Ctrl-C: uvicorn has shut down gracefully
    except (OrchestrixError, OSError) as error:
        sys.exit(f"orchestrix-lakehouse: error: {error}")


if __name__ == "__main__":
    main()
