use clap::Parser;
use coordination::cli::{self, Cli, Command};

/// mimalloc keeps the server's memory flat under many threads (sqlx runs each SQLite connection
/// on a thread of its own, and glibc's allocator gives each thread an arena).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let json = matches!(&cli.command, Command::Serve(s) if s.log_json);
    cli::init_logging(json);
    if let Err(err) = cli::run(cli).await {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
