-- The statements of one POST /projects/{code}/progress, as the service sends them, replayed
-- by pgbench: the database's own ceiling for reports on this machine (bench/report-ceiling.sh).
-- The token check, then one transaction: lock the project, read its history, insert the
-- entry, update the project's figures. A random revision keeps the unique key free.
\set project random(1, :max_project_id)
\set percent random(1, 99)
SELECT id, name, role, park_id, revoked_at, expires_at, last_used_at FROM api_token WHERE token_hash = 'pgbench';
BEGIN;
SELECT id, code, park_id, archived_at FROM project WHERE id = :project FOR UPDATE;
SELECT period, revision, status, percent_complete, invested_to_date_wan, issues FROM progress_entry WHERE project_id = :project;
INSERT INTO progress_entry (project_id, as_of, period, revision, status, percent_complete, invested_to_date_wan, note, issues, is_baseline, reporter_name, reporter_role, reporter_token_id, received_at, review_state, review_comment) VALUES (:project, '2026-11-15', '2026-11', 1000 + (random() * 1000000000)::int, 'under_construction', :percent, NULL, '压测报告', '', false, 'pgbench', 'admin', NULL, now(), 'submitted', '') RETURNING *;
UPDATE project SET status = 'under_construction', percent_complete = :percent, invested_to_date_wan = NULL, open_issues = false, updated_at = now() WHERE id = :project;
COMMIT;
