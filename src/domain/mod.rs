//! Pure domain logic: no I/O, no HTTP, no SQL.
pub mod buzzer;
pub mod contest;
pub mod elimination;
pub mod judging;
pub mod part;
pub mod prizes;
pub mod question;
pub mod ranking;
pub mod scoring;
pub mod text;
