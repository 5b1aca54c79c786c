// The benchmark's baseline: the service's hottest reads as a thin REST layer over the same
// tables and the same SQL, with no framework logic beyond routing. What the service costs on
// top of this is what its own code adds.
import { createHash } from "node:crypto";

import Fastify from "fastify";
import postgres from "postgres";

const DATABASE_URL = process.env.BASELINE_DATABASE_URL;
const PORT = Number(process.env.PORT || 8100);
const POOL = Number(process.env.BASELINE_POOL || 10);
if (!DATABASE_URL) {
  console.error("BASELINE_DATABASE_URL (postgres://…) is required");
  process.exit(2);
}

// As the service: no JIT compilation (app/db.py).
const sql = postgres(DATABASE_URL, { max: POOL, idle_timeout: 60, connection: { jit: "off" } });
const app = Fastify({ logger: false });

const ENTRY_COLUMNS = sql`e.id, e.as_of, e.period, e.status, e.percent_complete,
  e.invested_to_date_wan, e.note, e.issues, e.revision, e.is_baseline, e.reporter_name,
  e.reporter_role, e.received_at, e.review_state, e.reviewer_name, e.reviewed_at,
  e.review_comment`;

function bearerDigest(request) {
  const header = request.headers.authorization || "";
  if (!header.startsWith("Bearer ")) return null;
  return createHash("sha256").update(header.slice(7)).digest("hex");
}

function unauthorized(reply) {
  return reply.code(401).send({ title: "Unauthorized", status: 401 });
}

// As the service: the token is looked up by its SHA-256 digest on every request.
async function authenticate(request, reply) {
  const digest = bearerDigest(request);
  if (!digest) {
    unauthorized(reply);
    return null;
  }
  const [token] = await sql`SELECT id, name, role, park_id, revoked_at
    FROM api_token WHERE token_hash = ${digest}`;
  if (!token || token.revoked_at) {
    unauthorized(reply);
    return null;
  }
  return token;
}

// A project's current entry: its newest period's newest revision.
function currentEntry(projectIds) {
  return sql`SELECT ${ENTRY_COLUMNS}, e.project_id FROM progress_entry e
    WHERE e.id IN (SELECT (SELECT n.id FROM progress_entry n WHERE n.project_id = p.id
                           ORDER BY n.period DESC, n.revision DESC LIMIT 1)
                   FROM project p WHERE p.id IN ${sql(projectIds)})`;
}

function projectPublic(row, entry) {
  const path = `/api/v1/projects/${row.code}`;
  return {
    code: row.code,
    category: row.category_id,
    category_name: row.category_name,
    seq: row.seq,
    name: row.name,
    park_id: row.park_id,
    park_name: row.park_name,
    printed_park_name: row.printed_park_name,
    content: row.content,
    start_year: row.start_year,
    end_year: row.end_year,
    total_investment_wan: Number(row.total_investment_wan),
    status: entry ? entry.status : "pre_construction",
    figures: "latest",
    latest_progress: entry ? { ...entry, project_code: row.code } : null,
    links: { self: path, progress: `${path}/progress` },
    archived_at: row.archived_at,
  };
}

const PROJECT_COLUMNS = sql`p.id, p.code, p.category_id, c.name AS category_name, p.seq, p.name,
  p.park_id, k.name AS park_name, p.printed_park_name, p.content, p.start_year, p.end_year,
  p.total_investment_wan, p.version, p.archived_at`;

// As the service: the token check, and the project with its category and park names and its
// current entry (joined through the correlated lookup of its id), in one statement.
app.get("/api/v1/projects/:code", async (request, reply) => {
  const digest = bearerDigest(request);
  if (!digest) return unauthorized(reply);
  const [row] = await sql`SELECT t.id AS token_id, t.name AS token_name, t.role AS token_role,
      t.park_id AS token_park_id, t.token_hash AS token_token_hash,
      t.last_used_at AS token_last_used_at, t.revoked_at AS token_revoked_at,
      t.expires_at AS token_expires_at, answer.*
    FROM api_token t LEFT JOIN (
      SELECT ${PROJECT_COLUMNS}, ${ENTRY_COLUMNS}, e.id AS entry_id, true AS read_found
      FROM project p JOIN category c ON c.id = p.category_id JOIN park k ON k.id = p.park_id
      LEFT JOIN progress_entry e ON e.id = (SELECT n.id FROM progress_entry n
        WHERE n.project_id = p.id ORDER BY n.period DESC, n.revision DESC LIMIT 1)
      WHERE p.code = ${request.params.code.toUpperCase()}) AS answer ON true
    WHERE t.token_hash = ${digest}`;
  if (!row || row.token_revoked_at) return unauthorized(reply);
  if (!row.read_found) return reply.code(404).send({ title: "Not Found", status: 404 });
  const entry = row.entry_id === null ? null : {
    id: row.entry_id, as_of: row.as_of, period: row.period, status: row.status,
    percent_complete: row.percent_complete, invested_to_date_wan: row.invested_to_date_wan,
    note: row.note, issues: row.issues, revision: row.revision, is_baseline: row.is_baseline,
    reporter_name: row.reporter_name, reporter_role: row.reporter_role,
    received_at: row.received_at, review_state: row.review_state,
    reviewer_name: row.reviewer_name, reviewed_at: row.reviewed_at,
    review_comment: row.review_comment,
  };
  reply.header("ETag", `W/"project-${row.code}-${row.version}"`);
  return projectPublic(row, entry);
});

