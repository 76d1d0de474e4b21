//! Question banks: files on disk ⇄ domain questions (parse, check, import, export, draw).
pub mod check;
pub mod cli;
pub mod draw;
pub mod export;
pub mod format;
pub mod import;
pub mod load;
