//! The command line: one binary, `coordination`, with a subcommand per job.

use crate::auth::Scope;
use crate::clock::Clock;
use crate::config::{DatabaseSettings, ServerSettings};
use crate::service::{seed, users};
use crate::startup::{self, Application};
use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use entity::enums::Role;
use std::io::Read;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "coordination",
    version,
    about = "GraphQL API through which Vietnam's ministries coordinate the national strategic-technology programme"
)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseSettings,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API (migrates and, on an empty database, seeds and creates a first admin).
    Serve(Box<ServerSettings>),
    /// Apply pending database migrations.
    Migrate,
    /// Load the reference data of the source documents (idempotent).
    Seed {
        /// Also create one demo user per role and print their passwords.
        #[arg(long, env = "SEED_DEMO")]
        demo: bool,
    },
    /// Write the GraphQL schema (SDL).
    ExportSchema {
        /// Write to this file instead of standard output.
        #[arg(long, env = "SCHEMA_OUT")]
        out: Option<PathBuf>,
    },
    /// Create a user; the password is read from standard input.
    CreateUser {
        #[arg(long, env = "USER_NAME")]
        username: String,
        /// ADMIN, SECRETARIAT, CHAIR, MINISTRY_OFFICER or OBSERVER.
        #[arg(long, env = "USER_ROLE")]
        role: String,
        /// Ministry code, e.g. MOST; required for MINISTRY_OFFICER.
        #[arg(long, env = "USER_MINISTRY")]
        ministry: Option<String>,
        #[arg(long, env = "USER_DISPLAY_NAME")]
        display_name: Option<String>,
        /// Read the password from standard input.
        #[arg(long, required = true, env = "PASSWORD_STDIN")]
        password_stdin: bool,
    },
    /// Write the monthly summary of a working group as a Markdown document in Vietnamese.
    Report {
        /// The reporting period, YYYY-MM.
        #[arg(long, env = "REPORT_PERIOD")]
        period: String,
        /// The working group's id; the first one when omitted.
        #[arg(long, env = "REPORT_WORKING_GROUP")]
        working_group: Option<uuid::Uuid>,
        /// Write to this file instead of standard output.
        #[arg(long, env = "REPORT_OUT")]
        out: Option<PathBuf>,
    },
    /// Fill the database with a generated national-scale dataset, for benchmarks (not for production).
    Generate {
        /// 1 is 5,000 tasks, 300,000 reports and 50,000 blockers; the 100 agencies stay at every scale.
        #[arg(long, env = "GENERATE_SCALE", default_value_t = 1.0)]
        scale: f64,
        /// Same seed, same data.
        #[arg(long, env = "GENERATE_SEED", default_value_t = 2026)]
        seed: u64,
    },
    /// Urge (đôn đốc) every ministry with missing reports for a period: one `report.missing`
    /// event each, through webhooks and subscriptions, once per ministry and period.
    Urge {
        /// The reporting period, YYYY-MM.
        #[arg(long, env = "URGE_PERIOD")]
        period: String,
    },
    /// Delete announced events and finished webhook deliveries older than the retention (the
    /// server also does this every hour).
    PruneEvents {
        /// Keep this many days.
        #[arg(long, env = "EVENT_RETENTION_DAYS", default_value_t = 90)]
        days: u32,
    },
    /// Create a service token for a script and print it once.
    CreateServiceToken {
        #[arg(long, env = "TOKEN_NAME")]
        name: String,
        /// read, blockers:read, tasks:read, reports:read, reports:write, blockers:write.
        #[arg(long = "scope", env = "TOKEN_SCOPES", value_delimiter = ',', required = true, num_args = 1..)]
        scopes: Vec<String>,
        /// Ministry code; required for reports:write and blockers:write.
        #[arg(long, env = "TOKEN_MINISTRY")]
        ministry: Option<String>,
        /// Days until it expires; never when omitted.
        #[arg(long, env = "TOKEN_EXPIRES_IN_DAYS")]
        expires_in: Option<i64>,
    },
}

pub fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Settings for commands that do not serve: the secret is not needed to sign anything, but the
/// state wants one, so a throwaway is used when none is configured for PostgreSQL.
fn offline_settings(database: &DatabaseSettings) -> ServerSettings {
    let mut settings = ServerSettings::for_tests("");
    settings.jwt_secret = std::env::var("JWT_SECRET").ok().filter(|s| s.len() >= 32);
    if settings.jwt_secret.is_none() && !database.is_sqlite() {
        settings.jwt_secret = Some(crate::auth::service_token::generate());
    }
    settings
}

