//! Counts kept by the database for the monthly summary, so that a dashboard reads a row per
//! ministry instead of every task and every unresolved blocker.
//!
//! - `task_tallies`: tasks of a working group per lead ministry, status and whether a completed
//!   task was on time.
//! - `blocker_tallies`: unresolved blockers per holder (the responsible ministry once forwarded,
//!   else the raiser) and severity.
//!
//! Triggers keep them in the same transaction as the write, whatever writes the row, and the
//! migration fills them from the rows already there. Counts that depend on today's date (overdue,
//! due soon, blocker ages) are not kept: they are range counts over indexes, and the index
//! `(working_group_id, status, due_date)` added here serves the task ones.
//!
//! On PostgreSQL, an update that moves a row between two tally rows changes them in key order, so
//! two such updates moving in opposite directions cannot deadlock.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: &str = "
CREATE TABLE task_tallies (
    working_group_id {uuid} NOT NULL,
    lead_ministry_id {uuid} NOT NULL,
    status VARCHAR(32) NOT NULL,
    completed_on_time BOOLEAN NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (working_group_id, lead_ministry_id, status, completed_on_time)
);
CREATE TABLE blocker_tallies (
    holder_ministry_id {uuid} NOT NULL,
    severity VARCHAR(32) NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (holder_ministry_id, severity)
);
INSERT INTO task_tallies (working_group_id, lead_ministry_id, status, completed_on_time, n)
    SELECT working_group_id, lead_ministry_id, status, COALESCE(completed_on_time, FALSE), COUNT(*)
    FROM tasks WHERE working_group_id IS NOT NULL
    GROUP BY working_group_id, lead_ministry_id, status, COALESCE(completed_on_time, FALSE);
INSERT INTO blocker_tallies (holder_ministry_id, severity, n)
    SELECT COALESCE(responsible_ministry_id, raised_by_ministry_id), severity, COUNT(*)
    FROM blockers WHERE status IN ('OPEN', 'FORWARDED', 'IN_PROGRESS', 'ESCALATED')
    GROUP BY COALESCE(responsible_ministry_id, raised_by_ministry_id), severity;
CREATE INDEX ix_tasks_group_status_due ON tasks (working_group_id, status, due_date);
";

/// SQLite: writes are serialized, so each trigger takes away the old row's count and adds the new
/// one's. `X` stands for `OLD` or `NEW`.
const SQLITE_TRIGGERS: &str = "
CREATE TRIGGER task_tallies_insert AFTER INSERT ON tasks WHEN NEW.working_group_id IS NOT NULL BEGIN
    {task_add_NEW}
END;
CREATE TRIGGER task_tallies_delete AFTER DELETE ON tasks WHEN OLD.working_group_id IS NOT NULL BEGIN
    {task_sub_OLD}
END;
CREATE TRIGGER task_tallies_update
AFTER UPDATE OF working_group_id, lead_ministry_id, status, completed_on_time ON tasks BEGIN
    {task_sub_OLD}
    {task_add_NEW}
END;
CREATE TRIGGER blocker_tallies_insert AFTER INSERT ON blockers BEGIN
    {blocker_add_NEW}
END;
CREATE TRIGGER blocker_tallies_delete AFTER DELETE ON blockers BEGIN
    {blocker_sub_OLD}
END;
CREATE TRIGGER blocker_tallies_update
AFTER UPDATE OF status, severity, responsible_ministry_id, raised_by_ministry_id ON blockers BEGIN
    {blocker_sub_OLD}
    {blocker_add_NEW}
END;
";

const SQLITE_TASK_ADD: &str =
    "INSERT INTO task_tallies (working_group_id, lead_ministry_id, status, completed_on_time, n)
        SELECT X.working_group_id, X.lead_ministry_id, X.status, COALESCE(X.completed_on_time, FALSE), 1
        WHERE X.working_group_id IS NOT NULL
        ON CONFLICT (working_group_id, lead_ministry_id, status, completed_on_time) DO UPDATE SET n = n + 1;";
const SQLITE_TASK_SUB: &str = "UPDATE task_tallies SET n = n - 1
        WHERE working_group_id = X.working_group_id AND lead_ministry_id = X.lead_ministry_id
          AND status = X.status AND completed_on_time = COALESCE(X.completed_on_time, FALSE);";
const SQLITE_BLOCKER_ADD: &str = "INSERT INTO blocker_tallies (holder_ministry_id, severity, n)
        SELECT COALESCE(X.responsible_ministry_id, X.raised_by_ministry_id), X.severity, 1
        WHERE X.status IN ('OPEN', 'FORWARDED', 'IN_PROGRESS', 'ESCALATED')
        ON CONFLICT (holder_ministry_id, severity) DO UPDATE SET n = n + 1;";
const SQLITE_BLOCKER_SUB: &str = "UPDATE blocker_tallies SET n = n - 1
        WHERE X.status IN ('OPEN', 'FORWARDED', 'IN_PROGRESS', 'ESCALATED')
          AND holder_ministry_id = COALESCE(X.responsible_ministry_id, X.raised_by_ministry_id)
          AND severity = X.severity;";

