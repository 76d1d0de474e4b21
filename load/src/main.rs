//! `hoithi-load`: see BENCHMARKS.md for the command and what the numbers mean.
use std::process::ExitCode;

use clap::Parser;
use hoithi_load::{Config, run};

#[derive(Parser, Debug)]
#[command(name = "hoithi-load", about = "Thousands of phones answering one live hoithi contest")]
struct Args {
    /// Where the organiser's calls go.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Where the phones join and connect, spread round robin: the instances of a cluster,
    /// or the balancers in front of them (comma-separated). Default: --url.
    #[arg(long, value_delimiter = ',')]
    urls: Vec<String>,
    #[arg(long, default_value_t = 1000)]
    phones: usize,
    #[arg(long, default_value_t = 200)]
    teams: usize,
    #[arg(long, default_value_t = 10)]
    questions: usize,
    /// Phones answer at a uniformly random moment within this window after the question reaches them.
    #[arg(long, default_value_t = 1000)]
    window_ms: u64,
    /// The quiz part's reading time: each question is shown this many seconds before
    /// answering opens, and phones answer within the window after that.
    #[arg(long, default_value_t = 0)]
    reading_s: u32,
    /// Extra sockets watching the scoreboard: judges, plus one projector.
    #[arg(long, default_value_t = 5)]
    watchers: usize,
    #[arg(long, env = "HOITHI_ADMIN_USER", default_value = "admin")]
    admin_user: String,
    #[arg(long, env = "HOITHI_ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: String,
    /// The server's process id, to read its memory and CPU from /proc; several
    /// (comma-separated) for the instances of a cluster, summed.
    #[arg(long, value_delimiter = ',')]
    server_pid: Vec<u32>,
    #[arg(long, default_value_t = 0.10)]
    resend_ratio: f64,
    #[arg(long, default_value_t = 0.05)]
    late_ratio: f64,
    #[arg(long, default_value_t = 64)]
    join_concurrency: usize,
    /// `quiz` (answers), `buzzer` (every phone presses within --window-ms of the buzzer
    /// opening; --questions questions) or `elimination` (every phone is a contestant of an
    /// elimination part and answers for itself; see --wrong-ratio).
    #[arg(long, default_value = "quiz")]
    mode: String,
    /// Elimination: each answer's chance of being wrong (its contestant is then out).
    #[arg(long, default_value_t = 0.02)]
    wrong_ratio: f64,
}

fn main() -> ExitCode {
    let a = Args::parse();
    let cfg = Config {
        url: a.url,
        phone_urls: a.urls,
        phones: a.phones,
        teams: a.teams,
        questions: a.questions,
        window_ms: a.window_ms,
        reading_s: a.reading_s,
        watchers: a.watchers,
        admin_user: a.admin_user,
        admin_password: a.admin_password,
        server_pids: a.server_pid,
        resend_ratio: a.resend_ratio,
        late_ratio: a.late_ratio,
        join_concurrency: a.join_concurrency,
        progress: true,
    };
    // One thread: the generator is pinned to its own core (see BENCHMARKS.md).
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hoithi-load: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let out = match a.mode.as_str() {
        "quiz" => rt.block_on(run(cfg)).map(|r| serde_json::to_string(&r)),
        "buzzer" => rt.block_on(hoithi_load::buzzer::run(cfg)).map(|r| serde_json::to_string(&r)),
        "elimination" => {
            rt.block_on(hoithi_load::elimination::run(cfg, a.wrong_ratio)).map(|r| serde_json::to_string(&r))
        }
        other => {
            eprintln!("hoithi-load: --mode must be quiz, buzzer or elimination, not {other}");
            return ExitCode::FAILURE;
        }
    };
    match out {
        Ok(report) => {
            println!("{}", report.unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("hoithi-load: {e:#}");
            ExitCode::FAILURE
        }
    }
}
