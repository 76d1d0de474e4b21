//! The score sheet (bảng điểm): the same tables as an XLSX workbook and as CSV files.
//!
//! Tables: `tong-hop` (totals and prizes), one per part (`phan-1`, `phan-2`, … in the
//! parts' order) built by the part's kind, and `dieu-chinh` (adjustments). A part's
//! table comes from [`part_table`], keyed by the part's kind: quiz parts (and buzzer and
//! elimination parts, which score per question too) get one column per question asked;
//! judged parts get each judge's marks and total, the combined score and, below the
//! table, the rule that combined them.
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

use super::{AdjustmentView, Results, Source, vn_time};
use std::collections::HashMap;

use crate::domain::judging;
use crate::domain::part::{Aggregate, PartKind, Rubric};
use crate::domain::ranking::round2;

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Num(f64),
    Empty,
}

/// One table of the score sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Address of its CSV: `…/results/{key}.csv`.
    pub key: String,
    /// Worksheet name (at most 31 characters).
    pub sheet: String,
    /// Full title, printed in the page header.
    pub title: String,
    pub headers: Vec<String>,
    /// Column widths in characters.
    pub widths: Vec<f64>,
    pub rows: Vec<Vec<Cell>>,
    /// A line printed below the table (and as the CSV's last record), e.g. how a judged
    /// part's score was combined.
    pub note: Option<String>,
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// A worksheet name Excel accepts: no `[]:*?/\`, at most 31 characters.
fn sheet_name(s: &str) -> String {
    let clean: String = s.chars().map(|c| if "[]:*?/\\".contains(c) { '-' } else { c }).collect();
    clean.chars().take(31).collect::<String>().trim().to_owned()
}

/// Every table, in workbook order.
pub fn tables(src: &Source, results: &Results) -> Vec<Table> {
    let mut out = vec![summary_table(results)];
    out.extend((0..results.parts.len()).map(|i| part_table(src, results, i)));
    out.push(adjustments_table(&src.adjustments()));
    out
}

fn summary_table(results: &Results) -> Table {
    let mut headers: Vec<String> = vec!["Hạng".into(), "Đội".into(), "Đơn vị".into()];
    headers.extend(results.parts.iter().map(|p| p.title.clone()));
    headers.extend(["Tổng điểm".into(), "Giải".into()]);
    let mut widths = vec![7.0, 28.0, 32.0];
    widths.extend(results.parts.iter().map(|p| (p.title.chars().count() as f64 + 2.0).clamp(11.0, 24.0)));
    widths.extend([12.0, 22.0]);
    let rows = results
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![Cell::Num(f64::from(r.rank)), text(&r.team_name), text(&r.unit)];
            row.extend(r.parts.iter().map(|p| Cell::Num(p.score)));
            row.push(Cell::Num(r.total));
            row.push(match &r.prize {
                Some(a) if a.shared => text(format!("{} (đồng giải)", a.name)),
                Some(a) => text(&a.name),
                None => Cell::Empty,
            });
            row
        })
        .collect();
    Table {
        key: "tong-hop".into(),
        sheet: "Tổng hợp".into(),
        title: format!("Bảng tổng hợp điểm — {}", results.contest.name),
        headers,
        widths,
        rows,
        note: None,
    }
}

/// The table of part `index` (in `results.parts`), by the part's kind.
pub fn part_table(src: &Source, results: &Results, index: usize) -> Table {
    let part = &results.parts[index];
    let mut t = match PartKind::parse(&part.kind) {
        Some(PartKind::Quiz | PartKind::Buzzer | PartKind::Elimination) => question_table(src, results, index),
        Some(PartKind::Judged) => judged_table(src, results, index),
        None => score_only_table(results, index),
    };
    t.key = format!("phan-{}", index + 1);
    t.sheet = sheet_name(&format!("Phần {} - {}", index + 1, part.title));
    t.title = format!("Phần {}: {} — {}", index + 1, part.title, results.contest.name);
    t
}

