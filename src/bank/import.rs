//! Organisers' own questions from XLSX, CSV (the template's columns) or Moodle's Aiken
//! format. Reading is pure: a file becomes drafts or a list of errors naming sheet, row
//! and column. `apply` then writes everything in one transaction, or nothing.
//!
//! Sections: a new bank takes its sections from the "Phần" column (in order of first
//! appearance); an existing bank accepts only its own sections. Sources: see
//! `format::check_source` — questions of a bank without documents may omit them.
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use sea_orm::{DatabaseConnection, TransactionTrait};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::format::{self, AnswerValue, Draft, SectionMeta};
use crate::domain::question::{Question, QuestionKind, Source};
use crate::domain::text::fold;
use crate::store;

/// Largest file accepted.
pub const MAX_IMPORT_BYTES: usize = 5 * 1024 * 1024;
/// Most question rows in one file.
pub const MAX_ROWS: usize = 5000;
/// Most bytes a workbook may unpack to: a small file that inflates to gigabytes is refused
/// before it is read.
pub const MAX_UNZIPPED_BYTES: u64 = 50 * 1024 * 1024;
/// Name of the template's question sheet.
pub const SHEET: &str = "Câu hỏi";

/// One problem of an import, as precise as the file allows.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ImportError {
    pub sheet: String,
    /// 1-based row (line of a CSV or Aiken file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// Column letter and header, e.g. `N (Đáp án)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Stable machine code of the problem (`not_a_number`, `unknown_column`, …), for
    /// clients that say it in their own language.
    pub code: &'static str,
    /// The values the message needs (`{"value": "abc"}`), by name; strings and numbers.
    #[schema(value_type = Object)]
    pub params: Value,
    /// The problem in English (API, CLI).
    pub message: String,
}

impl ImportError {
    pub fn new(
        sheet: impl Into<String>,
        row: Option<usize>,
        column: Option<String>,
        code: &'static str,
        params: Value,
        message: impl Into<String>,
    ) -> Self {
        Self { sheet: sheet.into(), row, column, code, params, message: message.into() }
    }
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.sheet)?;
        if let Some(r) = self.row {
            write!(f, ", row {r}")?;
        }
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        write!(f, ": {}", self.message)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
    Aiken,
}

impl Format {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "xlsx" => Some(Self::Xlsx),
            "csv" => Some(Self::Csv),
            "aiken" | "txt" => Some(Self::Aiken),
            _ => None,
        }
    }
}

/// The template's columns, in order: (header, field of the draft, required).
pub const COLUMNS: [(&str, &str, bool); 22] = [
    ("Mã câu hỏi", "id", true),
    ("Phần", "section", true),
    ("Loại", "type", true),
    ("Độ khó", "difficulty", false),
    ("Điểm", "points", false),
    ("Thời gian (giây)", "time_limit", false),
    ("Câu hỏi", "prompt", true),
    ("Phương án A", "options", false),
    ("Phương án B", "options", false),
    ("Phương án C", "options", false),
    ("Phương án D", "options", false),
    ("Phương án E", "options", false),
    ("Phương án F", "options", false),
    ("Đáp án", "answer", true),
    ("Sai số", "tolerance", false),
    ("Đơn vị", "unit", false),
    ("Giải thích", "explanation", false),
    ("Thẻ", "tags", false),
    ("Tài liệu", "document", false),
    ("Trích dẫn", "quote", false),
    ("Nhóm", "group", false),
    ("Loại trừ", "excludes", false),
];

