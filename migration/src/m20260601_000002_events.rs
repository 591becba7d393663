//! Events for subscribers and scripts: the outbox (written in the same transaction as the change),
//! webhooks and their deliveries, and the record of urgings (at most one per ministry and period).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn tables() -> Vec<TableCreateStatement> {
    let outbox = Table::create()
        .table("outbox_events")
        .col(big_pk_auto("id"))
        .col(string_len("topic", 32))
        .col(string_len("kind", 64))
        .col(uuid_null("object_id"))
        .col(json("payload"))
        .col(timestamp_with_time_zone("created_at"))
        .take();
    let webhooks = Table::create()
        .table("webhooks")
        .col(pk_uuid("id"))
        .col(string_len("url", 2000))
        .col(string_len("events", 2000))
        .col(string_len("secret", 200))
        .col(boolean("active").default(true))
        .col(uuid_null("created_by"))
        .col(integer("version").default(1))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
        .take();
    let deliveries = Table::create()
        .table("webhook_deliveries")
        .col(pk_uuid("id"))
        .col(uuid("webhook_id"))
        .col(big_integer("outbox_id"))
        .col(string_len("event", 64))
        .col(string_len("status", 32))
        .col(integer("attempts").default(0))
        .col(timestamp_with_time_zone("next_attempt_at"))
        .col(timestamp_with_time_zone_null("lease_until"))
        .col(integer_null("last_status_code"))
        .col(text_null("last_error"))
        .col(timestamp_with_time_zone_null("delivered_at"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(
            ForeignKey::create()
                .name("fk_webhook_deliveries_webhook_id")
                .from("webhook_deliveries", "webhook_id")
                .to("webhooks", "id")
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_webhook_deliveries_outbox_id")
                .from("webhook_deliveries", "outbox_id")
                .to("outbox_events", "id")
                .on_delete(ForeignKeyAction::Restrict),
        )
        .take();
    let urgings = Table::create()
        .table("urgings")
        .col(uuid("ministry_id"))
        .col(string_len("period", 7))
        .col(integer("missing"))
        .col(timestamp_with_time_zone("created_at"))
        .primary_key(Index::create().col("ministry_id").col("period"))
        .foreign_key(
            ForeignKey::create()
                .name("fk_urgings_ministry_id")
                .from("urgings", "ministry_id")
                .to("ministries", "id")
                .on_delete(ForeignKeyAction::Restrict),
        )
        .take();
    vec![outbox, webhooks, deliveries, urgings]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_deliveries_due")
                    .table("webhook_deliveries")
                    .col("status")
                    .col("next_attempt_at")
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_deliveries_webhook")
                    .table("webhook_deliveries")
                    .col("webhook_id")
                    .col("created_at")
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create().name("ix_outbox_events_created_at").table("outbox_events").col("created_at").take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in ["urgings", "webhook_deliveries", "webhooks", "outbox_events"] {
            manager.drop_table(Table::drop().table(name).to_owned()).await?;
        }
        Ok(())
    }
}