/// One column per question asked (closed, revealed or voided), the part's adjustments
/// and the part score: the questions' points plus the adjustments make the part score.
fn question_table(src: &Source, results: &Results, index: usize) -> Table {
    let part_id = results.parts[index].part_id;
    let mut qs: Vec<&crate::live::scores::QState> = src
        .scores
        .questions
        .values()
        .filter(|q| q.row.part_id == part_id && matches!(q.row.status.as_str(), "closed" | "revealed" | "voided"))
        .collect();
    qs.sort_by_key(|q| (q.row.position, q.row.id));
    let mut headers: Vec<String> = vec!["Hạng".into(), "Đội".into()];
    headers.extend(qs.iter().enumerate().map(|(i, q)| {
        if q.row.status == "voided" { format!("Câu {} (hủy)", i + 1) } else { format!("Câu {}", i + 1) }
    }));
    headers.extend(["Điều chỉnh".into(), "Điểm phần thi".into()]);
    let mut widths = vec![7.0, 28.0];
    widths.extend(qs.iter().map(|_| 8.0));
    widths.extend([11.0, 14.0]);
    let rows = results
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![Cell::Num(f64::from(r.rank)), text(&r.team_name)];
            for q in &qs {
                let pts = src
                    .scores
                    .results
                    .get(&q.row.id)
                    .filter(|_| q.row.status != "voided")
                    .and_then(|rs| rs.iter().find(|x| x.team_id == r.team_id))
                    .map(|x| round2(x.points));
                row.push(pts.map_or(Cell::Empty, Cell::Num));
            }
            let adj: f64 = src
                .scores
                .adjustments
                .iter()
                .filter(|a| a.team_id == r.team_id && a.part_id == Some(part_id))
                .map(|a| a.delta)
                .sum();
            row.push(if adj == 0.0 { Cell::Empty } else { Cell::Num(round2(adj)) });
            row.push(Cell::Num(r.parts.get(index).map_or(0.0, |p| p.score)));
            row
        })
        .collect();
    Table { key: String::new(), sheet: String::new(), title: String::new(), headers, widths, rows, note: None }
}

/// Per team: each assigned judge's mark on each criterion and their total (a total only
/// for a signed sheet, the ones that count), the combined score (once every judge
/// signed), the part's adjustments and the part score; the rule used is the table's note.
fn judged_table(src: &Source, results: &Results, index: usize) -> Table {
    let part_id = results.parts[index].part_id;
    let rubric: Rubric = src
        .scores
        .parts
        .iter()
        .find(|p| p.id == part_id)
        .and_then(|p| serde_json::from_str(&p.rubric).ok())
        .unwrap_or_default();
    let judge_ids: Vec<i32> = src.judges.iter().map(|j| j.id).collect();
    let none = HashMap::new();
    let by_team = src.sheets.get(&part_id).unwrap_or(&none);
    let mut headers: Vec<String> = vec!["Hạng".into(), "Đội".into()];
    let mut widths = vec![7.0, 28.0];
    for j in &src.judges {
        for c in &rubric.criteria {
            headers.push(format!("{}: {} ({})", j.display_name, c.name, c.max_points));
            widths.push(12.0);
        }
        headers.push(format!("{}: Tổng", j.display_name));
        widths.push(10.0);
    }
    headers.extend(["Điểm tổng hợp".into(), "Điều chỉnh".into(), "Điểm phần thi".into()]);
    widths.extend([11.0, 11.0, 14.0]);
    let rows = results
        .rows
        .iter()
        .map(|r| {
            let sheets = by_team.get(&r.team_id).map_or(&[][..], Vec::as_slice);
            let mut row = vec![Cell::Num(f64::from(r.rank)), text(&r.team_name)];
            for j in &src.judges {
                let sheet = sheets.iter().find(|s| s.judge_id == j.id);
                for c in 0..rubric.criteria.len() {
                    row.push(sheet.and_then(|s| s.marks[c]).map_or(Cell::Empty, Cell::Num));
                }
                row.push(
                    sheet
                        .filter(|s| s.signed && s.first_missing().is_none())
                        .map_or(Cell::Empty, |s| Cell::Num(s.total())),
                );
            }
            let combined = judging::combine(&rubric, &judge_ids, sheets).score;
            row.push(combined.map_or(Cell::Empty, Cell::Num));
            let adj: f64 = src
                .scores
                .adjustments
                .iter()
                .filter(|a| a.team_id == r.team_id && a.part_id == Some(part_id))
                .map(|a| a.delta)
                .sum();
            row.push(if adj == 0.0 { Cell::Empty } else { Cell::Num(round2(adj)) });
            row.push(Cell::Num(r.parts.get(index).map_or(0.0, |p| p.score)));
            row
        })
        .collect();
    Table {
        key: String::new(),
        sheet: String::new(),
        title: String::new(),
        headers,
        widths,
        rows,
        note: Some(aggregate_rule(rubric.aggregate, src.judges.len())),
    }
}