/// What a person explains in the template's "Hướng dẫn" sheet, one line per column.
pub const GUIDE: [(&str, &str); 22] = [
    ("Mã câu hỏi", "Mã riêng, không trùng trong ngân hàng, không có dấu cách (ví dụ: bt-001)."),
    ("Phần", "Mã phần của chuyên đề (ví dụ: phan-1)."),
    (
        "Loại",
        "single (một đáp án), multiple (nhiều đáp án), true_false (đúng/sai), short_text (trả lời ngắn), number (số).",
    ),
    ("Độ khó", "1 dễ, 2 trung bình, 3 khó (mặc định 1)."),
    ("Điểm", "Điểm mặc định của câu hỏi (mặc định 10)."),
    ("Thời gian (giây)", "Thời gian trả lời (mặc định 20)."),
    ("Câu hỏi", "Nội dung câu hỏi."),
    ("Phương án A", "Các phương án A–F cho câu single và multiple; để trống với các loại khác."),
    ("Phương án B", ""),
    ("Phương án C", ""),
    ("Phương án D", ""),
    ("Phương án E", ""),
    ("Phương án F", ""),
    (
        "Đáp án",
        "single: một chữ cái (B); multiple: các chữ cái cách nhau bởi dấu phẩy (A, C); true_false: Đúng hoặc Sai; number: một số; short_text: các đáp án chấp nhận cách nhau bởi dấu |.",
    ),
    ("Sai số", "Câu number: sai số cho phép (mặc định 0)."),
    ("Đơn vị", "Câu number: đơn vị (không bắt buộc)."),
    ("Giải thích", "Giải thích đáp án (không bắt buộc)."),
    ("Thẻ", "Các thẻ cách nhau bởi dấu chấm phẩy ; (không bắt buộc)."),
    ("Tài liệu", "Mã tài liệu nguồn trong ngân hàng (bắt buộc khi ngân hàng có tài liệu)."),
    ("Trích dẫn", "Câu trích nguyên văn từ tài liệu, chứng minh đáp án."),
    (
        "Nhóm",
        "Tên nhóm của những câu hỏi trả lời hộ nhau (cùng một sự kiện, hoặc câu này làm lộ đáp án câu kia); hai câu cùng nhóm không bao giờ vào cùng một hội thi. Nhiều nhóm cách nhau bởi dấu chấm phẩy ; (không bắt buộc).",
    ),
    (
        "Loại trừ",
        "Mã các câu hỏi trong ngân hàng không được vào cùng hội thi với câu này, cách nhau bởi dấu chấm phẩy ; (không bắt buộc).",
    ),
];

/// A cell as read from a spreadsheet or CSV.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.trim().to_owned(),
            Cell::Number(n) => fmt_number(*n),
            Cell::Bool(b) => if *b { "Đúng" } else { "Sai" }.to_owned(),
        }
    }
    fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

pub fn fmt_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { format!("{n}") }
}

/// A question read from a file: where it came from and what it says.
#[derive(Debug, Clone)]
pub struct Row {
    pub row: usize,
    pub section: String,
    pub draft: Draft,
    /// Cells that could not be read; the row is not validated further.
    pub errors: Vec<ImportError>,
}

/// The questions a file holds, before the bank is consulted.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub sheet: String,
    pub rows: Vec<Row>,
    /// Draft field → the file's column that holds it, e.g. ("answer", "G (Đáp án)").
    pub columns: Vec<(&'static str, String)>,
}

fn col_letter(i: usize) -> String {
    let mut n = i + 1;
    let mut s = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        s.push(b'A' + r as u8);
        n = (n - 1) / 26;
    }
    s.reverse();
    String::from_utf8_lossy(&s).into_owned()
}

/// Reads a file of the given format.
pub fn parse(format: Format, bytes: &[u8], default_section: &str) -> Result<Parsed, Vec<ImportError>> {
    if bytes.len() > MAX_IMPORT_BYTES {
        let mb = MAX_IMPORT_BYTES / 1024 / 1024;
        return Err(vec![ImportError::new(
            "file",
            None,
            None,
            "file_too_large",
            json!({ "max_mb": mb }),
            format!("the file is larger than {mb} MB"),
        )]);
    }
    match format {
        Format::Xlsx => parse_xlsx(bytes),
        Format::Csv => parse_csv(bytes),
        Format::Aiken => parse_aiken(bytes, default_section),
    }
}

fn whole(sheet: &str, code: &'static str, params: Value, message: impl Into<String>) -> Vec<ImportError> {
    vec![ImportError::new(sheet, None, None, code, params, message)]
}

