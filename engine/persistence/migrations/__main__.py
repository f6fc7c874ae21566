"""``python -m engine.persistence.migrations <alembic command>`` against ``DATABASE_URL``."""

from __future__ import annotations

import sys

from alembic.config import CommandLine

from ..database import database_url
from . import config


def main(argv: list[str] | None = None) -> None:
    cli = CommandLine(prog="python -m engine.persistence.migrations")
    options = cli.parser.parse_args(argv)
    if not hasattr(options, "cmd"):
        cli.parser.error("too few arguments")
    cli.run_cmd(config(url=database_url()), options)


if __name__ == "__main__":
    main(sys.argv[1:])
