//! The JSON body extractor of the API. Unlike `web::Json` it names the exact field that
//! is wrong (`teams[2].name: invalid type …`), caps bodies at 64 KB with a 413, and
//! rejects unknown fields where the type says `deny_unknown_fields`.
use actix_web::{FromRequest, HttpRequest, dev::Payload, web::BytesMut};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Largest JSON body accepted.
pub const MAX_JSON_BYTES: usize = 64 * 1024;

pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let declared = req
            .headers()
            .get(actix_web::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let json_type = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| ct.starts_with("application/json") || ct.contains("+json"));
        let mut payload = payload.take();
        Box::pin(async move {
            let too_large =
                || ApiError::PayloadTooLarge(format!("the JSON body is larger than {} KB", MAX_JSON_BYTES / 1024));
            if declared.is_some_and(|n| n > MAX_JSON_BYTES) {
                return Err(too_large());
            }
            if json_type == Some(false) {
                return Err(ApiError::bad_request("unsupported_media_type", "send the body as application/json"));
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk =
                    chunk.map_err(|e| ApiError::bad_request("bad_body", format!("cannot read the body: {e}")))?;
                if body.len() + chunk.len() > MAX_JSON_BYTES {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            parse(&body).map(Json)
        })
    }
}

/// Deserializes JSON, naming the path of the offending field in the error.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::bad_request("malformed_json", format!("the body is not valid JSON: {inner}"));
        }
        let msg = strip_position(&inner.to_string());
        let field = if path == "." { unknown_or_missing(&msg).unwrap_or_else(|| "body".into()) } else { path };
        ApiError::invalid(field, msg)
    })
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// serde names a missing or unknown field only in its message: "missing field `name`".
fn unknown_or_missing(msg: &str) -> Option<String> {
    let start = msg.find('`')? + 1;
    let len = msg[start..].find('`')?;
    Some(msg[start..start + len].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Team {
        name: String,
        members: Vec<Member>,
    }
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Member {
        age: u8,
    }

    fn field(body: &str) -> String {
        match parse::<Team>(body.as_bytes()).unwrap_err() {
            ApiError::Invalid { field, .. } => field,
            other => other.code().to_owned(),
        }
    }

    #[test]
    fn names_the_field() {
        assert_eq!(field(r#"{"name": "A", "members": [{"age": 1}, {"age": "x"}]}"#), "members[1].age");
        assert_eq!(field(r#"{"members": []}"#), "name");
        assert_eq!(field(r#"{"name": "A", "members": [], "extra": 1}"#), "extra");
        assert_eq!(field(r#"{"name": "#), "malformed_json");
    }
}