fn parse_xlsx(bytes: &[u8]) -> Result<Parsed, Vec<ImportError>> {
    let not_xlsx =
        |e: &dyn std::fmt::Display| whole("file", "not_xlsx", json!({}), format!("not a readable XLSX workbook: {e}"));
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| not_xlsx(&e))?;
    let mut unzipped: u64 = 0;
    for i in 0..archive.len() {
        unzipped = unzipped.saturating_add(archive.by_index_raw(i).map_err(|e| not_xlsx(&e))?.size());
    }
    if unzipped > MAX_UNZIPPED_BYTES {
        let mb = MAX_UNZIPPED_BYTES / 1024 / 1024;
        return Err(whole(
            "file",
            "unzipped_too_large",
            json!({ "max_mb": mb }),
            format!("the workbook unpacks to more than {mb} MB; split it"),
        ));
    }
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| not_xlsx(&e))?;
    let names = wb.sheet_names();
    let sheet = names
        .iter()
        .find(|n| fold(n) == fold(SHEET))
        .or_else(|| names.first())
        .cloned()
        .ok_or_else(|| whole("file", "no_sheet", json!({}), "the workbook has no sheet"))?;
    let range = wb
        .worksheet_range(&sheet)
        .map_err(|e| whole(&sheet, "unreadable_sheet", json!({}), format!("cannot read the sheet: {e}")))?;
    // Formulas are refused: their cached value may be stale and the organiser meant a value.
    if let Ok(formulas) = wb.worksheet_formula(&sheet) {
        let (r0, c0) = formulas.start().unwrap_or((0, 0));
        let errs: Vec<ImportError> = formulas
            .used_cells()
            .filter(|(_, _, f)| !f.is_empty())
            .take(20)
            .map(|(r, c, f)| {
                ImportError::new(
                    sheet.clone(),
                    Some(r0 as usize + r + 1),
                    Some(col_letter(c0 as usize + c)),
                    "formula_cell",
                    json!({ "formula": format!("={f}") }),
                    format!("formula cells are not accepted (={f}); paste the values instead"),
                )
            })
            .collect();
        if !errs.is_empty() {
            return Err(errs);
        }
    }
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let (h, w) = range.get_size();
    if h > MAX_ROWS + 1 {
        return Err(whole(
            &sheet,
            "too_many_rows",
            json!({ "max": MAX_ROWS }),
            format!("the sheet has {h} rows; at most {MAX_ROWS} questions per file"),
        ));
    }
    let mut grid: Vec<Vec<Cell>> = vec![vec![Cell::Empty; c0 as usize + w]; r0 as usize + h];
    for (r, c, d) in range.used_cells() {
        let cell = match d {
            Data::Int(i) => Cell::Number(*i as f64),
            Data::Float(f) => Cell::Number(*f),
            Data::String(s) => Cell::Text(s.clone()),
            Data::Bool(b) => Cell::Bool(*b),
            Data::DateTime(dt) => Cell::Text(dt.to_string()),
            Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
            Data::Error(e) => {
                return Err(vec![ImportError::new(
                    sheet.clone(),
                    Some(r0 as usize + r + 1),
                    Some(col_letter(c0 as usize + c)),
                    "error_cell",
                    json!({ "value": e.to_string() }),
                    format!("the cell holds an error value ({e})"),
                )]);
            }
            Data::Empty => Cell::Empty,
        };
        if let Some(slot) = grid.get_mut(r0 as usize + r).and_then(|row| row.get_mut(c0 as usize + c)) {
            *slot = cell;
        }
    }
    rows_of(&sheet, grid)
}

fn parse_csv(bytes: &[u8]) -> Result<Parsed, Vec<ImportError>> {
    let sheet = "CSV".to_owned();
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    if let Err(e) = std::str::from_utf8(bytes) {
        let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
        return Err(vec![ImportError::new(
            sheet,
            Some(line),
            None,
            "not_utf8",
            json!({}),
            "the file is not UTF-8 text; save it as \"CSV UTF-8\"",
        )]);
    }
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let delim = if first_line.iter().filter(|b| **b == b';').count() > first_line.iter().filter(|b| **b == b',').count()
    {
        b';'
    } else {
        b','
    };
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delim).from_reader(bytes);
    let mut grid = Vec::new();
    for rec in rdr.records() {
        match rec {
            Ok(r) => grid.push(
                r.iter().map(|s| if s.trim().is_empty() { Cell::Empty } else { Cell::Text(s.to_owned()) }).collect(),
            ),
            Err(e) => {
                let row = e.position().map(|p| p.line() as usize);
                return Err(vec![ImportError::new(
                    sheet,
                    row,
                    None,
                    "malformed_csv",
                    json!({}),
                    format!("malformed CSV: {e}"),
                )]);
            }
        }
        if grid.len() > MAX_ROWS + 1 {
            return Err(whole(
                &sheet,
                "too_many_rows",
                json!({ "max": MAX_ROWS }),
                format!("more than {MAX_ROWS} rows; at most {MAX_ROWS} questions per file"),
            ));
        }
    }
    rows_of(&sheet, grid)
}