/// How a judged part's score is combined from `judges` judges' totals, in words.
pub fn aggregate_rule(how: Aggregate, judges: usize) -> String {
    let rule = match how {
        Aggregate::Mean => format!("Trung bình cộng tổng điểm của các giám khảo ({judges} giám khảo)"),
        Aggregate::TrimmedMean if judges >= 4 => {
            format!("Trung bình cộng sau khi bỏ điểm cao nhất và thấp nhất ({judges} giám khảo)")
        }
        Aggregate::TrimmedMean => {
            format!("Trung bình cộng, không bỏ điểm nào vì có dưới 4 giám khảo ({judges} giám khảo)")
        }
        Aggregate::Median => format!("Trung vị tổng điểm của các giám khảo ({judges} giám khảo)"),
    };
    format!("Cách tính điểm tổng hợp: {rule}. Điểm phần thi = điểm tổng hợp + điều chỉnh.")
}

/// The part score per team, for kinds without a sheet of their own yet.
fn score_only_table(results: &Results, index: usize) -> Table {
    let rows = results
        .rows
        .iter()
        .map(|r| {
            vec![
                Cell::Num(f64::from(r.rank)),
                text(&r.team_name),
                Cell::Num(r.parts.get(index).map_or(0.0, |p| p.score)),
            ]
        })
        .collect();
    Table {
        key: String::new(),
        sheet: String::new(),
        title: String::new(),
        headers: vec!["Hạng".into(), "Đội".into(), "Điểm phần thi".into()],
        widths: vec![7.0, 28.0, 14.0],
        rows,
        note: None,
    }
}

fn adjustments_table(adjs: &[AdjustmentView]) -> Table {
    let rows = adjs
        .iter()
        .enumerate()
        .map(|(i, a)| {
            vec![
                Cell::Num(i as f64 + 1.0),
                text(vn_time(a.created_at)),
                text(&a.team_name),
                text(a.part_title.clone().unwrap_or_else(|| "Tổng điểm".into())),
                Cell::Num(a.delta),
                a.old_total.map_or(Cell::Empty, Cell::Num),
                a.new_total.map_or(Cell::Empty, Cell::Num),
                text(&a.reason),
                text(actor_name(&a.actor)),
            ]
        })
        .collect();
    Table {
        key: "dieu-chinh".into(),
        sheet: "Điều chỉnh".into(),
        title: "Các lần điều chỉnh điểm".into(),
        headers: [
            "STT",
            "Thời gian",
            "Đội",
            "Phần thi",
            "Điểm cộng/trừ",
            "Tổng điểm trước",
            "Tổng điểm sau",
            "Lý do",
            "Người thực hiện",
        ]
        .map(String::from)
        .to_vec(),
        widths: vec![6.0, 20.0, 26.0, 22.0, 13.0, 14.0, 14.0, 40.0, 18.0],
        rows,
        note: None,
    }
}

