//! Database entities of the coordination service, one module per table, and the domain enums
//! that the database stores as text.

pub mod enums;

pub mod audit_event;
pub mod blocker;
pub mod blocker_event;
pub mod directive;
pub mod idempotency_key;
pub mod ministry;
pub mod monthly_report;
pub mod outbox_event;
pub mod report_revision;
pub mod service_token;
pub mod task;
pub mod task_cooperator;
pub mod urging;
pub mod user;
pub mod webhook;
pub mod webhook_delivery;
pub mod working_group;
pub mod working_group_member;
