use clap::Parser;
use coordination::cli::{self, Cli, Command};

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