fn parse_role(text: &str) -> anyhow::Result<Role> {
    Role::parse(&text.trim().to_uppercase())
        .with_context(|| format!("unknown role `{text}`; use ADMIN, SECRETARIAT, CHAIR, MINISTRY_OFFICER or OBSERVER"))
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(settings) => serve(&cli.database, &settings).await,
        Command::Migrate => {
            startup::state(&cli.database, &offline_settings(&cli.database), Clock::system()).await?;
            eprintln!("migrations applied to {}", startup::redact(&cli.database.database_url));
            Ok(())
        }
        Command::Seed { demo } => {
            let state = startup::state(&cli.database, &offline_settings(&cli.database), Clock::system()).await?;
            eprintln!("seeding reference data…");
            let report =
                seed::reference(&state).await.map_err(|e| anyhow::anyhow!("seeding failed: {}", e.detail()))?;
            eprintln!(
                "added {} ministries, {} directives, {} working groups, {} tasks (existing rows were left as they were)",
                report.ministries, report.directives, report.working_groups, report.tasks
            );
            if demo {
                eprintln!("creating demo users (argon2 hashing takes a moment each)…");
                let accounts = seed::demo_users(&state)
                    .await
                    .map_err(|e| anyhow::anyhow!("creating demo users failed: {}", e.detail()))?;
                println!("Demo accounts (for trying the service; do not use in production):");
                for (username, role, password) in accounts {
                    println!("  {username:<20} {:<17} {password}", role.as_str());
                }
            }
            Ok(())
        }
        Command::Report { period, working_group, out } => {
            let state = startup::state(&cli.database, &offline_settings(&cli.database), Clock::system()).await?;
            let markdown = crate::service::report_markdown::render(&state, working_group, &period)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
            match out {
                Some(path) => {
                    std::fs::write(&path, markdown).with_context(|| format!("cannot write {}", path.display()))?
                }
                None => print!("{markdown}"),
            }
            Ok(())
        }
        Command::Generate { scale, seed } => {
            if !(0.001..=100.0).contains(&scale) {
                bail!("--scale must be between 0.001 and 100");
            }
            let state = startup::state(&cli.database, &offline_settings(&cli.database), Clock::system()).await?;
            seed::reference(&state).await.map_err(|e| anyhow::anyhow!("seeding failed: {}", e.detail()))?;
            if crate::service::dataset::already_generated(&state)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.detail()))?
            {
                bail!("this database already holds a generated dataset; use a fresh one");
            }
            let plan = crate::service::dataset::Plan { scale, seed };
            crate::service::dataset::generate(&state, plan)
                .await
                .map_err(|e| anyhow::anyhow!("generating failed: {}", e.detail()))?;
            eprintln!("users bench.<agency code>.1 and .2 (officers), bench.secretariat, bench.chair, bench.observer; password `{}`", crate::service::dataset::PASSWORD);
            Ok(())
        }
        Command::PruneEvents { days } => {
            if days == 0 {
                bail!("--days must be at least 1 (0 would delete every event but the newest)");
            }
            let state = startup::state(&cli.database, &offline_settings(&cli.database), Clock::system()).await?;
            let (deliveries, events) = crate::service::events::prune(&state, days)
                .await
                .map_err(|e| anyhow::anyhow!("pruning failed: {}", e.detail()))?;
            eprintln!("deleted {events} events and {deliveries} finished webhook deliveries older than {days} days");
            Ok(())
        }
        Command::Urge { period } => {
            let state = startup::state(&cli.database, &offline_settings(&cli.database), Clock::system()).await?;
            let (_, pending) = crate::service::urging::pending(&state, &period)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
            eprintln!("{} ministries have missing reports for {period}", pending.len());
            let urged =
                crate::service::urging::urge(&state, &period).await.map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
            for p in &urged {
                println!("urged {} for {} missing report(s)", p.ministry_id, p.tasks.len());
            }
            eprintln!("urged {} ministries now; {} had been urged before", urged.len(), pending.len() - urged.len());
            Ok(())
        }
        Command::ExportSchema { out } => {
            let sdl = crate::graphql::sdl();
            match out {
                Some(path) => std::fs::write(&path, sdl).with_context(|| format!("cannot write {}", path.display()))?,
                None => print!("{sdl}"),
            }
            Ok(())
        }
        Command::CreateUser { username, role, ministry, display_name, password_stdin } => {
            if !password_stdin {
                bail!("pass --password-stdin and give the password on standard input");
            }
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password).context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let state = startup::state(&cli.database, &offline_settings(&cli.database), Clock::system()).await?;
            let input = users::UserInput {
                username,
                display_name,
                role: parse_role(&role)?,
                ministry_code: ministry,
                ministry_id: None,
                password,
            };
            let user = users::create_user(&state, &users::command_line_actor(), input)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
            eprintln!("created user {} ({}), id {}", user.username, user.role, user.id);
            Ok(())
        }
        Command::CreateServiceToken { name, scopes, ministry, expires_in } => {
            let parsed = scopes
                .iter()
                .flat_map(|s| s.split([',', ' ']))
                .filter(|s| !s.is_empty())
                .map(|s| Scope::parse(s).with_context(|| format!("unknown scope `{s}`")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let state = startup::state(&cli.database, &offline_settings(&cli.database), Clock::system()).await?;
            let input = users::TokenInput {
                name,
                scopes: parsed,
                ministry_code: ministry,
                ministry_id: None,
                expires_in_days: expires_in,
            };
            let (token, model) = users::create_token(&state, &users::command_line_actor(), input)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
            eprintln!("created service token {} (id {}); it is shown once:", model.name, model.id);
            println!("{token}");
            Ok(())
        }
    }
}

async fn serve(database: &DatabaseSettings, settings: &ServerSettings) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let state = startup::state(database, settings, Clock::system()).await?;
    if let Some((username, password)) = startup::bootstrap(&state).await? {
        eprintln!("created the first administrator: user `{username}`, password `{password}` (shown once; change it)");
    }
    let app = Application::build(state, settings).await?;
    tracing::info!(addr = %app.local_addr()?, db = %startup::redact(&database.database_url), ms = started.elapsed().as_millis() as u64, "serving");
    app.run_until_stopped(startup::shutdown_signal()).await
}