app.get("/api/v1/projects", async (request, reply) => {
  if (!(await authenticate(request, reply))) return reply;
  const limit = Math.min(500, Math.max(1, Number(request.query.limit || 50)));
  const offset = Math.max(0, Number(request.query.offset || 0));
  const [{ total }] = await sql`SELECT count(*)::int AS total FROM project p
    WHERE p.archived_at IS NULL`;
  const rows = await sql`SELECT ${PROJECT_COLUMNS}
    FROM project p JOIN category c ON c.id = p.category_id JOIN park k ON k.id = p.park_id
    WHERE p.archived_at IS NULL ORDER BY c.position, p.seq LIMIT ${limit} OFFSET ${offset}`;
  const entries = rows.length ? await currentEntry(rows.map((r) => r.id)) : [];
  const byProject = new Map(entries.map((e) => [e.project_id, e]));
  const items = rows.map((r) => {
    const entry = byProject.get(r.id);
    if (entry) delete entry.project_id;
    return projectPublic(r, entry);
  });
  return { items, figures: "latest", total, limit, offset };
});

const STATUSES = ["pre_construction", "under_construction", "completed", "suspended", "cancelled"];

// The measures of every rollup group, as app/rollups/queries.py writes them.
function measures(referenceYear) {
  const reference = sql`${referenceYear}::float`;
  const expected = sql`CASE WHEN ${reference} < p.start_year THEN 0.0
    WHEN ${reference} > p.end_year + 1 THEN 1.0
    ELSE (${reference} - p.start_year) / CAST(p.end_year - p.start_year + 1 AS FLOAT) END`;
  const weight = sql`CAST(p.total_investment_wan AS FLOAT)`;
  const known = sql`(p.percent_complete IS NOT NULL
    OR p.invested_to_date_wan IS NOT NULL AND p.total_investment_wan > 0)`;
  const reported = sql`CASE WHEN p.percent_complete IS NOT NULL
      THEN ${weight} * CAST(p.percent_complete AS FLOAT) / 100
    ELSE CAST(p.invested_to_date_wan AS FLOAT) END`;
  return sql`count(*)::int AS project_count,
    coalesce(sum(p.total_investment_wan), 0)::bigint AS total_investment_wan,
    coalesce(sum(p.invested_to_date_wan), 0)::bigint AS invested_to_date_wan,
    count(*) FILTER (WHERE p.status = 'pre_construction')::int AS c0,
    count(*) FILTER (WHERE p.status = 'under_construction')::int AS c1,
    count(*) FILTER (WHERE p.status = 'completed')::int AS c2,
    count(*) FILTER (WHERE p.status = 'suspended')::int AS c3,
    count(*) FILTER (WHERE p.status = 'cancelled')::int AS c4,
    count(*) FILTER (WHERE p.open_issues)::int AS open_blockers,
    sum(${weight} * ${expected} - ${reported}) FILTER (WHERE ${known}) AS gap_weighted,
    sum(${weight}) FILTER (WHERE ${known}) AS gap_weight`;
}

const DIMENSIONS = {
  park: { key: sql`p.park_id`, label: sql`k.name`, order: sql`min(k.position)`, id: "park_id", name: "park_name" },
  category: { key: sql`p.category_id`, label: sql`c.name`, order: sql`min(c.position)`, id: "category", name: "category_name" },
};

