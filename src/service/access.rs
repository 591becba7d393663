//! The role matrix of the API contract, as one explicit check per action.

use crate::auth::{Principal, Scope};
use crate::error::{AppError, AppResult};
use entity::enums::Role;
use uuid::Uuid;

/// Everything a caller may be allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    ReadReference,
    ReadTasks,
    ReadReports,
    ReadBlockers,
    ReadAudit,
    ManageUsers,
    ManageReference,
    ManageTasks,
    CloseTasks,
    SubmitReports,
    ReviewReports,
    RaiseBlockers,
    ForwardBlockers,
    WorkBlockers,
    DecideEscalated,
    ManageWebhooks,
}

impl Action {
    fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Self::ReadReference | Self::ReadTasks | Self::ReadReports | Self::ReadBlockers => {
                &[Admin, Secretariat, Chair, MinistryOfficer, Observer]
            }
            Self::ReadAudit => &[Admin, Secretariat, Chair],
            Self::ManageUsers => &[Admin],
            Self::ManageReference
            | Self::ManageTasks
            | Self::ReviewReports
            | Self::ForwardBlockers
            | Self::ManageWebhooks => &[Admin, Secretariat],
            Self::CloseTasks | Self::DecideEscalated => &[Admin, Secretariat, Chair],
            Self::SubmitReports => &[Admin, MinistryOfficer],
            Self::RaiseBlockers | Self::WorkBlockers => &[Admin, Secretariat, MinistryOfficer],
        }
    }

    /// The scopes that let a service token do this (any one suffices); none means never.
    fn scopes(self) -> &'static [Scope] {
        use Scope::*;
        match self {
            Self::ReadReference => &[Read, BlockersRead, TasksRead, ReportsRead],
            Self::ReadTasks => &[Read, TasksRead],
            Self::ReadReports => &[Read, ReportsRead],
            Self::ReadBlockers => &[Read, BlockersRead],
            Self::SubmitReports => &[ReportsWrite],
            Self::RaiseBlockers | Self::WorkBlockers => &[BlockersWrite],
            _ => &[],
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::ReadReference => "read reference data",
            Self::ReadTasks => "read tasks",
            Self::ReadReports => "read monthly reports",
            Self::ReadBlockers => "read blockers",
            Self::ReadAudit => "read audit events",
            Self::ManageUsers => "manage users and service tokens",
            Self::ManageReference => "manage ministries, working groups and directives",
            Self::ManageTasks => "create, update or issue tasks",
            Self::CloseTasks => "complete or cancel tasks",
            Self::SubmitReports => "submit monthly reports",
            Self::ReviewReports => "accept or return monthly reports",
            Self::RaiseBlockers => "raise blockers",
            Self::ForwardBlockers => "forward blockers",
            Self::WorkBlockers => "acknowledge, resolve or escalate blockers",
            Self::DecideEscalated => "resolve escalated blockers",
            Self::ManageWebhooks => "manage webhooks or urge ministries",
        }
    }
}

impl Principal {
    /// Refuses with FORBIDDEN unless the caller's role (and, for a script, its scopes) allow `action`.
    pub fn require(&self, action: Action) -> AppResult<()> {
        let role_ok = action.roles().contains(&self.role);
        let scope_ok = match &self.scopes {
            None => true,
            Some(scopes) => action.scopes().iter().any(|s| scopes.contains(s)),
        };
        if role_ok && scope_ok {
            Ok(())
        } else {
            tracing::info!(principal = %self.name, role = %self.role, ?action, "permission refused");
            Err(AppError::forbidden(format!("you may not {} (role {})", action.describe(), self.role)))
        }
    }

    /// Whether the caller acts for every ministry (ADMIN, SECRETARIAT) rather than its own.
    pub fn acts_for_all_ministries(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Secretariat)
    }

    /// Refuses with FORBIDDEN unless the caller is of `ministry_id` or acts for all.
    pub fn require_ministry(&self, ministry_id: Uuid, what: &str) -> AppResult<()> {
        if self.acts_for_all_ministries() || self.ministry_id == Some(ministry_id) {
            Ok(())
        } else {
            tracing::info!(principal = %self.name, %ministry_id, what, "ownership refused");
            Err(AppError::forbidden(format!("you may only {what} for your own ministry")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::PrincipalKind;

    fn user(role: Role) -> Principal {
        Principal {
            id: Uuid::new_v4(),
            kind: PrincipalKind::User,
            name: "u".into(),
            display_name: "U".into(),
            role,
            ministry_id: Some(Uuid::new_v4()),
            scopes: None,
        }
    }

    #[test]
    fn matrix_matches_the_contract() {
        use Action::*;
        use Role::*;
        let allowed = |role, action| user(role).require(action).is_ok();
        for role in [Admin, Secretariat, Chair, MinistryOfficer, Observer] {
            assert!(allowed(role, ReadTasks) && allowed(role, ReadBlockers));
        }
        assert!(allowed(Chair, ReadAudit) && !allowed(MinistryOfficer, ReadAudit) && !allowed(Observer, ReadAudit));
        assert!(allowed(Admin, ManageUsers) && !allowed(Secretariat, ManageUsers));
        assert!(allowed(Secretariat, ManageTasks) && !allowed(Chair, ManageTasks));
        assert!(allowed(Chair, CloseTasks) && !allowed(MinistryOfficer, CloseTasks));
        assert!(allowed(MinistryOfficer, SubmitReports) && !allowed(Secretariat, SubmitReports));
        assert!(allowed(Secretariat, ReviewReports) && !allowed(Chair, ReviewReports));
        assert!(allowed(MinistryOfficer, RaiseBlockers) && !allowed(Chair, RaiseBlockers));
        assert!(!allowed(MinistryOfficer, ForwardBlockers));
        assert!(allowed(Chair, DecideEscalated) && !allowed(MinistryOfficer, DecideEscalated));
        assert!(!allowed(Observer, RaiseBlockers) && !allowed(Observer, SubmitReports));
    }

    #[test]
    fn service_tokens_are_capped_by_scopes() {
        let mut token = user(Role::MinistryOfficer);
        token.kind = PrincipalKind::Service;
        token.scopes = Some(vec![Scope::BlockersRead]);
        assert!(token.require(Action::ReadBlockers).is_ok());
        assert!(token.require(Action::ReadReports).is_err());
        assert!(token.require(Action::RaiseBlockers).is_err());
        token.scopes = Some(vec![Scope::ReportsWrite]);
        assert!(token.require(Action::SubmitReports).is_ok());
        assert!(token.require(Action::ReviewReports).is_err());
    }

    #[test]
    fn officers_act_only_for_their_ministry() {
        let officer = user(Role::MinistryOfficer);
        let own = officer.ministry_id.unwrap();
        assert!(officer.require_ministry(own, "report").is_ok());
        assert!(officer.require_ministry(Uuid::new_v4(), "report").is_err());
        assert!(user(Role::Secretariat).require_ministry(Uuid::new_v4(), "report").is_ok());
    }
}
