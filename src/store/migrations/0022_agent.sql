-- 0022_agent.sql: 帮办代办 with consent (issue 13 item 8; src/agent/, docs/internals/agent.md).
-- A citizen's recorded consent that another account (a family member) may act for them,
-- scoped to service items and a time window; which sessions act for whom now; and what
-- was done while acting, for the citizen's "who used my data" page.

-- The agent is an account (agent_id; department_id NULL) or a department's 帮办 desk
-- (department_id; agent_id 0): any clerk of that department may act.
-- scope: "*" (every service) or service item codes separated by single spaces.
-- revoked_at is set once (by the citizen); a consent is never deleted, so the audit
-- records and the acts below keep naming it.
CREATE TABLE agent_consents (
    id          BIGINT PRIMARY KEY,
    citizen_id  BIGINT NOT NULL,
    agent_id    BIGINT NOT NULL,
    department_id BIGINT,
    scope       TEXT NOT NULL,
    valid_from  BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX agent_consents_citizen ON agent_consents (citizen_id, id);
CREATE INDEX agent_consents_agent ON agent_consents (agent_id, id);
CREATE INDEX agent_consents_department ON agent_consents (department_id, id);

-- The session attribute "acting for": keyed by the session's token hash (as
-- web_sessions), so it ends with the session; the consent is checked again on every
-- request, never trusted from here.
CREATE TABLE agent_acting (
    session_hash TEXT PRIMARY KEY,
    agent_id     BIGINT NOT NULL,
    consent_id   BIGINT NOT NULL,
    started_at   BIGINT NOT NULL
);

-- What an agent did for a citizen (an application filed), written in the same
-- transaction as the act itself.
CREATE TABLE agent_acts (
    id          BIGINT PRIMARY KEY,
    consent_id  BIGINT NOT NULL,
    citizen_id  BIGINT NOT NULL,
    agent_id    BIGINT NOT NULL,
    action      TEXT NOT NULL,
    item_code   TEXT NOT NULL,
    case_number TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX agent_acts_citizen ON agent_acts (citizen_id, id);

-- An agent's login at a department system (src/oidc): the authorization code remembers
-- the agent acting for the account, for the RFC 8693 `act` claim of the tokens.
ALTER TABLE oidc_codes ADD COLUMN act_account BIGINT;

-- Staff revealing the full ID numbers of an application (apply_reveal_ids, audited as
-- apply.reveal_id), by applicant, for the applicant's "who used my data" page (issue 13
-- item 5): written in the reveal's transaction, read newest first by (applicant, id).
CREATE TABLE application_reveals (
    id                BIGINT PRIMARY KEY,
    application_id    BIGINT NOT NULL,
    case_number       TEXT NOT NULL,
    applicant_account BIGINT NOT NULL,
    staff_account     BIGINT NOT NULL,
    department_id     BIGINT NOT NULL,
    purpose           TEXT NOT NULL,
    at                BIGINT NOT NULL
);
CREATE INDEX application_reveals_applicant ON application_reveals (applicant_account, id);
