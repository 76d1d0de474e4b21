//! `hoithi-failover`: the owner of a contest's engine killed again and again; see
//! `hoithi_load::failover` and BENCHMARKS.md ("Several instances").
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use hoithi_load::failover::{FailoverConfig, run};

#[derive(Parser, Debug)]
#[command(name = "hoithi-failover", about = "Kills the instance running a contest's engine and times the takeover")]
struct Args {
    /// A fresh PostgreSQL database for the three instances.
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    #[arg(long, default_value = "target/release/hoithi")]
    server_bin: PathBuf,
    #[arg(long, default_value = "deploy/haproxy.cfg")]
    haproxy_cfg: PathBuf,
    #[arg(long, default_value = "question_banks")]
    banks: PathBuf,
    /// The instances' logs and data directories.
    #[arg(long, default_value = "/tmp/hoithi-failover")]
    work_dir: PathBuf,
    /// HAProxy listens here; the instances on the next three ports.
    #[arg(long, default_value_t = 18580)]
    base_port: u16,
    #[arg(long, default_value_t = 300)]
    phones: usize,
    #[arg(long, default_value_t = 100)]
    teams: usize,
    #[arg(long, default_value_t = 10)]
    kills: usize,
    #[arg(long, env = "HOITHI_ADMIN_PASSWORD", hide_env_values = true, default_value = "failover-password-123")]
    admin_password: String,
}

fn main() -> ExitCode {
    let a = Args::parse();
    let cfg = FailoverConfig {
        server_bin: a.server_bin,
        database_url: a.database_url,
        haproxy_cfg: a.haproxy_cfg,
        banks: a.banks,
        work_dir: a.work_dir,
        base_port: a.base_port,
        phones: a.phones,
        teams: a.teams,
        kills: a.kills,
        admin_password: a.admin_password,
        progress: true,
    };
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hoithi-failover: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cfg)) {
        Ok(report) => {
            println!("{}", serde_json::to_string(&report).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hoithi-failover: {e:#}");
            ExitCode::FAILURE
        }
    }
}
