//! One WebSocket's own task: reads what the client sends (answers, sync, ping), answers
//! it, and drops the socket when it falls silent or the fan-out gives up on it. Events
//! reach the socket from the contest's fan-out ([`super::fanout`]), not through this task.
use std::time::Duration;

use actix_ws::{AggregatedMessage, Session};
use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::events::{ClientMessage, Event, Frame};
use super::{Answerer, Handle, Viewer};
use crate::error::ApiError;

/// Largest message a client may send.
pub const MAX_FRAME: usize = 16 * 1024;

/// The reason of the close frame sent when the socket's token is revoked.
pub const REVOKED_REASON: &str = super::fanout::REVOKED;

/// How long a close may wait for a client that does not read any more.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

fn error_frame(e: &ApiError, submission_id: Option<&str>) -> Frame {
    let mut error = e.body()["error"].clone();
    if let (Some(s), Value::Object(m)) = (submission_id, &mut error) {
        m.insert("submission_id".into(), Value::String(s.to_owned()));
    }
    Event::Error { error }.frame()
}

/// What the socket's task needs besides the socket itself.
pub struct Ctx {
    pub handle: Handle,
    pub viewer: Viewer,
    pub who: Option<Answerer>,
    /// This socket's number in the contest's fan-out.
    pub id: u64,
    /// The fan-out's word that the socket must close, and why.
    pub kick: oneshot::Receiver<&'static str>,
    pub silence_limit: Duration,
}

pub async fn run(mut session: Session, stream: actix_ws::MessageStream, ctx: Ctx) {
    let Ctx { handle, viewer, who, id, mut kick, silence_limit } = ctx;
    // Three pings within the silence limit: one lost pong does not drop a phone.
    let ping_every = silence_limit / 3;
    let mut stream = stream.max_frame_size(MAX_FRAME).aggregate_continuations().max_continuation_size(MAX_FRAME);
    let mut last_heard = Instant::now();
    let mut heartbeat = tokio::time::interval_at(Instant::now() + ping_every, ping_every);
    let mut reason: Option<&'static str> = None;
    loop {
        let out: Vec<Frame> = tokio::select! {
            msg = stream.next() => match msg {
                Some(Ok(AggregatedMessage::Text(t))) => {
                    last_heard = Instant::now();
                    on_text(&handle, viewer, who, &t).await
                }
                Some(Ok(AggregatedMessage::Ping(b))) => {
                    last_heard = Instant::now();
                    if session.pong(&b).await.is_err() { break; }
                    vec![]
                }
                Some(Ok(AggregatedMessage::Pong(_))) => { last_heard = Instant::now(); vec![] }
                Some(Ok(AggregatedMessage::Binary(_))) => {
                    vec![error_frame(&ApiError::bad_request("binary_not_supported", "send JSON text messages"), None)]
                }
                Some(Ok(AggregatedMessage::Close(_))) | Some(Err(_)) | None => break,
            },
            r = &mut kick => {
                // A dropped sender means the fan-out ended without a word: reconnect.
                reason = Some(r.unwrap_or(super::fanout::ENGINE_STOPPED));
                break;
            }
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > silence_limit { break; }
                if session.ping(b"").await.is_err() { break; }
                vec![]
            }
        };
        for f in out {
            if session.text(f).await.is_err() {
                handle.unsubscribe(id);
                return;
            }
        }
    }
    handle.unsubscribe(id);
    let _ = tokio::time::timeout(CLOSE_WAIT, session.close(reason.map(close_reason))).await;
}

/// The close frame for a socket the server closes on purpose: a revoked token is a policy
/// matter; anything else (too slow, engine stopped) asks the client to come back.
pub fn close_reason(reason: &'static str) -> actix_ws::CloseReason {
    let code = if reason == REVOKED_REASON { actix_ws::CloseCode::Policy } else { actix_ws::CloseCode::Again };
    actix_ws::CloseReason { code, description: Some(reason.into()) }
}

async fn on_text(handle: &Handle, viewer: Viewer, who: Option<Answerer>, text: &str) -> Vec<Frame> {
    let msg: ClientMessage = match crate::routes::json::parse(text.as_bytes()) {
        Ok(m) => m,
        Err(e) => return vec![error_frame(&e, None)],
    };
    match msg {
        ClientMessage::Answer(req) => {
            let Some(by) = who else {
                return vec![error_frame(&ApiError::forbidden("only contestants answer"), Some(&req.submission_id))];
            };
            let sid = req.submission_id.clone();
            match handle.answer(by, req).await {
                Ok(ack) => vec![Event::Ack { ack }.frame()],
                Err(e) => vec![error_frame(&e, Some(&sid))],
            }
        }
        ClientMessage::Buzz(req) => {
            let Some(by) = who else {
                return vec![error_frame(&ApiError::forbidden("only contestants press the buzzer"), None)];
            };
            match handle.buzz(by, req).await {
                Ok(buzz) => vec![Event::Buzzed { buzz }.frame()],
                Err(e) => vec![error_frame(&e, None)],
            }
        }
        ClientMessage::Sync => handle.snapshot(viewer).await.unwrap_or_default(),
        ClientMessage::Ping => vec![Event::Pong.frame()],
    }
}
