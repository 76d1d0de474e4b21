//! The one error type of the HTTP API. Each variant has a stable machine-readable code and
//! a status; the answer is `{"error": {"code": "...", "message": "..."}}`. Causes go to the
//! log, never to the client.
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use sea_orm::{DbErr, SqlErr};
use serde_json::{Value, json};

pub type ApiResult<T> = Result<T, ApiError>;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A field of the request is missing or malformed (400 `invalid_input`). `reason`,
    /// when given, is a finer stable code with the values its message needs (`params`),
    /// so a client can say it in its own language.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String, reason: Option<Box<(&'static str, Value)>> },
    /// The request as a whole cannot be understood (400, code given).
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// No valid credentials (401); the code says what is wrong with the token.
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    /// Valid credentials, but not allowed (403 `forbidden`).
    #[error("{0}")]
    Forbidden(String),
    /// 404 `not_found`.
    #[error("{0}")]
    NotFound(String),
    /// The request clashes with what exists or with the current state (409). `state`
    /// carries the current state for illegal transitions.
    #[error("{message}")]
    Conflict { code: &'static str, message: String, state: Option<Value>, reason: Option<Box<(&'static str, Value)>> },
    /// 413 `payload_too_large`.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 429 `rate_limited` with a Retry-After header.
    #[error("too many attempts; try again in {retry_after_s} s")]
    RateLimited { retry_after_s: u64 },
    /// A part of the server is not there for the moment (503 `unavailable`): the live
    /// engine stopped, the server is shutting down.
    #[error("the database is unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// Nothing can be written or read for want of storage (503 `storage_unavailable`, with
    /// `Retry-After`): a full disk, a database server that stopped or cut the connection.
    /// Nothing was stored; the same request (an answer with the same submission id) may be
    /// sent again, and succeeds once storage is back.
    #[error("the data cannot be stored right now (full disk or database unreachable); nothing was stored, try again")]
    StorageUnavailable(#[source] anyhow::Error),
    /// Anything else (500 `internal`); the cause is logged, not shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    /// The answer of the instance that owns a contest's live engine, passed on as it came
    /// (several instances on one database: see `live::relay`).
    #[error("{}", body["error"]["message"].as_str().unwrap_or("refused by the instance that runs the contest"))]
    Relayed { status: u16, body: Value },
}