/// Turns a grid (row 0 = headers) into drafts.
fn rows_of(sheet: &str, grid: Vec<Vec<Cell>>) -> Result<Parsed, Vec<ImportError>> {
    let mut errs = Vec::new();
    let Some(header) = grid.first() else {
        return Err(whole(
            sheet,
            "empty_sheet",
            json!({}),
            "the sheet is empty: the first row must hold the template's headers",
        ));
    };
    // column index of each template column
    let mut idx: Vec<Option<usize>> = vec![None; COLUMNS.len()];
    for (c, cell) in header.iter().enumerate() {
        if cell.is_empty() {
            continue;
        }
        let h = fold(&cell.text());
        match COLUMNS.iter().position(|(name, _, _)| fold(name) == h) {
            Some(k) if idx[k].is_some() => errs.push(ImportError::new(
                sheet,
                Some(1),
                Some(col_letter(c)),
                "duplicate_column",
                json!({ "header": cell.text() }),
                format!("column {:?} appears twice", cell.text()),
            )),
            Some(k) => idx[k] = Some(c),
            None => errs.push(ImportError::new(
                sheet,
                Some(1),
                Some(col_letter(c)),
                "unknown_column",
                json!({ "header": cell.text() }),
                format!("unknown column {:?}; use the template's headers", cell.text()),
            )),
        }
    }
    for (k, (name, _, required)) in COLUMNS.iter().enumerate() {
        if *required && idx[k].is_none() {
            errs.push(ImportError::new(
                sheet,
                Some(1),
                None,
                "missing_column",
                json!({ "column": name }),
                format!("the required column {name:?} is missing"),
            ));
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    let last = grid.iter().rposition(|r| r.iter().any(|c| !c.is_empty())).unwrap_or(0);
    let mut rows = Vec::new();
    for (i, r) in grid.iter().enumerate().take(last + 1).skip(1) {
        let rownum = i + 1;
        if r.iter().all(Cell::is_empty) {
            errs.push(ImportError::new(
                sheet,
                Some(rownum),
                None,
                "empty_row",
                json!({}),
                "empty row between questions; delete it",
            ));
            continue;
        }
        let get = |k: usize| idx[k].and_then(|c| r.get(c)).cloned().unwrap_or(Cell::Empty);
        let colname = |k: usize| idx[k].map(|c| format!("{} ({})", col_letter(c), COLUMNS[k].0));
        let mut row_errs: Vec<ImportError> = Vec::new();
        let mut err = |k: usize, code: &'static str, params: Value, message: String| {
            row_errs.push(ImportError::new(sheet, Some(rownum), colname(k), code, params, message))
        };
        let int = |k: usize, default: i64, err: &mut dyn FnMut(usize, &'static str, Value, String)| -> i64 {
            match get(k) {
                Cell::Empty => default,
                Cell::Number(n) if n.fract() == 0.0 => n as i64,
                c => c.text().parse::<i64>().unwrap_or_else(|_| {
                    err(
                        k,
                        "not_a_whole_number",
                        json!({ "value": c.text() }),
                        format!("{:?} is not a whole number", c.text()),
                    );
                    default
                }),
            }
        };
        let num = |k: usize, err: &mut dyn FnMut(usize, &'static str, Value, String)| -> Option<f64> {
            match get(k) {
                Cell::Empty => None,
                Cell::Number(n) => Some(n),
                c => {
                    let t = c.text();
                    let t2 = if t.contains('.') { t.clone() } else { t.replace(',', ".") };
                    match t2.trim().parse::<f64>() {
                        Ok(v) => Some(v),
                        Err(_) => {
                            err(k, "not_a_number", json!({ "value": t }), format!("{t:?} is not a number"));
                            None
                        }
                    }
                }
            }
        };
        let kind = get(2).text();
        let difficulty = int(3, 1, &mut err);
        let points = num(4, &mut err).unwrap_or(10.0);
        let time_limit_s = int(5, 20, &mut err);
        let mut options: Vec<String> = (7..13).map(|k| get(k).text()).collect();
        while options.last().is_some_and(|o| o.is_empty()) {
            options.pop();
        }
        let answer_cell = get(13);
        let kind_p = QuestionKind::parse(kind.trim());
        let (answer, accepted) = match kind_p {
            Some(QuestionKind::ShortText) => (
                None,
                Some(answer_cell.text().split('|').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()),
            ),
            Some(QuestionKind::TrueFalse) => match &answer_cell {
                Cell::Bool(b) => (Some(AnswerValue::Bool(*b)), None),
                c => match fold(&c.text()).as_str() {
                    "dung" | "d" | "true" | "x" => (Some(AnswerValue::Bool(true)), None),
                    "sai" | "s" | "false" => (Some(AnswerValue::Bool(false)), None),
                    _ => {
                        err(
                            13,
                            "not_true_false",
                            json!({ "value": c.text() }),
                            format!("{:?} is neither Đúng nor Sai", c.text()),
                        );
                        (None, None)
                    }
                },
            },
            Some(QuestionKind::Number) => (num(13, &mut err).map(AnswerValue::Number), None),
            Some(QuestionKind::Multiple) => (
                Some(AnswerValue::List(
                    answer_cell.text().split([',', ';', ' ']).filter(|s| !s.is_empty()).map(String::from).collect(),
                )),
                None,
            ),
            _ => (if answer_cell.is_empty() { None } else { Some(AnswerValue::Text(answer_cell.text())) }, None),
        };
        let tolerance = num(14, &mut err);
        let unit = Some(get(15).text()).filter(|s| !s.is_empty());
        let list = |k: usize| -> Vec<String> {
            get(k).text().split(';').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
        };
        let document = get(18).text();
        let quote = get(19).text();
        let draft = Draft {
            qid: get(0).text(),
            kind,
            difficulty,
            points,
            time_limit_s,
            prompt: get(6).text(),
            options: if options.is_empty() { None } else { Some(options) },
            answer,
            accepted,
            tolerance,
            unit,
            explanation: get(16).text(),
            tags: get(17).text().split(';').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
            source: if document.is_empty() && quote.is_empty() { None } else { Some(Source { document, quote }) },
            groups: list(20),
            excludes: list(21),
        };
        let section = get(1).text();
        if section.is_empty() {
            err(1, "empty_section", json!({}), "the section is empty".into());
        }
        rows.push(Row { row: rownum, section, draft, errors: row_errs });
    }
    if rows.is_empty() && errs.is_empty() {
        errs.push(ImportError::new(sheet, None, None, "no_rows", json!({}), "no question rows below the headers"));
    }
    let mut columns: Vec<(&'static str, String)> = Vec::new();
    for (k, (name, field, _)) in COLUMNS.iter().enumerate() {
        if let Some(c) = idx[k]
            && !columns.iter().any(|(f, _)| f == field)
        {
            columns.push((field, format!("{} ({name})", col_letter(c))));
        }
    }
    if errs.is_empty() { Ok(Parsed { sheet: sheet.into(), rows, columns }) } else { Err(errs) }
}

/// Moodle's Aiken format: a prompt line, option lines `A. …` / `A) …`, then
/// `ANSWER: B`; questions separated by blank lines. Ids derive from the prompt, so the
/// same file imported twice is refused as a duplicate rather than doubled.
fn parse_aiken(bytes: &[u8], section: &str) -> Result<Parsed, Vec<ImportError>> {
    let sheet = "Aiken".to_owned();
    let text = match std::str::from_utf8(bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
            return Err(vec![ImportError::new(
                sheet,
                Some(line),
                None,
                "not_utf8",
                json!({}),
                "the file is not UTF-8 text",
            )]);
        }
    };
    let mut errs = Vec::new();
    let mut rows = Vec::new();
    let mut prompt: Option<(usize, String)> = None;
    let mut options: Vec<String> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let n = i + 1;
        if line.is_empty() {
            continue;
        }
        let opt = {
            let mut ch = line.chars();
            match (ch.next(), ch.next(), ch.next()) {
                (Some(l), Some('.' | ')'), Some(' ')) if l.is_ascii_uppercase() => Some(line[3..].trim().to_owned()),
                _ => None,
            }
        };
        if let Some(rest) = line.strip_prefix("ANSWER:") {
            match prompt.take() {
                Some((pline, p)) => {
                    let mut h = Sha256::new();
                    h.update(fold(&p).as_bytes());
                    let digest = h.finalize();
                    let qid = format!("ak-{}", digest.iter().take(4).map(|b| format!("{b:02x}")).collect::<String>());
                    rows.push(Row {
                        row: pline,
                        section: section.to_owned(),
                        draft: Draft {
                            qid,
                            kind: "single".into(),
                            difficulty: 1,
                            points: 10.0,
                            time_limit_s: 20,
                            prompt: p,
                            options: Some(std::mem::take(&mut options)),
                            answer: Some(AnswerValue::Text(rest.trim().to_owned())),
                            ..Default::default()
                        },
                        errors: Vec::new(),
                    });
                }
                None => errs.push(ImportError::new(
                    sheet.clone(),
                    Some(n),
                    None,
                    "answer_without_question",
                    json!({}),
                    "ANSWER line without a question",
                )),
            }
        } else if let Some(o) = opt {
            if prompt.is_none() {
                errs.push(ImportError::new(
                    sheet.clone(),
                    Some(n),
                    None,
                    "option_without_question",
                    json!({}),
                    "option line without a question",
                ));
            }
            options.push(o);
        } else if let Some((pline, _)) = &prompt {
            if options.is_empty() {
                // a prompt continued on the next line
                if let Some((_, p)) = prompt.as_mut() {
                    p.push(' ');
                    p.push_str(line);
                }
            } else {
                errs.push(ImportError::new(
                    sheet.clone(),
                    Some(*pline),
                    None,
                    "missing_answer_line",
                    json!({}),
                    "question without an ANSWER: line",
                ));
                prompt = Some((n, line.to_owned()));
                options.clear();
            }
        } else {
            prompt = Some((n, line.to_owned()));
        }
    }
    if let Some((pline, _)) = prompt {
        errs.push(ImportError::new(
            sheet.clone(),
            Some(pline),
            None,
            "missing_answer_line",
            json!({}),
            "question without an ANSWER: line",
        ));
    }
    if rows.is_empty() && errs.is_empty() {
        errs.push(ImportError::new(sheet.clone(), None, None, "no_rows", json!({}), "no question found"));
    }
    if errs.is_empty() { Ok(Parsed { sheet, rows, columns: Vec::new() }) } else { Err(errs) }
}

