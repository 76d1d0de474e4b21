//! Text folding for matching and search: Unicode NFC, lower case, Vietnamese diacritics
//! removed (đ → d), punctuation dropped, runs of whitespace folded into one space. So
//! "Ngã Sáu", "NGA SAU" and " nga   sáu " all fold to "nga sau". Short answers are
//! compared with [`fold_answer`] (abbreviations and i/y spellings too), number answers
//! read with [`parse_vi_number`].
use std::collections::BTreeMap;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds text for comparison without regard to case, spacing, punctuation and diacritics.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            c => c,
        };
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// NFC with whitespace runs folded to one space and trimmed: how quotes are compared with
/// their documents (exact characters otherwise).
pub fn normalize_ws(s: &str) -> String {
    let nfc: String = s.nfc().collect();
    nfc.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Vietnamese initial consonants (folded), longest first. A syllable that is one of these
/// followed by a lone `y` is spelt with `i` as well (kỳ/kì, lý/lí, mỹ/mĩ, sỹ/sĩ, quý/quí).
const INITIALS: [&str; 27] = [
    "ngh", "ch", "gh", "gi", "kh", "ng", "nh", "ph", "qu", "th", "tr", "b", "c", "d", "g", "h", "k", "l", "m", "n",
    "p", "r", "s", "t", "v", "x", "",
];

/// `y` → `i` where the `y` is the whole vowel of a syllable after a consonant: the two
/// spellings are the same word. `tay`, `may`, `thuy` keep their `y` (it follows a vowel),
/// so they stay apart from `tai`, `mai`, `thui`.
fn unify_i_y(word: &str) -> Option<String> {
    let stem = word.strip_suffix('y')?;
    if stem.is_empty() || !INITIALS.contains(&stem) {
        return None;
    }
    Some(format!("{stem}i"))
}

/// Built-in abbreviations every bank knows; a bank's `[abbreviations]` adds to them or
/// overrides them. Keys are matched as whole words after folding.
pub const DEFAULT_ABBREVIATIONS: [(&str, &str); 12] = [
    ("TP", "thành phố"),
    ("TX", "thị xã"),
    ("TT", "thị trấn"),
    ("UBND", "Ủy ban nhân dân"),
    ("HĐND", "Hội đồng nhân dân"),
    ("MTTQ", "Mặt trận Tổ quốc"),
    ("BCH", "Ban Chấp hành"),
    ("BTV", "Ban Thường vụ"),
    ("BCT", "Bộ Chính trị"),
    ("TW", "Trung ương"),
    ("TƯ", "Trung ương"),
    ("CNXH", "chủ nghĩa xã hội"),
];

/// Folds a short answer for matching: [`fold`], then each word that is an abbreviation
/// (built-in or from `extra`) replaced by its folded expansion, then the i/y spelling
/// variants unified. Typographic quotes and dashes are punctuation, so they vanish with
/// the rest; tone marks are dropped by [`fold`], so old and new tone placement (hoà/hòa,
/// thuý/thúy) cannot differ.
pub fn fold_answer(s: &str, extra: &BTreeMap<String, String>) -> String {
    // The built-in table is folded once per process: grading a question's answers calls
    // this for every team and every accepted wording, at the close of the question.
    static DEFAULTS: std::sync::LazyLock<BTreeMap<String, String>> =
        std::sync::LazyLock::new(|| DEFAULT_ABBREVIATIONS.iter().map(|(k, v)| (fold(k), fold(v))).collect());
    let owned;
    let table: &BTreeMap<String, String> = if extra.is_empty() {
        &DEFAULTS
    } else {
        let mut t = DEFAULTS.clone();
        for (k, v) in extra {
            t.insert(fold(k), fold(v));
        }
        owned = t;
        &owned
    };
    let folded = fold(s);
    let mut out: Vec<String> = Vec::new();
    for w in folded.split(' ').filter(|w| !w.is_empty()) {
        match table.get(w) {
            Some(exp) => out.extend(exp.split(' ').map(String::from)),
            None => out.push(w.to_owned()),
        }
    }
    out.into_iter().map(|w| unify_i_y(&w).unwrap_or(w)).collect::<Vec<_>>().join(" ")
}

/// Reads a number written the Vietnamese way (or the international way where that is
/// unambiguous). The rules, which the phone page mirrors:
/// 1. Leading and trailing spaces are ignored; a leading `+`, `-` or `−` gives the sign.
/// 2. A comma is the decimal separator; at most one, with digits after it ("3,5" = 3.5).
/// 3. Spaces (also no-break and thin spaces) and dots separate thousands: every group
///    after the first has exactly three digits ("7 300", "7.300", "1.234.567" = 1234567).
/// 4. With no comma, a single dot followed by other than exactly three digits is a
///    decimal point ("3.5" = 3.5, "0.25" = 0.25); "7.300" is always 7300.
/// 5. Anything else (letters, a unit, two commas, "1.23.456") is not a number: `None`.
pub fn parse_vi_number(s: &str) -> Option<f64> {
    let t = s.trim_matches(|c: char| c.is_whitespace());
    let (neg, body) = match t.chars().next()? {
        '-' | '−' => (true, &t[t.chars().next()?.len_utf8()..]),
        '+' => (false, &t[1..]),
        _ => (false, t),
    };
    let body = body.trim_start();
    let (int_part, frac) = match body.split_once(',') {
        Some((i, f)) => {
            if f.is_empty() || !f.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            (i, Some(f.to_owned()))
        }
        None => (body, None),
    };
    let is_sep = |c: char| c == '.' || c == ' ' || c == '\u{a0}' || c == '\u{202f}' || c == '\u{2009}';
    let groups: Vec<&str> = int_part.split(is_sep).collect();
    let dots = int_part.matches('.').count();
    if groups.iter().any(|g| g.is_empty() || !g.chars().all(|c| c.is_ascii_digit())) {
        return None;
    }
    let (digits, frac) = if frac.is_none() && dots == 1 && groups.len() == 2 && groups[1].len() != 3 {
        // "3.5": a decimal point
        (groups[0].to_owned(), Some(groups[1].to_owned()))
    } else {
        if groups.iter().skip(1).any(|g| g.len() != 3) {
            return None;
        }
        (groups.concat(), frac)
    };
    let text = match frac {
        Some(f) => format!("{digits}.{f}"),
        None => digits,
    };
    let v: f64 = text.parse().ok()?;
    v.is_finite().then_some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_diacritics_and_spacing() {
        assert_eq!(fold("Ngã Sáu"), "nga sau");
        assert_eq!(fold("  NGA   SAU "), "nga sau");
        assert_eq!(fold("Đảng ủy thị trấn"), "dang uy thi tran");
        assert_eq!(fold("ý chí tự lực, tự cường"), "y chi tu luc tu cuong");
        assert_eq!(fold("Văn phòng - Tổ chức đảng"), "van phong to chuc dang");
    }

    #[test]
    fn composed_and_decomposed_forms_fold_alike() {
        let decomposed: String = "Hậu Giang".nfd().collect();
        assert_eq!(fold(&decomposed), fold("Hậu Giang"));
        assert_eq!(normalize_ws(&decomposed), "Hậu Giang");
        assert_eq!(normalize_ws("gương  Bác\n và"), "gương Bác và");
    }

    fn same(a: &str, b: &str) -> bool {
        fold_answer(a, &BTreeMap::new()) == fold_answer(b, &BTreeMap::new())
    }

    #[test]
    fn i_and_y_after_a_consonant_are_one_spelling() {
        for (a, b) in
            [("kỳ", "kì"), ("lý", "lí"), ("mỹ", "mĩ"), ("sỹ", "sĩ"), ("quý", "quí"), ("thời kỳ vàng", "thời kì vàng")]
        {
            assert!(same(a, b), "{a} = {b}");
        }
        assert!(same("Lê Công Lý", "le cong li"));
        for (a, b) in [("tay", "tai"), ("may", "mai"), ("thủy", "thủi"), ("tuy", "tui"), ("ý chí", "í chí")] {
            assert!(!same(a, b), "{a} ≠ {b}");
        }
    }

    #[test]
    fn old_and_new_tone_placement_quotes_and_dashes() {
        assert!(same("hoà", "hòa"));
        assert!(same("thuý", "thúy"));
        assert!(same("hiện thực hoá khát vọng", "Hiện thực hóa khát vọng"));
        assert!(same("“thời kỳ vàng”", "\"thoi ky vang\""));
        assert!(same("Văn phòng – Tổ chức đảng", "Văn phòng - Tổ chức đảng"));
        assert!(same("Văn phòng—Tổ chức đảng", "van phong to chuc dang"));
        assert!(same("‘Ngã Sáu’", "Ngã Sáu"));
    }

    #[test]
    fn abbreviations_built_in_and_from_the_bank() {
        assert!(same("TP. Ngã Bảy", "thành phố Ngã Bảy"));
        assert!(same("Tp Ngã Bảy", "thành phố Ngã Bảy"));
        assert!(same("TT Ngã Sáu", "thị trấn Ngã Sáu"));
        assert!(same("UBND tỉnh", "Ủy ban nhân dân tỉnh"));
        assert!(same("HĐND thành phố", "Hội đồng nhân dân thành phố"));
        assert!(same("HDND thanh pho", "Hội đồng nhân dân thành phố"));
        assert!(!same("HĐND", "UBND"));
        let mut extra = BTreeMap::new();
        extra.insert("HLHPN".to_owned(), "Hội Liên hiệp Phụ nữ".to_owned());
        assert_eq!(fold_answer("HLHPN huyện", &extra), fold_answer("Hội Liên hiệp Phụ nữ huyện", &extra));
        assert_ne!(fold_answer("HLHPN huyện", &BTreeMap::new()), fold_answer("Hội Liên hiệp Phụ nữ huyện", &extra));
    }

    #[test]
    fn numbers_the_vietnamese_way() {
        for (s, v) in [
            ("7300", 7300.0),
            ("7.300", 7300.0),
            ("7 300", 7300.0),
            ("7\u{a0}300", 7300.0),
            ("1.234.567", 1_234_567.0),
            ("3,5", 3.5),
            ("1.234,5", 1234.5),
            ("3.5", 3.5),
            ("0.25", 0.25),
            (" 155 ", 155.0),
            ("-2", -2.0),
            ("−2,5", -2.5),
            ("2050", 2050.0),
        ] {
            assert_eq!(parse_vi_number(s), Some(v), "{s:?}");
        }
        for s in ["", "abc", "7,3,0", "1.23.456", "7.30.0", "155 mô hình", "3,", ",5", "7..300", "12 34"] {
            assert_eq!(parse_vi_number(s), None, "{s:?}");
        }
    }
}