/// The code of a relayed error as a `&'static str`: codes come from this server's own
/// finite set, so each distinct one is kept once for the life of the process.
fn interned(code: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static CODES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let Ok(mut set) = CODES.get_or_init(Mutex::default).lock() else { return "relayed" };
    if let Some(c) = set.get(code) {
        return c;
    }
    if set.len() >= 256 {
        return "relayed";
    }
    let c: &'static str = Box::leak(code.to_owned().into_boxed_str());
    set.insert(c);
    c
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), message: message.into(), reason: None }
    }
    /// `invalid` with a finer code (`reason`) and the values its message needs.
    pub fn invalid_because(
        field: impl Into<String>,
        reason: &'static str,
        params: Value,
        message: impl Into<String>,
    ) -> Self {
        Self::Invalid { field: field.into(), message: message.into(), reason: Some(Box::new((reason, params))) }
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest { code, message: message.into() }
    }
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::Unauthorized { code, message: message.into() }
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into(), state: None, reason: None }
    }
    /// `conflict` with a finer code (`reason`) and the values its message needs.
    pub fn conflict_because(
        code: &'static str,
        reason: &'static str,
        params: Value,
        message: impl Into<String>,
    ) -> Self {
        Self::Conflict { code, message: message.into(), state: None, reason: Some(Box::new((reason, params))) }
    }
    /// An illegal transition: 409 with the current state attached.
    pub fn invalid_state(message: impl Into<String>, state: Value) -> Self {
        Self::Conflict { code: "invalid_state", message: message.into(), state: Some(state), reason: None }
    }
    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        Self::Internal(e.into())
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "invalid_input",
            Self::BadRequest { code, .. } => code,
            Self::Unauthorized { code, .. } => code,
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict { code, .. } => code,
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::StorageUnavailable(_) => "storage_unavailable",
            Self::Internal(_) => "internal",
            Self::Relayed { body, .. } => interned(body["error"]["code"].as_str().unwrap_or("relayed")),
        }
    }

    /// The JSON body, also used for errors sent over WebSocket.
    pub fn body(&self) -> Value {
        if let Self::Relayed { body, .. } = self {
            return body.clone();
        }
        let mut err = json!({ "code": self.code(), "message": self.to_string() });
        match self {
            Self::Invalid { field, reason, .. } => {
                err["field"] = json!(field);
                if let Some((code, params)) = reason.as_deref() {
                    err["reason"] = json!(code);
                    err["params"] = params.clone();
                }
            }
            Self::Conflict { state, reason, .. } => {
                if let Some(s) = state {
                    err["state"] = s.clone();
                }
                if let Some((code, params)) = reason.as_deref() {
                    err["reason"] = json!(code);
                    err["params"] = params.clone();
                }
            }
            _ => {}
        }
        json!({ "error": err })
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Invalid { .. } | Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::StorageUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Relayed { status, .. } => StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(e) | Self::Unavailable(e) | Self::StorageUnavailable(e) => {
                tracing::error!(error = ?e, code = self.code(), "request failed")
            }
            _ => tracing::debug!(code = self.code(), message = %self, "request refused"),
        }
        let mut res = HttpResponse::build(self.status_code());
        let retry_after_s = match self {
            Self::RateLimited { retry_after_s } => Some(*retry_after_s),
            Self::StorageUnavailable(_) => Some(STORAGE_RETRY_AFTER_S),
            Self::Relayed { status: 503, .. } => Some(1),
            _ => None,
        };
        if let Some(s) = retry_after_s
            && let Ok(v) = HeaderValue::from_str(&s.to_string())
        {
            res.insert_header((header::RETRY_AFTER, v));
        }
        res.json(self.body())
    }
}

impl From<DbErr> for ApiError {
    fn from(e: DbErr) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                Self::conflict("already_exists", "a record with the same unique value already exists")
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                Self::conflict("referenced", "the record refers to, or is referred to by, another record")
            }
            _ if is_storage_failure(&e) => Self::StorageUnavailable(e.into()),
            _ => Self::Internal(e.into()),
        }
    }
}

/// The `Retry-After` of a `storage_unavailable` answer (seconds).
pub const STORAGE_RETRY_AFTER_S: u64 = 2;

/// Whether a database error says that storage failed rather than the request: the
/// connection is gone or cannot be had, the disk is full, or the disk or the database
/// server fails. Such a failure passes once storage is back; the request may be repeated.
pub fn is_storage_failure(e: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    match e {
        DbErr::Conn(_) | DbErr::ConnectionAcquire(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(x)) | DbErr::Query(RuntimeErr::SqlxError(x)) => match &**x {
            Sqlx::Io(_) | Sqlx::Tls(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
            Sqlx::Database(d) => {
                if let Some(pg) = d.try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>() {
                    // Classes 08 (connection), 53 (insufficient resources: disk full, out of
                    // memory, too many connections), 57P (shutdown, cannot connect now),
                    // 58 (the server's own I/O).
                    let c = pg.code();
                    c.starts_with("08") || c.starts_with("53") || c.starts_with("57P") || c.starts_with("58")
                } else {
                    // SQLite's primary result codes (the low byte of an extended code):
                    // SQLITE_READONLY 8, SQLITE_IOERR 10, SQLITE_FULL 13, SQLITE_CANTOPEN 14.
                    let primary = d.code().and_then(|c| c.parse::<i32>().ok()).map(|c| c & 0xff);
                    matches!(primary, Some(8 | 10 | 13 | 14))
                }
            }
            _ => false,
        },
        _ => false,
    }
}

impl From<sea_orm::TransactionError<ApiError>> for ApiError {
    fn from(e: sea_orm::TransactionError<ApiError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(api) => api,
        }
    }
}
