//! Per-request DataLoaders: every relation a list can reach is fetched in one statement per
//! kind of key, whatever the page size. One loader type serves many key types.

use crate::error::AppError;
use async_graphql::dataloader::Loader;
use entity::{directive, ministry, task, task_cooperator, working_group, working_group_member};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MinistryId(pub Uuid);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TaskId(pub Uuid);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DirectiveId(pub Uuid);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WorkingGroupId(pub Uuid);
/// The cooperating ministries of a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CooperatorsOf(pub Uuid);
/// The members of a working group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MembersOf(pub Uuid);

pub struct Loaders {
    db: DatabaseConnection,
}

impl Loaders {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

type LoadResult<K, V> = Result<HashMap<K, V>, async_graphql::Error>;

fn db_error(err: sea_orm::DbErr) -> async_graphql::Error {
    AppError::from(err).into()
}

macro_rules! by_id_loader {
    ($key:ident, $entity:path, $model:ty) => {
        impl Loader<$key> for Loaders {
            type Value = $model;
            type Error = async_graphql::Error;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, $model> {
                use $entity as E;
                let ids = keys.iter().map(|k| k.0);
                let rows = E::find().filter(<E as EntityTrait>::Column::Id.is_in(ids)).all(&self.db).await.map_err(db_error)?;
                Ok(rows.into_iter().map(|m| ($key(m.id), m)).collect())
            }
        }
    };
}

by_id_loader!(MinistryId, ministry::Entity, ministry::Model);
by_id_loader!(TaskId, task::Entity, task::Model);
by_id_loader!(DirectiveId, directive::Entity, directive::Model);
by_id_loader!(WorkingGroupId, working_group::Entity, working_group::Model);

impl Loader<CooperatorsOf> for Loaders {
    type Value = Vec<ministry::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[CooperatorsOf]) -> LoadResult<CooperatorsOf, Vec<ministry::Model>> {
        let links = task_cooperator::Entity::find()
            .filter(task_cooperator::Column::TaskId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let ministries: HashMap<Uuid, ministry::Model> = ministry::Entity::find()
            .filter(ministry::Column::Id.is_in(links.iter().map(|l| l.ministry_id)))
            .order_by_asc(ministry::Column::Code)
            .all(&self.db)
            .await
            .map_err(db_error)?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        let mut out: HashMap<CooperatorsOf, Vec<ministry::Model>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for link in links {
            if let Some(m) = ministries.get(&link.ministry_id) {
                out.entry(CooperatorsOf(link.task_id)).or_default().push(m.clone());
            }
        }
        for list in out.values_mut() {
            list.sort_by(|a, b| a.code.cmp(&b.code));
        }
        Ok(out)
    }
}

impl Loader<MembersOf> for Loaders {
    type Value = Vec<working_group_member::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[MembersOf]) -> LoadResult<MembersOf, Vec<working_group_member::Model>> {
        let rows = working_group_member::Entity::find()
            .filter(working_group_member::Column::WorkingGroupId.is_in(keys.iter().map(|k| k.0)))
            .order_by_asc(working_group_member::Column::CreatedAt)
            .all(&self.db)
            .await
            .map_err(db_error)?;
        let mut out: HashMap<MembersOf, Vec<working_group_member::Model>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for m in rows {
            out.entry(MembersOf(m.working_group_id)).or_default().push(m);
        }
        Ok(out)
    }
}
