//! Question banks: files on disk ⇄ domain questions (parse, check, import, export, draw).
