//! The authenticated caller of a request.

use entity::enums::Role;
use uuid::Uuid;

/// Whether the caller is a person or a script.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
pub enum PrincipalKind {
    /// A person signed in with `login`.
    User,
    /// A script using a service token.
    Service,
}

/// What a service token may do. It never exceeds what a MINISTRY_OFFICER of its ministry may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum Scope {
    /// `read`: read everything a ministry officer may read.
    Read,
    /// `blockers:read`: read blockers (with their tasks and ministries) and reference data.
    BlockersRead,
    /// `tasks:read`: read tasks and reference data.
    TasksRead,
    /// `reports:read`: read monthly reports and reference data.
    ReportsRead,
    /// `reports:write`: submit monthly reports for the token's ministry.
    ReportsWrite,
    /// `blockers:write`: raise blockers as the token's ministry and work on those it is responsible for.
    BlockersWrite,
}

impl Scope {
    pub const ALL: [Scope; 6] =
        [Self::Read, Self::BlockersRead, Self::TasksRead, Self::ReportsRead, Self::ReportsWrite, Self::BlockersWrite];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::BlockersRead => "blockers:read",
            Self::TasksRead => "tasks:read",
            Self::ReportsRead => "reports:read",
            Self::ReportsWrite => "reports:write",
            Self::BlockersWrite => "blockers:write",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Scopes that act as a ministry, and so need one.
    pub fn needs_ministry(self) -> bool {
        matches!(self, Self::ReportsWrite | Self::BlockersWrite)
    }
}

/// The caller of one request, checked at the HTTP edge.
#[derive(Clone, Debug)]
pub struct Principal {
    pub id: Uuid,
    pub kind: PrincipalKind,
    /// User name, or the service token's name.
    pub name: String,
    pub display_name: String,
    /// For a service token: MINISTRY_OFFICER when it has a ministry, else OBSERVER.
    pub role: Role,
    pub ministry_id: Option<Uuid>,
    /// A service token's scopes; `None` for a person.
    pub scopes: Option<Vec<Scope>>,
}

impl Principal {
    pub fn has_scope(&self, scope: Scope) -> bool {
        self.scopes.as_ref().is_none_or(|scopes| scopes.contains(&scope))
    }

    pub fn is_service(&self) -> bool {
        self.kind == PrincipalKind::Service
    }

    /// How the caller appears in audit events and histories, e.g. `officer.most (MINISTRY_OFFICER)`.
    pub fn label(&self) -> String {
        match self.kind {
            PrincipalKind::User => self.display_name.clone(),
            PrincipalKind::Service => format!("{} (service token)", self.name),
        }
    }
}
