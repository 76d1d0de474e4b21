//! Typed configuration: defaults that just work, overridable by environment and flags.
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

/// A secret that never appears in logs or debug output.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

/// Settings of the database and data directory, shared by every subcommand.
#[derive(Args, Debug, Clone)]
pub struct DbSettings {
    /// Database URL: `sqlite://…` or `postgres://…`. Default: SQLite file in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Directory for the SQLite database and other local files.
    #[arg(long, global = true, env = "HOITHI_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

impl DbSettings {
    /// The URL to connect to: `DATABASE_URL` when given, else `<data_dir>/hoithi.db`.
    pub fn url(&self) -> String {
        match &self.database_url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("hoithi.db").display()),
        }
    }
}

/// Settings of the HTTP server.
#[derive(Args, Debug, Clone)]
pub struct ServeSettings {
    /// Address to listen on.
    #[arg(long, global = true, env = "HOITHI_BIND", default_value = "0.0.0.0:8080")]
    pub bind: SocketAddr,
    /// Organiser created on first start (default: `admin`).
    #[arg(long, global = true, env = "HOITHI_ADMIN_USER", default_value = "admin")]
    pub admin_user: String,
    /// Password of that organiser; generated and printed once when absent.
    #[arg(long, global = true, env = "HOITHI_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<Secret>,
    /// Secret that signs tokens; generated once and stored in the database when absent.
    #[arg(long, global = true, env = "HOITHI_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,
    /// Folder of question banks loaded (and checked) at start.
    #[arg(long, global = true, env = "HOITHI_BANKS", default_value = "question_banks")]
    pub banks: PathBuf,
    /// HTTP worker threads (default: one per core).
    #[arg(long, global = true, env = "HOITHI_WORKERS")]
    pub workers: Option<usize>,
    /// Seconds a live WebSocket may stay silent (no message, no pong) before it is
    /// dropped; the server pings every third of it.
    #[arg(long, global = true, env = "HOITHI_WS_SILENCE_S", default_value_t = 45,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub ws_silence_s: u64,
    /// Reverse proxies whose `X-Forwarded-For` names the client (repeatable, or a comma list
    /// in the environment); from any other peer the header is ignored.
    #[arg(long = "trusted-proxy", global = true, env = "HOITHI_TRUSTED_PROXY", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Also serve `/metrics` without a token on this address (keep it private: localhost or
    /// the monitoring network). On the main address `/metrics` needs an organiser's token.
    #[arg(long, global = true, env = "HOITHI_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
    /// Serve HTTPS with this certificate chain (PEM, the server's certificate first);
    /// needs `--tls-key`.
    #[arg(long, global = true, env = "HOITHI_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of `--tls-cert` (PEM: PKCS#8, RSA or EC).
    #[arg(long, global = true, env = "HOITHI_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// While a contest runs, write a backup into `<data dir>/backups` this often (minutes;
    /// 0: never); the last 12 are kept.
    #[arg(long, global = true, env = "HOITHI_BACKUP_EVERY_MIN", default_value_t = 5.0,
          value_parser = parse_minutes)]
    pub backup_every_min: f64,
    /// With several instances on one PostgreSQL database: the address the other instances
    /// reach this one at (`http://10.0.0.5:8080`). Default: `http(s)://<bind>`, with
    /// `127.0.0.1` for an unspecified address: right for instances on one machine only.
    #[arg(long, global = true, env = "HOITHI_ADVERTISE_URL")]
    pub advertise_url: Option<String>,
    /// With several instances: how long the owner of a buzzer part waits before deciding a
    /// press (milliseconds), so that a press relayed by another instance, stamped when that
    /// instance received it, is placed in the order it was made, not in the order it
    /// arrived. It should exceed the hop between instances. On SQLite (one instance)
    /// presses never wait.
    #[arg(long, global = true, env = "HOITHI_BUZZ_SETTLE_MS", default_value_t = 25,
          value_parser = clap::value_parser!(u64).range(0..=1000))]
    pub buzz_settle_ms: u64,
    /// The database URL (from the database settings), for `pg_dump`.
    #[arg(skip)]
    pub database_url: Option<String>,
    /// The data directory (from the database settings): disk space, backups.
    #[arg(skip = PathBuf::from("data"))]
    pub data_dir: PathBuf,
    /// The numbers of the sign-in and guessing limits (not flags; tests shorten them).
    #[arg(skip)]
    pub limits: crate::auth::ratelimit::Limits,
}

fn parse_minutes(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(m) if m.is_finite() && (0.0..=24.0 * 60.0).contains(&m) => Ok(m),
        _ => Err(format!("{s:?} is not a number of minutes from 0 (never) to 1440")),
    }
}

impl ServeSettings {
    /// The address other instances reach this one at (see `advertise_url`), given the
    /// port actually bound.
    pub fn advertised(&self, port: u16) -> String {
        if let Some(u) = &self.advertise_url {
            return u.trim_end_matches('/').to_owned();
        }
        let ip = match self.bind.ip() {
            ip if ip.is_unspecified() => std::net::IpAddr::from([127, 0, 0, 1]),
            ip => ip,
        };
        let scheme = if self.tls_cert.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", SocketAddr::new(ip, port))
    }

    /// How long a live socket may stay silent.
    pub fn ws_silence(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.ws_silence_s.max(1))
    }
}

impl Default for ServeSettings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([0, 0, 0, 0], 8080)),
            admin_user: "admin".into(),
            admin_password: None,
            jwt_secret: None,
            banks: PathBuf::from("question_banks"),
            workers: None,
            ws_silence_s: 45,
            trusted_proxies: Vec::new(),
            metrics_bind: None,
            tls_cert: None,
            tls_key: None,
            backup_every_min: 5.0,
            advertise_url: None,
            buzz_settle_ms: 25,
            database_url: None,
            data_dir: PathBuf::from("data"),
            limits: crate::auth::ratelimit::Limits::default(),
        }
    }
}
