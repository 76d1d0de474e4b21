//! `spawn_app`: the real server on port 0 with a fresh database, plus HTTP and WebSocket
//! helpers.
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hoithi::config::ServeSettings;
use hoithi::startup::Application;
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

pub const ADMIN_USER: &str = "admin";
pub const ADMIN_PASSWORD: &str = "mat-khau-thu-nghiem-1";
pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-123";

pub struct TestApp {
    pub addr: String,
    pub port: u16,
    pub db_url: String,
    pub client: reqwest::Client,
    pub handle: actix_web::dev::ServerHandle,
    pub state: hoithi::startup::AppState,
    _dir: tempfile::TempDir,
}

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A fresh database URL: a temporary SQLite file, or a new PostgreSQL database when
/// `TEST_DATABASE_URL` is set.
async fn fresh_db_url(dir: &tempfile::TempDir) -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("hoithi_test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
            admin.close().await.ok();
            let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin_url);
            format!("{base}/{name}")
        }
        _ => format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display()),
    }
}

pub fn test_settings() -> ServeSettings {
    ServeSettings {
        bind: "127.0.0.1:0".parse().unwrap(),
        admin_user: ADMIN_USER.into(),
        admin_password: Some(hoithi::config::Secret::new(ADMIN_PASSWORD)),
        jwt_secret: Some(hoithi::config::Secret::new(JWT_SECRET)),
        banks: std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/question_banks")),
        workers: Some(2),
        ws_silence_s: 45,
        ..ServeSettings::default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(test_settings()).await
}

pub async fn spawn_app_with(settings: ServeSettings) -> TestApp {
    hoithi::telemetry::init("warn");
    let dir = tempfile::tempdir().unwrap();
    let db_url = fresh_db_url(&dir).await;
    start(db_url, dir, settings).await
}

/// The real server on a fresh SQLite database in `dir` (whatever `TEST_DATABASE_URL` says),
/// for tests about the data directory's own filesystem.
pub async fn spawn_sqlite_app_in(dir: tempfile::TempDir, settings: ServeSettings) -> TestApp {
    hoithi::telemetry::init("warn");
    let db_url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
    start(db_url, dir, settings).await
}

async fn start(db_url: String, dir: tempfile::TempDir, mut settings: ServeSettings) -> TestApp {
    settings.data_dir = dir.path().to_owned();
    settings.database_url = Some(db_url.clone());
    let db = hoithi::db::connect_url(&db_url, Some(dir.path())).await.expect("connect");
    let (app, _) = Application::build_with_db(db, settings).await.expect("build app");
    let port = app.port();
    let handle = app.server_handle();
    let state = app.state.clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        addr: format!("http://127.0.0.1:{port}"),
        port,
        db_url,
        // Idle connections are dropped before the server's 5 s keep-alive closes them: a
        // test that pauses (another server starting, a big body being built) would
        // otherwise send its next request into a closing connection.
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .pool_idle_timeout(Duration::from_secs(3))
            .build()
            .unwrap(),
        handle,
        state,
        _dir: dir,
    }
}

impl TestApp {
    /// The data directory of this server.
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// The SQLite database file, or None on PostgreSQL.
    pub fn sqlite_path(&self) -> Option<String> {
        self.db_url.strip_prefix("sqlite://").and_then(|p| p.split('?').next()).map(str::to_owned)
    }

    /// Stops this server and starts a new one on the same database and port, as after a
    /// crash or a redeploy.
    /// Open sockets are dropped at once, as in a crash (a graceful stop would wait up to
    /// 30 s for the browsers' live sockets).
    pub async fn restart(self) -> TestApp {
        self.handle.stop(false).await;
        let TestApp { db_url, _dir, port, .. } = self;
        // The same address, so that the pages a browser holds open reconnect by themselves.
        let mut settings = test_settings();
        settings.bind = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        start(db_url, _dir, settings).await
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{}", self.addr, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    /// POSTs a raw body (a spreadsheet, CSV or pasted text) with its content type.
    pub async fn post_raw(&self, path: &str, token: &str, content_type: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let res = self
            .client
            .post(format!("{}{}", self.addr, path))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.request(Method::POST, path, token, Some(body)).await
    }

    /// Signs in as the bootstrap organiser and returns the access token.
    pub async fn admin_token(&self) -> String {
        self.login(ADMIN_USER, ADMIN_PASSWORD).await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let (status, body) =
            self.post("/api/auth/login", None, json!({"username": username, "password": password})).await;
        assert_eq!(status, StatusCode::OK, "login failed: {body}");
        body["token"].as_str().unwrap().to_owned()
    }

    /// Opens the live WebSocket with the token in the query string.
    pub async fn ws(&self, token: &str) -> Ws {
        let url = format!("ws://127.0.0.1:{}/api/live?token={token}", self.port);
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("websocket connect");
        ws
    }
}

/// Sends one JSON message over a WebSocket.
pub async fn ws_send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.expect("ws send");
}

/// Receives JSON messages until one satisfies `pred`, within `secs` seconds.
pub async fn ws_until(ws: &mut Ws, secs: u64, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let msg =
            tokio::time::timeout_at(deadline, ws.next()).await.expect("timed out waiting for a websocket message");
        match msg {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(&t).expect("json message");
                if pred(&v) {
                    return v;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("websocket ended: {other:?}"),
        }
    }
}

/// A tmpfs mounted on a folder (the tests of a full disk); unmounted (lazily: the server
/// may still hold its files open) and removed when dropped. Needs root.
pub struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    pub fn mount(dir: &std::path::Path, size: &str) -> Tmpfs {
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .expect("run mount");
        assert!(out.status.success(), "mount a tmpfs on {}: {}", dir.display(), String::from_utf8_lossy(&out.stderr));
        Tmpfs(dir.to_owned())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn is_root() -> bool {
    std::process::Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Writes `file` until its filesystem is full (big writes, then page-sized ones).
pub fn fill(file: &std::path::Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(file).unwrap();
    for chunk in [1 << 20, 4096] {
        let buf = vec![0x5a_u8; chunk];
        loop {
            match f.write_all(&buf) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                Err(e) => panic!("filling {}: {e}", file.display()),
            }
        }
    }
    let _ = f.sync_all();
}