/// Field of a draft → the file's column (for errors of `format::build`).
fn column_of(columns: &[(&'static str, String)], field: &str) -> Option<String> {
    let f = match field {
        "source" => "quote",
        "accepted" => "answer",
        f => f,
    };
    columns.iter().find(|(c, _)| *c == f).map(|(_, name)| name.clone())
}

/// The code of a problem `format::build` or `format::check_source` found in a field: the
/// English message says exactly what; the code says which field is wrong.
fn field_code(field: &str) -> &'static str {
    match field {
        "id" => "bad_id",
        "type" => "bad_type",
        "difficulty" => "bad_difficulty",
        "points" => "bad_points",
        "time_limit" => "bad_time_limit",
        "prompt" => "empty_prompt",
        "options" => "bad_options",
        "answer" => "bad_answer",
        "accepted" => "bad_accepted",
        "tolerance" => "bad_tolerance",
        "group" => "bad_group",
        "excludes" => "bad_excludes",
        "source" => "bad_source",
        _ => "bad_value",
    }
}

/// What an import did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub bank_id: i32,
    pub bank: String,
    pub created_bank: bool,
    pub imported: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    #[error("{}", render(.0))]
    Invalid(Vec<ImportError>),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

pub fn render(errs: &[ImportError]) -> String {
    errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")
}

/// Validates the parsed rows against the bank (new when `slug` is unknown) and writes
/// them in one transaction. Any problem: nothing is written.
pub async fn apply(
    db: &DatabaseConnection,
    slug: &str,
    title: Option<&str>,
    parsed: Parsed,
) -> Result<ImportReport, ImportFailure> {
    let sheet = parsed.sheet.clone();
    let e = |row: Option<usize>, column: Option<String>, code: &'static str, params: Value, message: String| {
        ImportError::new(sheet.clone(), row, column, code, params, message)
    };
    if slug.is_empty() || slug.len() > 80 || !slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(ImportFailure::Invalid(vec![e(
            None,
            None,
            "bad_bank_id",
            json!({ "bank": slug }),
            format!("bad bank id {slug:?}: use letters, digits and dashes"),
        )]));
    }
    let txn = db.begin().await?;
    let existing = store::banks::bank_by_slug(&txn, slug).await?;
    let (sections, documents, taken): (Vec<String>, Vec<format::Document>, Vec<String>) = match &existing {
        Some(b) => (
            store::banks::sections(&txn, b.id).await?.into_iter().map(|s| s.slug).collect(),
            store::banks::documents(&txn, b.id).await?.iter().map(store::banks::document_of).collect(),
            store::banks::questions(
                &txn,
                b.id,
                &store::banks::QuestionFilter { include_retired: true, ..Default::default() },
            )
            .await?
            .into_iter()
            .map(|q| q.qid)
            .collect(),
        ),
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let mut errs = Vec::new();
    let mut questions: Vec<(usize, Question)> = Vec::new();
    let mut new_sections: Vec<String> = Vec::new();
    for r in &parsed.rows {
        if existing.is_some() && !sections.contains(&r.section) {
            errs.push(e(
                Some(r.row),
                column_of(&parsed.columns, "section"),
                "unknown_section",
                json!({ "section": r.section, "known": sections.join(", ") }),
                format!("unknown section {:?} (the bank has: {})", r.section, sections.join(", ")),
            ));
        } else if existing.is_none() && !r.section.is_empty() && !new_sections.contains(&r.section) {
            if r.section.contains(char::is_whitespace) {
                errs.push(e(
                    Some(r.row),
                    column_of(&parsed.columns, "section"),
                    "bad_section_id",
                    json!({ "section": r.section }),
                    format!("bad section id {:?}: no spaces", r.section),
                ));
            }
            new_sections.push(r.section.clone());
        }
        if !r.errors.is_empty() {
            errs.extend(r.errors.iter().cloned());
            continue;
        }
        match format::build(&r.draft, slug, &r.section) {
            Ok(q) => {
                if let Some((f, m)) = format::check_source(&q, &documents) {
                    errs.push(e(Some(r.row), column_of(&parsed.columns, f), field_code(f), json!({ "field": f }), m));
                }
                if taken.contains(&q.qid) {
                    errs.push(e(
                        Some(r.row),
                        column_of(&parsed.columns, "id"),
                        "id_in_bank",
                        json!({ "id": q.qid }),
                        format!("the bank already has a question {:?}", q.qid),
                    ));
                } else if let Some((first, _)) = questions.iter().find(|(_, o)| o.qid == q.qid) {
                    errs.push(e(
                        Some(r.row),
                        column_of(&parsed.columns, "id"),
                        "duplicate_id",
                        json!({ "id": q.qid, "first_row": first }),
                        format!("duplicate id {:?} (also on row {first})", q.qid),
                    ));
                }
                questions.push((r.row, q));
            }
            Err(ps) => {
                for (f, m) in ps {
                    errs.push(e(Some(r.row), column_of(&parsed.columns, f), field_code(f), json!({ "field": f }), m));
                }
            }
        }
    }
    for (row, q) in &questions {
        for x in &q.excludes {
            if !taken.contains(x) && !questions.iter().any(|(_, o)| o.qid == *x) {
                errs.push(e(
                    Some(*row),
                    column_of(&parsed.columns, "excludes"),
                    "unknown_exclude",
                    json!({ "id": x }),
                    format!("excludes {x:?}, which is neither in the bank nor in this file"),
                ));
            }
        }
    }
    if !errs.is_empty() {
        return Err(ImportFailure::Invalid(errs));
    }
    let (bank, created) = match existing {
        Some(b) => (b, false),
        None => {
            let b = store::banks::create_bank(&txn, slug, title.unwrap_or(slug), "", "", "organiser").await?;
            for (i, s) in new_sections.iter().enumerate() {
                store::banks::upsert_section(
                    &txn,
                    b.id,
                    &SectionMeta { id: s.clone(), title: s.clone() },
                    i as i32 + 1,
                )
                .await?;
            }
            (b, true)
        }
    };
    // short answers are read with the abbreviations of the bank they land in
    let abbreviations = store::banks::bank_abbreviations(&txn, &bank.slug).await?;
    for (_, q) in &mut questions {
        if matches!(q.solution, crate::domain::question::Solution::ShortText { .. }) {
            q.abbreviations = abbreviations.clone();
        }
        store::banks::insert_question(&txn, bank.id, q).await?;
    }
    txn.commit().await?;
    Ok(ImportReport { bank_id: bank.id, bank: bank.slug, created_bank: created, imported: questions.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(s: &str) -> Result<Parsed, Vec<ImportError>> {
        parse(Format::Csv, s.as_bytes(), "chung")
    }

    #[test]
    fn reads_csv_rows() {
        let p = csv("Mã câu hỏi,Phần,Loại,Câu hỏi,Phương án A,Phương án B,Đáp án\nq1,p1,single,Hỏi?,Một,Hai,B\nq2,p1,true_false,Đúng không?,,,Sai\n").unwrap();
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.rows[1].draft.answer, Some(AnswerValue::Bool(false)));
        assert_eq!(p.rows[0].row, 2);
    }

    #[test]
    fn names_missing_and_unknown_columns() {
        let e = csv("Mã câu hỏi,Phần,Loại,Câu hỏi,Cột lạ\nq1,p1,single,Hỏi?,x\n").unwrap_err();
        assert!(e.iter().any(|e| e.message.contains("unknown column") && e.column.as_deref() == Some("E")), "{e:?}");
        assert!(e.iter().any(|e| e.message.contains("\"Đáp án\" is missing")), "{e:?}");
    }

    #[test]
    fn problems_carry_stable_codes_and_params() {
        let e = csv("Mã câu hỏi,Phần,Loại,Câu hỏi,Cột lạ\nq1,p1,single,Hỏi?,x\n").unwrap_err();
        let unknown = e.iter().find(|e| e.code == "unknown_column").expect("unknown_column");
        assert_eq!(unknown.params, json!({ "header": "Cột lạ" }));
        assert_eq!((unknown.row, unknown.column.as_deref()), (Some(1), Some("E")));
        let missing = e.iter().find(|e| e.code == "missing_column").expect("missing_column");
        assert_eq!(missing.params, json!({ "column": "Đáp án" }));

        let e = csv(
            "Mã câu hỏi,Phần,Loại,Độ khó,Câu hỏi,Đáp án\nq1,p1,true_false,khó,A?,Đúng\n,,,,,\nq2,,true_false,1,B?,Có\n",
        )
        .unwrap_err();
        let codes: Vec<_> = e.iter().map(|e| (e.code, e.row, e.column.clone())).collect();
        assert!(codes.contains(&("empty_row", Some(3), None)), "{codes:?}");
        let p =
            csv("Mã câu hỏi,Phần,Loại,Độ khó,Câu hỏi,Đáp án\nq1,p1,true_false,khó,A?,Đúng\nq2,,true_false,1,B?,Có\n")
                .unwrap();
        let nan = &p.rows[0].errors[0];
        assert_eq!((nan.code, nan.column.as_deref()), ("not_a_whole_number", Some("D (Độ khó)")));
        assert_eq!(nan.params, json!({ "value": "khó" }));
        let codes: Vec<_> = p.rows[1].errors.iter().map(|e| e.code).collect();
        assert_eq!(codes, vec!["not_true_false", "empty_section"]);

        let e = parse(Format::Aiken, b"Q?\nA. x\nB. y\n", "c").unwrap_err();
        assert_eq!(e[0].code, "missing_answer_line");
        // the JSON keeps the old fields and adds code and params
        let v = serde_json::to_value(nan).unwrap();
        assert_eq!(v["message"], "\"khó\" is not a whole number");
        assert_eq!(v["code"], "not_a_whole_number");
        assert_eq!(v["params"]["value"], "khó");
        assert_eq!(v["row"], 2);
    }

    #[test]
    fn refuses_empty_rows_and_non_utf8() {
        let e = csv("Mã câu hỏi,Phần,Loại,Câu hỏi,Đáp án\nq1,p1,true_false,A?,Đúng\n,,,,\nq2,p1,true_false,B?,Sai\n")
            .unwrap_err();
        assert_eq!(e[0].row, Some(3));
        let e = parse(Format::Csv, b"M\xe3 c\xe2u h\xe1i,Ph\xe2n\n", "x").unwrap_err();
        assert!(e[0].message.contains("UTF-8"));
    }

    #[test]
    fn refuses_a_workbook_that_inflates_too_much() {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        w.start_file("xl/worksheets/sheet1.xml", opts).unwrap();
        let zeros = vec![b' '; 1024 * 1024];
        for _ in 0..51 {
            w.write_all(&zeros).unwrap();
        }
        let bytes = w.finish().unwrap().into_inner();
        assert!(bytes.len() < MAX_IMPORT_BYTES);
        let e = parse(Format::Xlsx, &bytes, "x").unwrap_err();
        assert!(e[0].message.contains("unpacks to more than 50 MB"), "{e:?}");
    }

    #[test]
    fn refuses_too_many_rows() {
        let mut s = String::from("Mã câu hỏi,Phần,Loại,Câu hỏi,Đáp án\n");
        for i in 0..=MAX_ROWS {
            s.push_str(&format!("q{i},p,true_false,Hỏi?,Đúng\n"));
        }
        let e = csv(&s).unwrap_err();
        assert!(e[0].message.contains("at most 5000 questions"), "{e:?}");
    }

    #[test]
    fn reads_aiken() {
        let p = parse(
            Format::Aiken,
            "Thủ đô?\nA. Hà Nội\nB. Huế\nANSWER: A\n\nSông?\nA) Hậu\nB) Tiền\nANSWER: B\n".as_bytes(),
            "chung",
        )
        .unwrap();
        assert_eq!(p.rows.len(), 2);
        let q = format::build(&p.rows[1].draft, "b", "chung").unwrap();
        assert_eq!(q.options, vec!["Hậu", "Tiền"]);
        let e = parse(Format::Aiken, b"Q?\nA. x\nB. y\n", "c").unwrap_err();
        assert!(e[0].message.contains("ANSWER"));
    }
}
