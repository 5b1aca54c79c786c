"""The framework's floor: a bare FastAPI app answering a constant, no middleware, no database.

`make bench` serves it with two workers beside the service and the baseline and loads its
`/healthz` (a synchronous route, as the service's is) in the `healthz` scenario, so that one
run shows what the HTTP layer alone costs: the baseline's, bare FastAPI's and the
service's with its middleware. By hand:

    .venv/bin/uvicorn --app-dir bench/floor app:app --port 8110 --workers 2 --no-access-log
    wrk -t2 -c16 -d5s http://127.0.0.1:8110/healthz   # or /async

docs/performance.md compares the service's figures with it.
"""

from fastapi import FastAPI
from pydantic import BaseModel


class Health(BaseModel):
    status: str


app = FastAPI()


@app.get("/healthz", response_model=Health)
def sync_constant() -> Health:
    return Health(status="ok")


@app.get("/async", response_model=Health)
async def async_constant() -> Health:
    return Health(status="ok")