/// `organiser:admin` → `admin`.
pub fn actor_name(actor: &str) -> &str {
    actor.split_once(':').map_or(actor, |(_, n)| n)
}

/// The workbook: one worksheet per table, header row frozen and repeated on every
/// printed page, A4 landscape, one page wide.
pub fn xlsx(results: &Results, tables: &[Table]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(Color::RGB(0xF6E7C1))
        .set_border(FormatBorder::Thin);
    let cell = Format::new().set_border(FormatBorder::Thin).set_align(FormatAlign::VerticalCenter).set_text_wrap();
    let num = Format::new().set_border(FormatBorder::Thin).set_num_format("0.##");
    for t in tables {
        let ws = wb.add_worksheet();
        ws.set_name(&t.sheet)?;
        for (c, h) in t.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &head)?;
        }
        for (c, w) in t.widths.iter().enumerate() {
            ws.set_column_width(c as u16, *w)?;
        }
        ws.set_row_height(0, 32)?;
        for (r, row) in t.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, v) in row.iter().enumerate() {
                let c = c as u16;
                match v {
                    Cell::Text(s) => ws.write_string_with_format(r, c, s, &cell)?,
                    Cell::Num(n) => ws.write_number_with_format(r, c, *n, &num)?,
                    Cell::Empty => ws.write_blank(r, c, &cell)?,
                };
            }
        }
        let mut last_row = t.rows.len() as u32;
        if let Some(note) = &t.note {
            // Below the table after a blank row, unwrapped so it runs across the columns.
            last_row += 2;
            ws.write_string_with_format(last_row, 0, note, &Format::new().set_italic())?;
        }
        ws.set_freeze_panes(1, 0)?;
        ws.set_repeat_rows(0, 0)?;
        ws.set_landscape();
        ws.set_paper_size(9); // A4
        ws.set_print_fit_to_pages(1, 0);
        let last_col = t.headers.len().saturating_sub(1) as u16;
        ws.set_print_area(0, 0, last_row, last_col)?;
        ws.set_header(format!("&L&\"-,Bold\"{}&R{}", escape_hf(&results.contest.name), escape_hf(&t.sheet)));
        ws.set_footer("&CTrang &P/&N");
    }
    wb.save_to_buffer()
}

/// `&` starts a code in Excel's page header.
fn escape_hf(s: &str) -> String {
    s.replace('&', "&&")
}

/// One table as CSV, UTF-8 with a byte order mark so Excel reads Vietnamese right.
pub fn csv(t: &Table) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(&t.headers)?;
    for row in &t.rows {
        w.write_record(row.iter().map(|c| match c {
            Cell::Text(s) => s.clone(),
            Cell::Num(n) => format!("{n}"),
            Cell::Empty => String::new(),
        }))?;
    }
    if let Some(note) = &t.note {
        let mut rec = vec![note.clone()];
        rec.resize(t.headers.len().max(1), String::new());
        w.write_record(&rec)?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_acceptable_to_excel() {
        assert_eq!(sheet_name("Phần 1 - Khởi động: a/b"), "Phần 1 - Khởi động- a-b");
        assert_eq!(sheet_name(&"x".repeat(40)).chars().count(), 31);
    }

    #[test]
    fn csv_has_a_bom_and_plain_numbers() {
        let t = Table {
            key: "k".into(),
            sheet: "s".into(),
            title: "t".into(),
            headers: vec!["Đội".into(), "Điểm".into()],
            widths: vec![],
            rows: vec![vec![text("Đội \"A\", 1"), Cell::Num(12.5)], vec![text("B"), Cell::Empty]],
            note: None,
        };
        let out = String::from_utf8(csv(&t).unwrap()).unwrap();
        assert_eq!(out, "\u{feff}Đội,Điểm\n\"Đội \"\"A\"\", 1\",12.5\nB,\n");
    }
}
