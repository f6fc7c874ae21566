"""The service's own secret: ``ONETHING_SECRET_KEY``, else one made once in the instance folder
(``instance/secret_key``, readable by the service's user only), so that every process of one installation
signs and digests alike -- the pages' CSRF tokens and sessions (:mod:`api.web`), the search keys' digests
(:mod:`engine.search`)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

SECRET_FILE = "secret_key"


def service_secret() -> str:
    """The secret (see the module's text); the file is created atomically, so two processes starting together
    read the same one."""
    given = os.environ.get("ONETHING_SECRET_KEY", "").strip()
    if given:
        return given
    path = Path(os.environ.get("ONETHING_INSTANCE_DIR", "instance")) / SECRET_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    except FileExistsError:
        pass
    return path.read_text().strip()
