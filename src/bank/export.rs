//! Questions to XLSX in the import template's columns, so export → import round-trips;
//! and the template itself (one example row and a "Hướng dẫn" sheet).
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::format::{AnswerValue, draft_of};
use super::import::{COLUMNS, GUIDE, SHEET, fmt_number};
use crate::domain::question::{Question, Solution, Source};

/// The template: headers, one example row, and the guide sheet.
pub fn template() -> Result<Vec<u8>, XlsxError> {
    let example = Question {
        qid: "bt-001".into(),
        bank: String::new(),
        section: "phan-1".into(),
        prompt: "Đơn vị nào được công nhận thị trấn đạt chuẩn văn minh đô thị?".into(),
        options: vec!["Thị trấn Ngã Sáu".into(), "Thị trấn Mái Dầm".into(), "Thị trấn Cây Dương".into()],
        solution: Solution::Single { option: 0 },
        explanation: "Ví dụ: thay bằng câu hỏi của ban tổ chức.".into(),
        difficulty: 1,
        points: 10.0,
        time_limit_s: 20,
        tags: vec!["ví dụ".into()],
        source: Source { document: String::new(), quote: String::new() },
        unit: None,
        groups: Vec::new(),
        excludes: Vec::new(),
        abbreviations: Default::default(),
    };
    let mut wb = workbook(&[example])?;
    let guide = wb.add_worksheet();
    guide.set_name("Hướng dẫn")?;
    let bold = Format::new().set_bold();
    guide.write_string_with_format(0, 0, "Cột", &bold)?;
    guide.write_string_with_format(0, 1, "Cách điền", &bold)?;
    for (i, (col, help)) in GUIDE.iter().enumerate() {
        guide.write_string(i as u32 + 1, 0, *col)?;
        guide.write_string(i as u32 + 1, 1, *help)?;
    }
    guide.set_column_width(0, 20)?;
    guide.set_column_width(1, 100)?;
    wb.save_to_buffer()
}

/// A bank's questions as XLSX.
pub fn to_xlsx(questions: &[Question]) -> Result<Vec<u8>, XlsxError> {
    workbook(questions)?.save_to_buffer()
}

fn workbook(questions: &[Question]) -> Result<Workbook, XlsxError> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(SHEET)?;
    let bold = Format::new().set_bold();
    for (c, (name, _, _)) in COLUMNS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *name, &bold)?;
    }
    ws.set_column_width(6, 60)?;
    for (i, q) in questions.iter().enumerate() {
        let r = i as u32 + 1;
        let d = draft_of(q);
        ws.write_string(r, 0, &q.qid)?;
        ws.write_string(r, 1, &q.section)?;
        ws.write_string(r, 2, q.kind().as_str())?;
        ws.write_number(r, 3, q.difficulty as f64)?;
        ws.write_number(r, 4, q.points)?;
        ws.write_number(r, 5, q.time_limit_s as f64)?;
        ws.write_string(r, 6, &q.prompt)?;
        for (k, o) in q.options.iter().enumerate().take(6) {
            ws.write_string(r, 7 + k as u16, o)?;
        }
        match (&d.answer, &d.accepted) {
            (_, Some(acc)) => {
                ws.write_string(r, 13, acc.join(" | "))?;
            }
            (Some(AnswerValue::Number(n)), _) => {
                ws.write_number(r, 13, *n)?;
            }
            (Some(AnswerValue::Bool(b)), _) => {
                ws.write_string(r, 13, if *b { "Đúng" } else { "Sai" })?;
            }
            (Some(AnswerValue::Text(t)), _) => {
                ws.write_string(r, 13, t)?;
            }
            (Some(AnswerValue::List(l)), _) => {
                ws.write_string(r, 13, l.join(", "))?;
            }
            (None, None) => {}
        }
        if let Some(t) = d.tolerance {
            ws.write_string(r, 14, fmt_number(t))?;
        }
        if let Some(u) = &q.unit {
            ws.write_string(r, 15, u)?;
        }
        ws.write_string(r, 16, &q.explanation)?;
        ws.write_string(r, 17, q.tags.join("; "))?;
        ws.write_string(r, 18, &q.source.document)?;
        ws.write_string(r, 19, &q.source.quote)?;
        ws.write_string(r, 20, q.groups.join("; "))?;
        ws.write_string(r, 21, q.excludes.join("; "))?;
    }
    Ok(wb)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::{check, format, import};

    #[test]
    fn shipped_bank_round_trips_through_xlsx() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("question_banks/chuyen-de-2024-2025");
        let bank = check::check_bank(&root).unwrap();
        let bytes = to_xlsx(&bank.questions).unwrap();
        let parsed = import::parse(import::Format::Xlsx, &bytes, "x").unwrap();
        assert_eq!(parsed.rows.len(), bank.questions.len());
        for (row, q) in parsed.rows.iter().zip(&bank.questions) {
            let mut back = format::build(&row.draft, &q.bank, &row.section).unwrap();
            // the abbreviations are the bank's, not the sheet's: an import takes them from
            // the bank it lands in
            back.abbreviations = q.abbreviations.clone();
            assert_eq!(&back, q, "row {}", row.row);
        }
    }

    #[test]
    fn template_parses() {
        let bytes = template().unwrap();
        let parsed = import::parse(import::Format::Xlsx, &bytes, "x").unwrap();
        assert_eq!(parsed.rows.len(), 1);
        format::build(&parsed.rows[0].draft, "b", "phan-1").unwrap();
    }
}
