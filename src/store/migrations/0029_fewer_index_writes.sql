-- 0029_fewer_index_writes.sql: two indexes that every submission wrote and few or no
-- queries read (issue 19; bench/README.md "Third pass").
--
-- audit_events_actor (actor_id, at): no query uses it. The auditor's desk filters actors
-- with COALESCE(actor_id, 0) BETWEEN ? AND ? and the admin list with (? = 0 OR actor_id = ?),
-- both read in id order (EXPLAIN: a scan of the table on SQLite, a sequential scan on
-- PostgreSQL, with or without the index). Every audited write still paid one index page.
DROP INDEX audit_events_actor;

-- notify_messages_department: read only for a department's inbox, whose queries all say
-- `department_id = ? AND account_id = 0`. A citizen's message (account_id <> 0, the common
-- case) no longer writes it.
DROP INDEX notify_messages_department;
CREATE INDEX notify_messages_department ON notify_messages (department_id, id)
    WHERE account_id = 0;
