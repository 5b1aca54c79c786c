"""A park's filled monthly template uploaded through the API, in process, on PostgreSQL.

A fresh database with the library and a synthetic portfolio (`--projects`, two months of
reports), the largest park's template downloaded, every row's note changed, then four dry
runs and one real upload timed. `.venv/bin/python bench/upload.py --projects 20000`; the
figures are in docs/performance.md.
"""

import argparse
import io
import os
import statistics
import subprocess
import sys
import time
import uuid

import sqlalchemy as sa
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from app.config import get_settings
from app.main import create_app

parser = argparse.ArgumentParser()
parser.add_argument("--projects", type=int, default=20000)
parser.add_argument("--server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
args = parser.parse_args()
server = args.server
name = f"upload_bench_{uuid.uuid4().hex[:8]}"
admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
with admin.connect() as c:
    c.execute(sa.text(f'CREATE DATABASE "{name}"'))
url = server.rsplit("/", 1)[0] + "/" + name
os.environ["DATABASE_URL"] = url
os.environ["LOG_LEVEL"] = "warning"
bin_ = os.path.dirname(sys.executable)
for cmd in (
    ["db", "upgrade"],
    ["seed"],
    ["synth", "--projects", str(args.projects), "--months", "2", "--seed", "1"],
):
    subprocess.run([f"{bin_}/portfolio", *cmd], check=True, capture_output=True)
out = subprocess.run(
    [f"{bin_}/portfolio", "token", "create", "--role", "admin", "--name", "bench"],
    check=True,
    capture_output=True,
    text=True,
).stdout
secret = next(w for w in out.split() if w.startswith("kp_"))
get_settings.cache_clear()
H = {"Authorization": f"Bearer {secret}"}
try:
    with TestClient(create_app()) as client:
        parks = client.get("/api/v1/parks", headers=H).json()
        parks = parks.get("items", parks) if isinstance(parks, dict) else parks
        park = (
            max(parks, key=lambda p: p.get("project_count", 0))
            if "project_count" in parks[0]
            else parks[0]
        )
        t = client.get(f"/api/v1/parks/{park['id']}/report-template", headers=H)
        assert t.status_code == 200, t.text
        wb = load_workbook(io.BytesIO(t.content))
        ws = wb.worksheets[0]
        header = [c.value for c in ws[1]]
        rows = 0
        for r in ws.iter_rows(min_row=2):
            if r[0].value is None:
                continue
            for cell, h in zip(r, header, strict=False):
                if h and "形象进度" in str(h):
                    cell.value = f"{cell.value or ''} 本月推进"
            rows += 1
        buf = io.BytesIO()
        wb.save(buf)
        data = buf.getvalue()
        times = []
        for _ in range(4):
            t0 = time.perf_counter()
            r = client.post(
                "/api/v1/progress-uploads?dry_run=true", headers=H, files={"file": ("f.xlsx", data)}
            )
            times.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text[:500]
        body = r.json()
        t0 = time.perf_counter()
        r = client.post("/api/v1/progress-uploads", headers=H, files={"file": ("f.xlsx", data)})
        real = time.perf_counter() - t0
        assert r.status_code == 201, r.text[:500]
        print(
            f"park {park['id']}: {rows} rows in the template, stored {r.json()['rows_stored']}, "
            f"unchanged {body['rows_unchanged']}; dry runs {[round(x, 2) for x in times]} s "
            f"(median {statistics.median(times):.2f} s); real upload {real:.2f} s"
        )
finally:
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
