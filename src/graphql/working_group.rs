//! Working groups.

use super::direct::Direct;
use super::directive::{self, Directive};
use super::loaders::{MembersOf, WorkingGroupId};
use super::ministry::{self, Ministry};
use super::{actor, id, loader, opt_uuid, state, uuid};
use crate::service::access::Action;
use crate::service::working_groups::{self, MemberInput, WorkingGroupInput};
use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use entity::enums::MemberRole;
use entity::{working_group, working_group_member};

pub struct WorkingGroup(pub working_group::Model);

/// A working group, such as the Government Working Group on strategic technology (Tổ Công tác).
#[Object]
impl WorkingGroup {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name_vi(&self) -> &str {
        &self.0.name_vi
    }
    async fn name_en(&self) -> &str {
        &self.0.name_en
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The directive that established it.
    async fn directive(&self, ctx: &Context<'_>) -> Result<Option<Directive>> {
        match self.0.directive_id {
            Some(id) => directive::load(ctx, id).await,
            None => Ok(None),
        }
    }
    /// The ministry acting as its Secretariat (Cơ quan thường trực).
    async fn secretariat(&self, ctx: &Context<'_>) -> Result<Option<Direct<Ministry>>> {
        match self.0.secretariat_ministry_id {
            Some(id) => ministry::load(ctx, id).await,
            None => Ok(None),
        }
    }
    /// Its chair, vice-chairs, members and standing members.
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<WorkingGroupMember>> {
        let rows = loader(ctx)?.load_one(MembersOf(self.0.id)).await?.unwrap_or_default();
        Ok(rows.into_iter().map(WorkingGroupMember).collect())
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

pub struct WorkingGroupMember(pub working_group_member::Model);

/// A seat in a working group.
#[Object]
impl WorkingGroupMember {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// The person, when named.
    async fn person_name(&self) -> Option<&str> {
        self.0.person_name.as_deref()
    }
    /// E.g. "Bộ trưởng Bộ Tài chính".
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn role(&self) -> MemberRole {
        self.0.role
    }
    /// The ministry the member represents, if any.
    async fn ministry(&self, ctx: &Context<'_>) -> Result<Option<Direct<Ministry>>> {
        match self.0.ministry_id {
            Some(id) => ministry::load(ctx, id).await,
            None => Ok(None),
        }
    }
}

pub(crate) async fn load(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Option<WorkingGroup>> {
    Ok(loader(ctx)?.load_one(WorkingGroupId(id)).await?.map(|m| WorkingGroup(std::sync::Arc::unwrap_or_clone(m))))
}

#[derive(Default)]
pub struct WorkingGroupQuery;

#[Object]
impl WorkingGroupQuery {
    /// All working groups.
    async fn working_groups(&self, ctx: &Context<'_>) -> Result<Vec<WorkingGroup>> {
        actor(ctx)?.principal.require(Action::ReadReference)?;
        Ok(working_groups::list(state(ctx)?).await?.into_iter().map(WorkingGroup).collect())
    }

    async fn working_group(&self, ctx: &Context<'_>, id: ID) -> Result<Option<WorkingGroup>> {
        actor(ctx)?.principal.require(Action::ReadReference)?;
        load(ctx, uuid("id", &id)?).await
    }
}

/// A new working group.
#[derive(InputObject)]
pub struct CreateWorkingGroupInput {
    pub name_vi: String,
    pub name_en: String,
    pub description: Option<String>,
    pub directive_id: Option<ID>,
    pub secretariat_ministry_id: Option<ID>,
}

/// A new seat in a working group.
#[derive(InputObject)]
pub struct AddWorkingGroupMemberInput {
    pub working_group_id: ID,
    pub ministry_id: Option<ID>,
    pub person_name: Option<String>,
    pub title: String,
    pub role: MemberRole,
}

#[derive(Default)]
pub struct WorkingGroupMutation;

#[Object]
impl WorkingGroupMutation {
    /// Creates a working group (ADMIN, SECRETARIAT).
    async fn create_working_group(&self, ctx: &Context<'_>, input: CreateWorkingGroupInput) -> Result<WorkingGroup> {
        let input = WorkingGroupInput {
            name_vi: input.name_vi,
            name_en: input.name_en,
            description: input.description,
            directive_id: opt_uuid("directiveId", &input.directive_id)?,
            secretariat_ministry_id: opt_uuid("secretariatMinistryId", &input.secretariat_ministry_id)?,
        };
        Ok(WorkingGroup(working_groups::create(state(ctx)?, actor(ctx)?, input).await?))
    }

    /// Adds a member; returns the working group (ADMIN, SECRETARIAT).
    async fn add_working_group_member(
        &self,
        ctx: &Context<'_>,
        input: AddWorkingGroupMemberInput,
    ) -> Result<WorkingGroup> {
        let input = MemberInput {
            working_group_id: uuid("workingGroupId", &input.working_group_id)?,
            ministry_id: opt_uuid("ministryId", &input.ministry_id)?,
            person_name: input.person_name,
            title: input.title,
            role: input.role,
        };
        Ok(WorkingGroup(working_groups::add_member(state(ctx)?, actor(ctx)?, input).await?))
    }

    /// Removes a member by the member's id; returns the working group (ADMIN, SECRETARIAT).
    async fn remove_working_group_member(&self, ctx: &Context<'_>, member_id: ID) -> Result<WorkingGroup> {
        let member_id = uuid("memberId", &member_id)?;
        Ok(WorkingGroup(working_groups::remove_member(state(ctx)?, actor(ctx)?, member_id).await?))
    }
}
