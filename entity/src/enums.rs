//! Domain enums. Stored as their upper-case names; with the `graphql` feature they are also the
//! GraphQL enums, so the API and the database share one definition.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

macro_rules! domain_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
        #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $($(#[$vmeta])* #[sea_orm(string_value = $text)] $variant,)+
        }

        impl $name {
            /// The stored and displayed name, e.g. `ACTIVE`.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text,)+ }
            }

            /// Parses the stored name; `None` for anything else.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

domain_enum! {
    /// What a user may do; see the role matrix of the API contract.
    Role {
        /// Manages users and service tokens, and may do everything else.
        Admin = "ADMIN",
        /// The Standing Agency (MOST): keeps the task list, forwards blockers, reviews reports.
        Secretariat = "SECRETARIAT",
        /// The Working Group's chair (a Deputy Prime Minister): completes or cancels tasks, decides escalated blockers.
        Chair = "CHAIR",
        /// An officer of one ministry: reports on its tasks and raises and works on its blockers.
        MinistryOfficer = "MINISTRY_OFFICER",
        /// Reads everything but users, tokens and audit events.
        Observer = "OBSERVER",
    }
}

domain_enum! {
    /// What kind of body a ministry is.
    MinistryKind {
        /// A ministry (bộ).
        Ministry = "MINISTRY",
        /// A ministerial-level agency (cơ quan ngang bộ).
        MinisterialAgency = "MINISTERIAL_AGENCY",
        /// An agency of the Government (cơ quan thuộc Chính phủ), e.g. VAST.
        GovernmentAgency = "GOVERNMENT_AGENCY",
        /// A province or centrally governed city.
        Province = "PROVINCE",
        /// Anything else: a university, a state group.
        Other = "OTHER",
    }
}

domain_enum! {
    /// The role of a person within a working group.
    MemberRole {
        /// Tổ trưởng.
        Chair = "CHAIR",
        /// Tổ phó.
        ViceChair = "VICE_CHAIR",
        /// Thành viên.
        Member = "MEMBER",
        /// Thường trực: the standing member that runs the process.
        Standing = "STANDING",
    }
}

domain_enum! {
    /// Where a task is in its lifecycle: DRAFT -> ACTIVE -> COMPLETED | CANCELLED.
    TaskStatus {
        /// Being prepared; may be incomplete.
        Draft = "DRAFT",
        /// Issued: all seven "7 rõ" items are set and the work is under way.
        Active = "ACTIVE",
        /// Done.
        Completed = "COMPLETED",
        /// Called off, with a reason.
        Cancelled = "CANCELLED",
    }
}

domain_enum! {
    /// Where a monthly report is in its lifecycle: DRAFT -> SUBMITTED -> ACCEPTED | RETURNED.
    ReportStatus {
        /// Saved but not yet sent.
        Draft = "DRAFT",
        /// Sent to the Secretariat.
        Submitted = "SUBMITTED",
        /// Accepted by the Secretariat; final.
        Accepted = "ACCEPTED",
        /// Returned for revision, with a comment.
        Returned = "RETURNED",
    }
}

domain_enum! {
    /// How a ministry judges a task's progress.
    Health {
        /// On track.
        OnTrack = "ON_TRACK",
        /// At risk of missing its deadline or output.
        AtRisk = "AT_RISK",
        /// Off track: will miss without intervention.
        OffTrack = "OFF_TRACK",
    }
}

domain_enum! {
    /// Where a blocker is in its lifecycle.
    BlockerStatus {
        /// Raised, not yet forwarded.
        Open = "OPEN",
        /// Forwarded by the Secretariat to the ministry that must clear it.
        Forwarded = "FORWARDED",
        /// Acknowledged by the responsible ministry.
        InProgress = "IN_PROGRESS",
        /// Cleared.
        Resolved = "RESOLVED",
        /// Submitted to a higher authority.
        Escalated = "ESCALATED",
        /// Withdrawn by the ministry that raised it.
        Withdrawn = "WITHDRAWN",
    }
}

domain_enum! {
    /// How badly a blocker holds up the work.
    Severity {
        /// Minor.
        Low = "LOW",
        /// Noticeable.
        Medium = "MEDIUM",
        /// Serious.
        High = "HIGH",
        /// Stops the work.
        Critical = "CRITICAL",
    }
}

domain_enum! {
    /// What kind of obstacle a blocker is; the first three are Notice 22's bottlenecks.
    BlockerCategory {
        /// Strategy not tied to industry needs.
        StrategyAlignment = "STRATEGY_ALIGNMENT",
        /// No single accountable focal point; weak inter-sector coordination.
        Coordination = "COORDINATION",
        /// Enterprises and the market under-used.
        MarketAndEnterprise = "MARKET_AND_ENTERPRISE",
        /// Funding and its delays.
        Funding = "FUNDING",
        /// Institutions and law.
        InstitutionsAndLaw = "INSTITUTIONS_AND_LAW",
        /// People and skills.
        PeopleAndSkills = "PEOPLE_AND_SKILLS",
        /// Infrastructure and data.
        InfrastructureAndData = "INFRASTRUCTURE_AND_DATA",
        /// Anything else.
        Other = "OTHER",
    }
}

domain_enum! {
    /// On whose behalf a ministry raised a blocker.
    BlockerOrigin {
        /// The ministry itself.
        Ministry = "MINISTRY",
        /// An enterprise.
        Enterprise = "ENTERPRISE",
        /// A research institute.
        ResearchInstitute = "RESEARCH_INSTITUTE",
        /// A university.
        University = "UNIVERSITY",
        /// A locality (province or commune).
        Locality = "LOCALITY",
    }
}

domain_enum! {
    /// What happened to a blocker.
    BlockerEventKind {
        /// Raised.
        Raised = "RAISED",
        /// Forwarded to a responsible ministry.
        Forwarded = "FORWARDED",
        /// Acknowledged by the responsible ministry.
        Acknowledged = "ACKNOWLEDGED",
        /// Resolved.
        Resolved = "RESOLVED",
        /// Escalated to a higher authority.
        Escalated = "ESCALATED",
        /// Withdrawn by the raiser.
        Withdrawn = "WITHDRAWN",
        /// A comment; the status does not change.
        Commented = "COMMENTED",
    }
}
