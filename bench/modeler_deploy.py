"""How long Camunda Modeler's Deploy takes against ``onething serve`` (it gives up after 5 seconds).

Starts ``onething serve`` on a fresh SQLite database, signs in as an analyst with HTTP Basic and posts the
newborn service's five files (the diagram and its four decision tables) as the Modeler does, ``--rounds``
times (each an edited diagram, so each is a new version: parsing, checks and the dry run on the samples
every time). Prints:

    bench: modeler_deploy_ms_p50=<a> modeler_deploy_ms_max=<b> rounds=<n>

    python bench/modeler_deploy.py [--rounds 10]
"""

from __future__ import annotations

import argparse
import base64
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from engine.bootstrap import ready_context  # noqa: E402
from engine.usecases.accounts import add_user  # noqa: E402
from tests.e2e.test_engine_rest_server import multipart, request  # noqa: E402
from tests.support.services import free_port, onething, process, wait_healthy  # noqa: E402

WORKFLOWS = Path(__file__).resolve().parents[1] / "workflows" / "newborn"
PASSWORD = "bench password 1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="onething-modeler-") as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        add_user(ready_context(url), "analyst-bench", ["analyst"], [], [], password=PASSWORD)
        port = free_port()
        log = Path(tmp) / "serve.log"
        with process(onething("serve", "--port", str(port)), url, log) as child:
            wait_healthy(f"http://127.0.0.1:{port}", child, log)
            auth = {
                "accept": "application/json",
                "authorization": "Basic " + base64.b64encode(f"analyst-bench:{PASSWORD}".encode()).decode(),
            }
            tables = [(p.name, p.read_bytes(), "application/octet-stream") for p in sorted(WORKFLOWS.glob("*.dmn"))]
            diagram = (WORKFLOWS / "newborn_birth.bpmn").read_bytes()
            timings = []
            for n in range(args.rounds):
                edited = diagram.replace("窗口受理".encode(), f"窗口受理{n}".encode())
                content_type, form = multipart(
                    {
                        "deployment-name": "newborn_birth",
                        "deployment-source": "Camunda Modeler",
                        "enable-duplicate-filtering": "true",
                    },
                    [("newborn_birth.bpmn", edited, "text/xml"), *tables],
                )
                started = time.perf_counter()
                status, _, body = request(
                    port, "POST", "/engine-rest/deployment/create", {**auth, "content-type": content_type}, form
                )
                timings.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    raise SystemExit(f"deploy answered {status}: {body[:500]!r}")
                print(f"deploy {n + 1}: {timings[-1]:.0f} ms", flush=True)
    print(
        f"bench: modeler_deploy_ms_p50={statistics.median(timings):.0f} "
        f"modeler_deploy_ms_max={max(timings):.0f} rounds={len(timings)}"
    )


if __name__ == "__main__":
    main()