function shape(row) {
  const planned = Number(row.total_investment_wan);
  const invested = Number(row.invested_to_date_wan);
  const counts = {};
  STATUSES.forEach((s, i) => {
    counts[s] = row[`c${i}`];
  });
  return {
    project_count: row.project_count,
    total_investment_wan: planned,
    invested_to_date_wan: invested,
    completion_rate: planned ? Math.round((invested / planned) * 1e4) / 1e4 : null,
    status_counts: counts,
    open_blockers: row.open_blockers,
    schedule_gap_pct: row.gap_weight ? Math.round((1000 * row.gap_weighted) / row.gap_weight) / 10 : null,
  };
}

// As the service on PostgreSQL: every grouping of a request from one GROUPING SETS scan;
// GROUPING() tells which grouping a row belongs to (a bit per dimension left out).
async function groupings(dims, sets, referenceYear) {
  const keys = dims.map((d, i) => sql`${d.key} AS key_${sql.unsafe(String(i))},
    ${d.label} AS label_${sql.unsafe(String(i))},
    CASE WHEN grouping(${d.key}) = 0 THEN ${d.order} END AS order_${sql.unsafe(String(i))}`);
  const list = (parts) => parts.reduce((a, b) => sql`${a}, ${b}`);
  const groupingSets = sets.map((set) =>
    set.length ? sql`(${list(set.flatMap((i) => [dims[i].key, dims[i].label]))})` : sql`()`);
  const result = await sql`SELECT ${list(keys)}, grouping(${list(dims.map((d) => d.key))})
      AS grouping, ${measures(referenceYear)}
    FROM project p JOIN park k ON k.id = p.park_id JOIN category c ON c.id = p.category_id
    WHERE p.archived_at IS NULL
    GROUP BY GROUPING SETS (${list(groupingSets)})
    ORDER BY grouping, ${list(dims.map((_, i) => sql`order_${sql.unsafe(String(i))}`))}`;
  return sets.map((set) => {
    const mask = dims.reduce((m, _, i) => (set.includes(i) ? m : m | (1 << (dims.length - 1 - i))), 0);
    return result.filter((row) => row.grouping === mask).map((row) => {
      const out = { ...row };
      set.forEach((i, j) => {
        out[`key_${j}`] = row[`key_${i}`];
        out[`label_${j}`] = row[`label_${i}`];
      });
      return out;
    });
  });
}

function rows(result, dims) {
  return result.map((row) => {
    const out = shape(row);
    dims.forEach((d, i) => {
      out[d.id] = row[`key_${i}`];
      out[d.name] = row[`label_${i}`];
    });
    return out;
  });
}

// As the service: the ETag's data version is read from the database on every request.
const DATA_VERSION = sql`SELECT (SELECT max(id) FROM progress_entry),
  (SELECT max(reviewed_at) FROM progress_entry), (SELECT max(updated_at) FROM project),
  (SELECT max(id) FROM project), (SELECT sum(version) FROM park)`;

app.get("/api/v1/rollups", async (request, reply) => {
  if (!(await authenticate(request, reply))) return reply;
  const by = String(request.query.by || "park").split(",");
  const dims = by.map((name) => DIMENSIONS[name]);
  if (!dims.length || dims.length > 2 || dims.some((d) => !d)) {
    return reply.code(422).send({ title: "Unprocessable Entity", status: 422 });
  }
  const [version] = await sql`${DATA_VERSION}`.values();
  const etag = createHash("sha256").update(`${version.join("|")}\n${request.url}`).digest("hex");
  reply.header("ETag", `W/"${etag.slice(0, 32)}"`);
  const now = new Date();
  const start = Date.UTC(now.getUTCFullYear(), 0, 1);
  const referenceYear = now.getUTCFullYear() + (now - start) / (366 * 86400e3);
  const sets = dims.length === 2 ? [[0, 1], [0], [1], []] : [[0], []];
  const results = await groupings(dims, sets, referenceYear);
  const [main, first, second] = dims.length === 2 ? results : [results[0], null, null];
  const total = results[results.length - 1];
  return {
    by,
    figures: "latest",
    rows: rows(main, dims),
    ...(first ? { row_totals: rows(first, dims.slice(0, 1)) } : {}),
    ...(second ? { column_totals: rows(second, dims.slice(1)) } : {}),
    totals: shape(total[0]),
  };
});

app.get("/healthz", async () => ({ status: "ok" }));

const shutdown = async () => {
  await app.close();
  await sql.end({ timeout: 5 });
  process.exit(0);
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

await app.listen({ host: "127.0.0.1", port: PORT });
