//! Signed bearer tokens (HS256 only). Every token names its issuer and audience and has
//! `exp` and `nbf`; all four are required and checked. Revocation is checked separately
//! against the database (token versions and the contestant's row), see `extract`.
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

pub const ISSUER: &str = "hoithi";
pub const AUDIENCE: &str = "hoithi-api";

/// Lifetimes. An organiser's access token is short and renewed with a refresh token; a
/// judge's covers a contest day; a contestant's lasts the contest (revoked when it closes).
pub const ORGANISER_ACCESS_S: i64 = 30 * 60;
pub const ORGANISER_REFRESH_S: i64 = 7 * 24 * 3600;
pub const JUDGE_S: i64 = 24 * 3600;
pub const CONTESTANT_S: i64 = 3 * 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Organiser,
    Judge,
    Contestant,
    /// The hall's projector: a view-only link that follows one contest's live screen.
    Audience,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Access,
    Refresh,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub role: Role,
    pub kind: TokenKind,
    /// Token version of the row that can revoke this token (user, judge or contest).
    pub ver: i32,
    /// User account (organisers and judges with an account).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<i32>,
    /// Judge of one contest (invitation or assignment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jid: Option<i32>,
    /// Contest the token is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<i32>,
    /// Team of a contestant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tid: Option<i32>,
    /// Contestant id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xid: Option<i32>,
}

impl Claims {
    fn base(role: Role, kind: TokenKind, sub: String, ver: i32, ttl_s: i64) -> Self {
        let now = chrono::Utc::now().timestamp();
        Self {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub,
            iat: now,
            nbf: now,
            exp: now + ttl_s,
            role,
            kind,
            ver,
            uid: None,
            jid: None,
            cid: None,
            tid: None,
            xid: None,
        }
    }

    pub fn organiser(user_id: i32, ver: i32, kind: TokenKind) -> Self {
        let ttl = match kind {
            TokenKind::Access => ORGANISER_ACCESS_S,
            TokenKind::Refresh => ORGANISER_REFRESH_S,
        };
        Self { uid: Some(user_id), ..Self::base(Role::Organiser, kind, format!("user:{user_id}"), ver, ttl) }
    }

    /// A judge with an account (not bound to a contest).
    pub fn judge_account(user_id: i32, ver: i32) -> Self {
        Self {
            uid: Some(user_id),
            ..Self::base(Role::Judge, TokenKind::Access, format!("user:{user_id}"), ver, JUDGE_S)
        }
    }

    /// A judge signed in by an invitation link: bound to one contest.
    pub fn judge_invited(judge_id: i32, contest_id: i32, ver: i32) -> Self {
        Self {
            jid: Some(judge_id),
            cid: Some(contest_id),
            ..Self::base(Role::Judge, TokenKind::Access, format!("judge:{judge_id}"), ver, JUDGE_S)
        }
    }

    /// The projector link of a contest: it opens the live socket as the audience and
    /// nothing else (every API call is refused). It lasts as long as a contestant's.
    pub fn audience(contest_id: i32) -> Self {
        Self {
            cid: Some(contest_id),
            ..Self::base(Role::Audience, TokenKind::Access, format!("projector:{contest_id}"), 0, CONTESTANT_S)
        }
    }

    pub fn contestant(contestant_id: i32, team_id: i32, contest_id: i32, ver: i32) -> Self {
        Self {
            xid: Some(contestant_id),
            tid: Some(team_id),
            cid: Some(contest_id),
            ..Self::base(Role::Contestant, TokenKind::Access, format!("contestant:{contestant_id}"), ver, CONTESTANT_S)
        }
    }
}

/// Signing and verifying keys with the one accepted algorithm.
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl Keys {
    pub fn new(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = 5;
        Self { encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret), validation }
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, ApiError> {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding).map_err(ApiError::internal)
    }

    /// Verifies signature, algorithm, `exp`, `nbf`, `iss` and `aud`; the error code says
    /// which check failed.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        // Decoded as plain JSON first: jsonwebtoken deserializes the target type before
        // its own checks, so a typed decode would hide which check failed.
        let value = decode::<serde_json::Value>(token, &self.decoding, &self.validation).map_err(|e| {
            let claim_present = |c: &str| segment_json(token, 1).is_some_and(|v| v.get(c).is_some());
            let (code, message) = match e.kind() {
                ErrorKind::ExpiredSignature => ("token_expired", "the token has expired; sign in again".into()),
                ErrorKind::ImmatureSignature => ("token_not_yet_valid", "the token is not valid yet (nbf)".into()),
                ErrorKind::InvalidSignature => ("token_bad_signature", "the token's signature does not match".into()),
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName | ErrorKind::UnsupportedAlgorithm => {
                    ("token_bad_algorithm", "the token must be signed with HS256".into())
                }
                ErrorKind::InvalidIssuer => ("token_wrong_issuer", "the token was issued by someone else".into()),
                ErrorKind::InvalidAudience => {
                    ("token_wrong_audience", "the token is meant for another audience".into())
                }
                // A claim that is there but unreadable (e.g. `exp` as a string) counts as
                // missing for jsonwebtoken; tell the two apart.
                ErrorKind::MissingRequiredClaim(c) if claim_present(c) => {
                    ("token_bad_claim", format!("the claim `{c}` of the token has the wrong type"))
                }
                ErrorKind::MissingRequiredClaim(c) => {
                    ("token_missing_claim", format!("the token lacks the required claim `{c}`"))
                }
                ErrorKind::InvalidClaimFormat(c) => {
                    ("token_bad_claim", format!("the claim `{c}` of the token has the wrong type"))
                }
                // `alg: none` and other names jsonwebtoken does not know fail as a
                // malformed header; say what is actually wrong.
                _ if header_alg(token).is_some_and(|a| a != "HS256") => {
                    ("token_bad_algorithm", "the token must be signed with HS256".into())
                }
                _ => ("token_malformed", "the token is not a well-formed JWT".into()),
            };
            ApiError::unauthorized(code, message)
        })?;
        serde_json::from_value::<Claims>(value.claims)
            .map_err(|e| ApiError::unauthorized("token_bad_claim", format!("the token's claims do not fit: {e}")))
    }
}

/// The `alg` of a token's header, read without trusting anything else in it.
fn header_alg(token: &str) -> Option<String> {
    segment_json(token, 0)?.get("alg")?.as_str().map(str::to_owned)
}

/// Segment `i` of a JWT (0 header, 1 payload) as JSON, if it is JSON.
fn segment_json(token: &str, i: usize) -> Option<serde_json::Value> {
    use base64::Engine;
    let seg = token.split('.').nth(i)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(seg.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_key() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef");
        let c = Claims::contestant(3, 2, 1, 0);
        let t = keys.sign(&c).unwrap();
        let back = keys.verify(&t).unwrap();
        assert_eq!(back.xid, Some(3));
        let other = Keys::new(b"another secret another secret 12");
        assert_eq!(other.verify(&t).unwrap_err().code(), "token_bad_signature");
        assert_eq!(keys.verify("abc").unwrap_err().code(), "token_malformed");
    }

    #[test]
    fn expired_is_refused() {
        let keys = Keys::new(b"0123456789abcdef0123456789abcdef");
        let mut c = Claims::organiser(1, 0, TokenKind::Access);
        c.exp = c.iat - 3600;
        c.nbf = c.iat - 7200;
        let t = keys.sign(&c).unwrap();
        assert_eq!(keys.verify(&t).unwrap_err().code(), "token_expired");
    }
}
