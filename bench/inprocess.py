"""The service's own work per request, with no HTTP server and no load tool in the process.

Calls the ASGI app of `create_app()` directly, 16 requests at a time on uvloop, against
DATABASE_URL, and prints the process's CPU time per request and the requests per second of
each round. Under `valgrind --tool=callgrind` (bench/instructions-per-request.sh) the same
run gives instruction counts, which move much less with the machine's load than times do
(how the database's answers interleave with the tasks still moves them by a few per cent).
The write allowances are raised unless the environment sets them, so that `post` measures
reports rather than refusals (429).

    DATABASE_URL=postgresql+psycopg://…/db BENCH_TOKEN=kp_… BENCH_CODES=codes.txt \\
      python bench/inprocess.py project|health|post REQUESTS [ROUNDS]

BENCH_CODES names a file of project codes, one a line; `post` needs an admin's or an
officer's token, and reports on dates of 2025 and 2026.
"""

import asyncio
import datetime
import json
import os
import random
import sys
import time
from pathlib import Path

import uvloop
from starlette.types import Message

from app.main import create_app

TASKS = 16
WARM_UP = 50  # requests per task before the first round


class Driver:
    """Builds each scenario's requests and sends them to the app."""

    def __init__(self, scenario: str) -> None:
        self.scenario = scenario
        self.app = create_app()
        self.token = os.environ["BENCH_TOKEN"].encode()
        self.codes = Path(os.environ["BENCH_CODES"]).read_text().split()
        start = datetime.date(2025, 1, 1)
        self.dates = [(start + datetime.timedelta(days=i)).isoformat() for i in range(700)]
        self.refused: list[int] = []
        random.seed(1)  # the same requests in every run, so that runs compare

    def request(self) -> tuple[str, str, bytes]:
        code = random.choice(self.codes)
        if self.scenario == "project":
            return "GET", f"/api/v1/projects/{code}", b""
        if self.scenario == "health":
            return "GET", "/healthz", b""
        if self.scenario == "post":
            report = {
                "as_of": random.choice(self.dates),
                "status": "under_construction",
                "percent_complete": random.randint(1, 99),
                "note": f"压测报告 {random.randint(1, 10**6)}",
            }
            return "POST", f"/api/v1/projects/{code}/progress", json.dumps(report).encode()
        raise SystemExit(f"unknown scenario {self.scenario}")

    async def send(self) -> None:
        method, path, body = self.request()
        headers = [(b"host", b"bench"), (b"authorization", b"Bearer " + self.token)]
        if body:
            headers += [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }
        status = 0

        async def receive() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await self.app(scope, receive, answer)
        if status >= 300:
            self.refused.append(status)

    async def run(self, requests: int, rounds: int) -> None:
        async with self.app.router.lifespan_context(self.app):
            await self.tasks(WARM_UP)
            for _ in range(rounds):
                self.refused = []
                cpu, wall = time.process_time(), time.perf_counter()
                await self.tasks(requests // TASKS)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                done = requests // TASKS * TASKS
                print(
                    f"{self.scenario}: {cpu * 1000 / done:.3f} ms of CPU a request, "
                    f"{done / wall:.0f} req/s, {len(self.refused)} refused {self.refused[:3]}"
                )

    async def tasks(self, each: int) -> None:
        async def task() -> None:
            for _ in range(each):
                await self.send()

        await asyncio.gather(*(task() for _ in range(TASKS)))


def main() -> None:
    scenario, requests = sys.argv[1], int(sys.argv[2])
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    # Read when the app is built, not on import.
    os.environ.setdefault("RATE_LIMIT_WRITES", "1000000/minute")
    os.environ.setdefault("RATE_LIMIT_EXPORTS", "1000000/minute")
    uvloop.run(Driver(scenario).run(requests, rounds))


if __name__ == "__main__":
    main()
