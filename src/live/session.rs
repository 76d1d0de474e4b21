//! One WebSocket: forwards the contest's pre-serialized frames (everyone's, the role's,
//! the team's), takes answers from phones, and drops the socket when it falls silent.
use std::time::Duration;

use actix_ws::{AggregatedMessage, Session};
use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

use super::events::{ClientMessage, Event, Frame};
use super::{Answerer, Handle, Holder, Revoked, Subscription, Viewer};
use crate::error::ApiError;

/// Largest message a client may send.
pub const MAX_FRAME: usize = 16 * 1024;

async fn recv_opt(r: &mut Option<broadcast::Receiver<Frame>>) -> Result<Frame, RecvError> {
    match r {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}

fn error_frame(e: &ApiError, submission_id: Option<&str>) -> Frame {
    let mut error = e.body()["error"].clone();
    if let (Some(s), Value::Object(m)) = (submission_id, &mut error) {
        m.insert("submission_id".into(), Value::String(s.to_owned()));
    }
    Event::Error { error }.frame()
}

/// The reason of the close frame sent when the socket's token is revoked.
pub const REVOKED_REASON: &str = "token_revoked";

#[allow(clippy::too_many_arguments)]
pub async fn run(
    mut session: Session,
    stream: actix_ws::MessageStream,
    handle: Handle,
    viewer: Viewer,
    who: Option<Answerer>,
    mut sub: Subscription,
    holder: Holder,
    mut revocations: broadcast::Receiver<Revoked>,
    silence_limit: Duration,
) {
    // Three pings within the silence limit: one lost pong does not drop a phone.
    let ping_every = silence_limit / 3;
    let mut stream = stream.max_frame_size(MAX_FRAME).aggregate_continuations().max_continuation_size(MAX_FRAME);
    for f in std::mem::take(&mut sub.snapshot) {
        if session.text(f).await.is_err() {
            return;
        }
    }
    let mut last_heard = Instant::now();
    let mut heartbeat = tokio::time::interval_at(Instant::now() + ping_every, ping_every);
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
            f = sub.all.recv() => match forward(f, &handle, viewer).await { Some(v) => v, None => break },
            f = sub.role.recv() => match forward(f, &handle, viewer).await { Some(v) => v, None => break },
            f = recv_opt(&mut sub.team) => match forward(f, &handle, viewer).await { Some(v) => v, None => break },
            r = revocations.recv() => match r {
                Ok(r) if holder.is_hit_by(r) => {
                    let reason = actix_ws::CloseReason {
                        code: actix_ws::CloseCode::Policy,
                        description: Some(REVOKED_REASON.into()),
                    };
                    let _ = session.close(Some(reason)).await;
                    return;
                }
                // Missed revocations might include ours: the holder must be checked
                // again, which a reconnect does.
                Err(RecvError::Lagged(_)) => break,
                Err(RecvError::Closed) => break,
                Ok(_) => vec![],
            },
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > silence_limit { break; }
                if session.ping(b"").await.is_err() { break; }
                vec![]
            }
        };
        for f in out {
            if session.text(f).await.is_err() {
                return;
            }
        }
    }
    let _ = session.close(None).await;
}

/// A frame to pass on; after a lag, a fresh snapshot replaces what was missed.
async fn forward(f: Result<Frame, RecvError>, handle: &Handle, viewer: Viewer) -> Option<Vec<Frame>> {
    match f {
        Ok(f) => Some(vec![f]),
        Err(RecvError::Lagged(_)) => handle.snapshot(viewer).await.ok(),
        Err(RecvError::Closed) => None,
    }
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
        ClientMessage::Sync => handle.snapshot(viewer).await.unwrap_or_default(),
        ClientMessage::Ping => vec![Event::Pong.frame()],
    }
}
