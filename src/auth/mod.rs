//! Who is calling: password hashing, signed tokens and the extractors (`Organiser`,
//! `Judge`, `Contestant`, `Staff`, `Caller`) through which a handler states, in its
//! signature, who may call it.
mod extract;
pub mod password;
pub mod ratelimit;
pub mod token;

pub use extract::{Caller, Contestant, Judge, Organiser, Staff, bearer_token, resolve};
pub use token::{Claims, Keys, Role, TokenKind};
