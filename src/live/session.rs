//! One WebSocket: forwards the contest's pre-serialized frames (everyone's, the role's,
//! the team's), takes answers from phones, and drops the socket when it falls silent.
use std::time::Duration;

use actix_ws::{AggregatedMessage, Session};
use futures_util::StreamExt;
use serde_json::Value;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

use super::events::{ClientMessage, Event, Frame};
use super::{Answerer, Handle, Subscription, Viewer};
use crate::error::ApiError;

/// Largest message a client may send.
pub const MAX_FRAME: usize = 16 * 1024;
const PING_EVERY: Duration = Duration::from_secs(15);
const SILENCE_LIMIT: Duration = Duration::from_secs(45);

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

pub async fn run(
    mut session: Session,
    stream: actix_ws::MessageStream,
    handle: Handle,
    viewer: Viewer,
    who: Option<Answerer>,
    mut sub: Subscription,
) {
    let mut stream = stream.max_frame_size(MAX_FRAME).aggregate_continuations().max_continuation_size(MAX_FRAME);
    for f in std::mem::take(&mut sub.snapshot) {
        if session.text(f).await.is_err() {
            return;
        }
    }
    let mut last_heard = Instant::now();
    let mut heartbeat = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
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
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT { break; }
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