/// PostgreSQL: one function per table works out the old and new keys and applies the two changes
/// in key order.
const POSTGRES_FUNCTIONS: &str = r#"
CREATE FUNCTION task_tallies_add(g uuid, l uuid, s text, t boolean, d bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO task_tallies (working_group_id, lead_ministry_id, status, completed_on_time, n)
    VALUES (g, l, s, t, d)
    ON CONFLICT (working_group_id, lead_ministry_id, status, completed_on_time)
    DO UPDATE SET n = task_tallies.n + EXCLUDED.n
$$;
CREATE FUNCTION task_tallies_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    has_old boolean := false;
    has_new boolean := false;
    og uuid; ol uuid; os text; ot boolean;
    ng uuid; nl uuid; ns text; nt boolean;
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.working_group_id IS NOT NULL THEN
        has_old := true;
        og := OLD.working_group_id; ol := OLD.lead_ministry_id; os := OLD.status::text;
        ot := COALESCE(OLD.completed_on_time, FALSE);
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.working_group_id IS NOT NULL THEN
        has_new := true;
        ng := NEW.working_group_id; nl := NEW.lead_ministry_id; ns := NEW.status::text;
        nt := COALESCE(NEW.completed_on_time, FALSE);
    END IF;
    IF has_old AND has_new AND (og, ol, os, ot) = (ng, nl, ns, nt) THEN
        RETURN NULL;
    END IF;
    IF has_old AND has_new AND (og, ol, os, ot) > (ng, nl, ns, nt) THEN
        PERFORM task_tallies_add(ng, nl, ns, nt, 1);
        PERFORM task_tallies_add(og, ol, os, ot, -1);
        RETURN NULL;
    END IF;
    IF has_old THEN
        PERFORM task_tallies_add(og, ol, os, ot, -1);
    END IF;
    IF has_new THEN
        PERFORM task_tallies_add(ng, nl, ns, nt, 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE FUNCTION blocker_tallies_add(h uuid, s text, d bigint) RETURNS void LANGUAGE sql AS $$
    INSERT INTO blocker_tallies (holder_ministry_id, severity, n) VALUES (h, s, d)
    ON CONFLICT (holder_ministry_id, severity) DO UPDATE SET n = blocker_tallies.n + EXCLUDED.n
$$;
CREATE FUNCTION blocker_tallies_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    has_old boolean := false;
    has_new boolean := false;
    oh uuid; os text;
    nh uuid; ns text;
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status IN ('OPEN', 'FORWARDED', 'IN_PROGRESS', 'ESCALATED') THEN
        has_old := true;
        oh := COALESCE(OLD.responsible_ministry_id, OLD.raised_by_ministry_id); os := OLD.severity::text;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status IN ('OPEN', 'FORWARDED', 'IN_PROGRESS', 'ESCALATED') THEN
        has_new := true;
        nh := COALESCE(NEW.responsible_ministry_id, NEW.raised_by_ministry_id); ns := NEW.severity::text;
    END IF;
    IF has_old AND has_new AND (oh, os) = (nh, ns) THEN
        RETURN NULL;
    END IF;
    IF has_old AND has_new AND (oh, os) > (nh, ns) THEN
        PERFORM blocker_tallies_add(nh, ns, 1);
        PERFORM blocker_tallies_add(oh, os, -1);
        RETURN NULL;
    END IF;
    IF has_old THEN
        PERFORM blocker_tallies_add(oh, os, -1);
    END IF;
    IF has_new THEN
        PERFORM blocker_tallies_add(nh, ns, 1);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER task_tallies_change AFTER INSERT OR DELETE
    OR UPDATE OF working_group_id, lead_ministry_id, status, completed_on_time ON tasks
    FOR EACH ROW EXECUTE FUNCTION task_tallies_change();
CREATE TRIGGER blocker_tallies_change AFTER INSERT OR DELETE
    OR UPDATE OF status, severity, responsible_ministry_id, raised_by_ministry_id ON blockers
    FOR EACH ROW EXECUTE FUNCTION blocker_tallies_change();
"#;

fn sqlite_triggers() -> String {
    let row = |sql: &str, which: &str| sql.replace("X.", &format!("{which}."));
    SQLITE_TRIGGERS
        .replace("{task_add_NEW}", &row(SQLITE_TASK_ADD, "NEW"))
        .replace("{task_sub_OLD}", &row(SQLITE_TASK_SUB, "OLD"))
        .replace("{blocker_add_NEW}", &row(SQLITE_BLOCKER_ADD, "NEW"))
        .replace("{blocker_sub_OLD}", &row(SQLITE_BLOCKER_SUB, "OLD"))
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let (uuid, triggers) = match manager.get_database_backend() {
            // SQLite's planner knows nothing of a new index until it is analyzed, and guessed it
            // selective enough to start a join of reports and tasks from it.
            DbBackend::Sqlite => ("BLOB", sqlite_triggers() + "ANALYZE tasks;"),
            _ => ("UUID", POSTGRES_FUNCTIONS.to_owned()),
        };
        db.execute_unprepared(&TABLES.replace("{uuid}", uuid)).await?;
        db.execute_unprepared(&triggers).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let drop = match manager.get_database_backend() {
            DbBackend::Sqlite => {
                "DROP TRIGGER task_tallies_insert; DROP TRIGGER task_tallies_delete; DROP TRIGGER task_tallies_update;
                 DROP TRIGGER blocker_tallies_insert; DROP TRIGGER blocker_tallies_delete;
                 DROP TRIGGER blocker_tallies_update;"
            }
            _ => {
                "DROP TRIGGER task_tallies_change ON tasks; DROP TRIGGER blocker_tallies_change ON blockers;
                 DROP FUNCTION task_tallies_change(); DROP FUNCTION blocker_tallies_change();
                 DROP FUNCTION task_tallies_add(uuid, uuid, text, boolean, bigint);
                 DROP FUNCTION blocker_tallies_add(uuid, text, bigint);"
            }
        };
        db.execute_unprepared(drop).await?;
        db.execute_unprepared(
            "DROP INDEX ix_tasks_group_status_due; DROP TABLE task_tallies; DROP TABLE blocker_tallies;",
        )
        .await?;
        Ok(())
    }
}
