//! The whole data model: reference data, tasks, monthly reports, blockers, people, audit.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `created_at`, `updated_at` and `version`, for objects that change.
fn versioned(mut table: TableCreateStatement) -> TableCreateStatement {
    table
        .col(integer("version").default(1))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"));
    table
}

fn fk(from_table: &'static str, from_col: &'static str, to_table: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table, from_col)
        .to(to_table, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .take()
}

fn index(table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(format!("ix_{}_{}", table, cols.join("_"))).table(table);
    for col in cols {
        stmt.col(*col);
    }
    stmt.take()
}

fn unique(table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = index(table, cols);
    stmt.name(format!("ux_{}_{}", table, cols.join("_"))).unique();
    stmt
}

fn tables() -> Vec<TableCreateStatement> {
    let ministries = versioned(
        Table::create()
            .table("ministries")
            .col(pk_uuid("id"))
            .col(string_len_uniq("code", 32))
            .col(string_len("name_vi", 300))
            .col(string_len("name_en", 300))
            .col(string_len("kind", 32))
            .col(string_len("search_text", 700))
            .take(),
    );
    let directives = versioned(
        Table::create()
            .table("directives")
            .col(pk_uuid("id"))
            .col(string_len_uniq("number", 100))
            .col(text("title"))
            .col(string_len("issuer", 300))
            .col(date("issued_on"))
            .col(text_null("summary"))
            .col(text("search_text"))
            .take(),
    );
    let working_groups = versioned(
        Table::create()
            .table("working_groups")
            .col(pk_uuid("id"))
            .col(string_len("name_vi", 500))
            .col(string_len("name_en", 500))
            .col(text_null("description"))
            .col(uuid_null("directive_id"))
            .col(uuid_null("secretariat_ministry_id"))
            .foreign_key(&mut fk("working_groups", "directive_id", "directives"))
            .foreign_key(&mut fk("working_groups", "secretariat_ministry_id", "ministries"))
            .take(),
    );
    let members = Table::create()
        .table("working_group_members")
        .col(pk_uuid("id"))
        .col(uuid("working_group_id"))
        .col(uuid_null("ministry_id"))
        .col(string_len_null("person_name", 200))
        .col(string_len("title", 300))
        .col(string_len("role", 32))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut fk("working_group_members", "working_group_id", "working_groups"))
        .foreign_key(&mut fk("working_group_members", "ministry_id", "ministries"))
        .take();
    let tasks = versioned(
        Table::create()
            .table("tasks")
            .col(pk_uuid("id"))
            .col(string_len_uniq("code", 64))
            .col(text("title"))
            .col(text_null("description"))
            .col(string_len("status", 32))
            .col(uuid("lead_ministry_id"))
            .col(uuid_null("working_group_id"))
            .col(uuid_null("directive_id"))
            .col(string_len_null("focal_person_name", 200))
            .col(string_len_null("focal_person_title", 300))
            .col(date_null("due_date"))
            .col(text_null("approving_authority"))
            .col(text_null("expected_output"))
            .col(text_null("resources"))
            .col(timestamp_with_time_zone_null("completed_at"))
            .col(boolean_null("completed_on_time"))
            .col(text_null("cancel_reason"))
            .col(text("search_text"))
            .foreign_key(&mut fk("tasks", "lead_ministry_id", "ministries"))
            .foreign_key(&mut fk("tasks", "working_group_id", "working_groups"))
            .foreign_key(&mut fk("tasks", "directive_id", "directives"))
            .take(),
    );
    let cooperators = Table::create()
        .table("task_cooperators")
        .col(uuid("task_id"))
        .col(uuid("ministry_id"))
        .primary_key(Index::create().col("task_id").col("ministry_id"))
        .foreign_key(&mut fk("task_cooperators", "task_id", "tasks").on_delete(ForeignKeyAction::Cascade).take())
        .foreign_key(&mut fk("task_cooperators", "ministry_id", "ministries"))
        .take();
    let reports = versioned(
        Table::create()
            .table("monthly_reports")
            .col(pk_uuid("id"))
            .col(uuid("task_id"))
            .col(uuid("ministry_id"))
            .col(string_len("period", 7))
            .col(string_len("status", 32))
            .col(integer("progress_percent").check(Expr::col("progress_percent").between(0, 100)))
            .col(string_len("health", 32))
            .col(text("summary"))
            .col(text_null("achievements"))
            .col(text_null("next_steps"))
            .col(timestamp_with_time_zone_null("submitted_at"))
            .col(uuid_null("submitted_by"))
            .col(string_len_null("submitted_by_name", 300))
            .col(boolean("late").default(false))
            .col(integer("revision").default(0))
            .col(text_null("review_comment"))
            .col(timestamp_with_time_zone_null("reviewed_at"))
            .col(uuid_null("reviewed_by"))
            .col(string_len_null("reviewed_by_name", 300))
            .foreign_key(&mut fk("monthly_reports", "task_id", "tasks"))
            .foreign_key(&mut fk("monthly_reports", "ministry_id", "ministries"))
            .take(),
    );
    let revisions = Table::create()
        .table("report_revisions")
        .col(pk_uuid("id"))
        .col(uuid("report_id"))
        .col(integer("revision"))
        .col(integer("progress_percent").check(Expr::col("progress_percent").between(0, 100)))
        .col(string_len("health", 32))
        .col(text("summary"))
        .col(text_null("achievements"))
        .col(text_null("next_steps"))
        .col(timestamp_with_time_zone("submitted_at"))
        .col(uuid("submitted_by"))
        .col(string_len("submitted_by_name", 300))
        .col(boolean("late"))
        .foreign_key(&mut fk("report_revisions", "report_id", "monthly_reports"))
        .take();
    let blockers = versioned(
        Table::create()
            .table("blockers")
            .col(pk_uuid("id"))
            .col(text("title"))
            .col(text("description"))
            .col(string_len("severity", 32))
            .col(string_len("category", 32))
            .col(string_len("status", 32))
            .col(string_len("origin", 32))
            .col(string_len_null("origin_name", 300))
            .col(uuid("raised_by_ministry_id"))
            .col(uuid("raised_by_actor_id"))
            .col(string_len("raised_by_actor_name", 300))
            .col(uuid_null("responsible_ministry_id"))
            .col(uuid_null("task_id"))
            .col(date_null("due_date"))
            .col(text_null("resolution"))
            .col(text_null("escalated_to"))
            .col(text_null("escalation_reason"))
            .col(timestamp_with_time_zone_null("resolved_at"))
            .col(text("search_text"))
            .foreign_key(&mut fk("blockers", "raised_by_ministry_id", "ministries"))
            .foreign_key(&mut fk("blockers", "responsible_ministry_id", "ministries"))
            .foreign_key(&mut fk("blockers", "task_id", "tasks"))
            .take(),
    );
    let events = Table::create()
        .table("blocker_events")
        .col(pk_uuid("id"))
        .col(uuid("blocker_id"))
        .col(integer("seq"))
        .col(string_len("kind", 32))
        .col(string_len_null("from_status", 32))
        .col(string_len("to_status", 32))
        .col(uuid("actor_id"))
        .col(string_len("actor_name", 300))
        .col(text_null("note"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut fk("blocker_events", "blocker_id", "blockers"))
        .take();
    let users = versioned(
        Table::create()
            .table("users")
            .col(pk_uuid("id"))
            .col(string_len_uniq("username", 100))
            .col(string_len("display_name", 300))
            .col(string_len("role", 32))
            .col(uuid_null("ministry_id"))
            .col(string_len("password_hash", 200))
            .col(boolean("active").default(true))
            .foreign_key(&mut fk("users", "ministry_id", "ministries"))
            .take(),
    );
    let tokens = Table::create()
        .table("service_tokens")
        .col(pk_uuid("id"))
        .col(string_len("name", 200))
        .col(string_len_uniq("token_hash", 64))
        .col(string_len("scopes", 500))
        .col(uuid_null("ministry_id"))
        .col(uuid_null("created_by"))
        .col(timestamp_with_time_zone_null("expires_at"))
        .col(timestamp_with_time_zone_null("revoked_at"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut fk("service_tokens", "ministry_id", "ministries"))
        .take();
    let audit = Table::create()
        .table("audit_events")
        .col(pk_uuid("id"))
        .col(uuid_null("actor_id"))
        .col(string_len("actor_name", 300))
        .col(string_len("actor_role", 32))
        .col(string_len("operation", 100))
        .col(string_len("object_type", 100))
        .col(uuid_null("object_id"))
        .col(json_null("before"))
        .col(json_null("after"))
        .col(string_len_null("request_id", 100))
        .col(timestamp_with_time_zone("created_at"))
        .take();
    let idempotency = Table::create()
        .table("idempotency_keys")
        .col(uuid("principal_id"))
        .col(string_len("operation", 100))
        .col(string_len("key", 200))
        .col(string_len("request_hash", 64))
        .col(uuid("object_id"))
        .col(timestamp_with_time_zone("created_at"))
        .primary_key(Index::create().col("principal_id").col("operation").col("key"))
        .take();
    vec![
        ministries,
        directives,
        working_groups,
        members,
        tasks,
        cooperators,
        reports,
        revisions,
        blockers,
        events,
        users,
        tokens,
        audit,
        idempotency,
    ]
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        index("working_group_members", &["working_group_id"]),
        index("tasks", &["lead_ministry_id"]),
        index("tasks", &["status", "due_date"]),
        index("tasks", &["due_date", "id"]),
        index("tasks", &["directive_id"]),
        index("tasks", &["working_group_id"]),
        index("tasks", &["updated_at", "id"]),
        index("task_cooperators", &["ministry_id"]),
        unique("monthly_reports", &["task_id", "ministry_id", "period"]),
        index("monthly_reports", &["period", "ministry_id"]),
        index("monthly_reports", &["ministry_id", "period"]),
        unique("report_revisions", &["report_id", "revision"]),
        index("blockers", &["status", "created_at"]),
        index("blockers", &["responsible_ministry_id", "status"]),
        index("blockers", &["raised_by_ministry_id", "status"]),
        index("blockers", &["task_id"]),
        index("blockers", &["updated_at", "id"]),
        index("blockers", &["created_at", "id"]),
        unique("blocker_events", &["blocker_id", "seq"]),
        index("users", &["ministry_id"]),
        index("audit_events", &["created_at", "id"]),
        index("audit_events", &["object_id"]),
        index("audit_events", &["actor_id", "created_at"]),
        index("idempotency_keys", &["created_at"]),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables().into_iter().rev() {
            let name = table.get_table_name().cloned().ok_or_else(|| DbErr::Migration("unnamed table".into()))?;
            manager.drop_table(Table::drop().table(name).to_owned()).await?;
        }
        Ok(())
    }
}
