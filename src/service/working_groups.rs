//! Working groups (Tổ Công tác) and their members.

use super::audit::{self, snapshot, Change};
use super::{find, ministries, validate, Actor, AppState};
use crate::error::{AppError, AppResult};
use crate::service::access::Action;
use entity::enums::MemberRole;
use entity::working_group::{self, Entity as WorkingGroup};
use entity::working_group_member::{self, Entity as Member};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, ModelTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

pub async fn list(state: &AppState) -> AppResult<Vec<working_group::Model>> {
    Ok(WorkingGroup::find().order_by_asc(working_group::Column::CreatedAt).all(&state.db).await?)
}

pub struct WorkingGroupInput {
    pub name_vi: String,
    pub name_en: String,
    pub description: Option<String>,
    pub directive_id: Option<Uuid>,
    pub secretariat_ministry_id: Option<Uuid>,
}

pub async fn create(state: &AppState, actor: &Actor, input: WorkingGroupInput) -> AppResult<working_group::Model> {
    actor.principal.require(Action::ManageReference)?;
    let name_vi = validate::required("nameVi", &input.name_vi, 500)?;
    let name_en = validate::required("nameEn", &input.name_en, 500)?;
    let description = validate::optional("description", input.description.as_deref(), validate::LONG)?;
    let (_writer, txn) = state.begin_write().await?;
    if let Some(id) = input.directive_id {
        find::<_, entity::directive::Entity>(&txn, id, "directive").await?;
    }
    if let Some(id) = input.secretariat_ministry_id {
        ministries::require_id(&txn, "secretariatMinistryId", id).await?;
    }
    let now = state.clock.now();
    let model = working_group::ActiveModel {
        id: Set(Uuid::new_v4()),
        name_vi: Set(name_vi),
        name_en: Set(name_en),
        description: Set(description),
        directive_id: Set(input.directive_id),
        secretariat_ministry_id: Set(input.secretariat_ministry_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let change = Change::created("createWorkingGroup", "WorkingGroup", model.id, &model);
    audit::record(&txn, actor, now, change).await?;
    txn.commit().await?;
    Ok(model)
}

pub struct MemberInput {
    pub working_group_id: Uuid,
    pub ministry_id: Option<Uuid>,
    pub person_name: Option<String>,
    pub title: String,
    pub role: MemberRole,
}

pub async fn add_member(state: &AppState, actor: &Actor, input: MemberInput) -> AppResult<working_group::Model> {
    actor.principal.require(Action::ManageReference)?;
    let title = validate::required("title", &input.title, validate::SHORT)?;
    let person_name = validate::optional("personName", input.person_name.as_deref(), 200)?;
    let (_writer, txn) = state.begin_write().await?;
    let group = find::<_, WorkingGroup>(&txn, input.working_group_id, "working group").await?;
    if let Some(id) = input.ministry_id {
        ministries::require_id(&txn, "ministryId", id).await?;
        let existing = Member::find()
            .filter(working_group_member::Column::WorkingGroupId.eq(group.id))
            .filter(working_group_member::Column::MinistryId.eq(id))
            .one(&txn)
            .await?;
        if existing.is_some() {
            return Err(AppError::Conflict("this ministry is already a member of the working group".into()));
        }
    }
    let now = state.clock.now();
    let member = working_group_member::ActiveModel {
        id: Set(Uuid::new_v4()),
        working_group_id: Set(group.id),
        ministry_id: Set(input.ministry_id),
        person_name: Set(person_name),
        title: Set(title),
        role: Set(input.role),
        created_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let change = Change::created("addWorkingGroupMember", "WorkingGroup", group.id, &member);
    audit::record(&txn, actor, now, change).await?;
    txn.commit().await?;
    Ok(group)
}

pub async fn remove_member(state: &AppState, actor: &Actor, member_id: Uuid) -> AppResult<working_group::Model> {
    actor.principal.require(Action::ManageReference)?;
    let (_writer, txn) = state.begin_write().await?;
    let member = find::<_, Member>(&txn, member_id, "working group member").await?;
    let group = find::<_, WorkingGroup>(&txn, member.working_group_id, "working group").await?;
    let before = snapshot(&member);
    member.delete(&txn).await?;
    let now = state.clock.now();
    let change = Change {
        operation: "removeWorkingGroupMember",
        object_type: "WorkingGroup",
        object_id: Some(group.id),
        before,
        after: None,
    };
    audit::record(&txn, actor, now, change).await?;
    txn.commit().await?;
    Ok(group)
}
