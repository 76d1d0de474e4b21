//! Text folding for matching and search: Unicode NFC, lower case, Vietnamese diacritics
//! removed (đ → d), punctuation dropped, runs of whitespace folded into one space. So
//! "Ngã Sáu", "NGA SAU" and " nga   sáu " all fold to "nga sau".
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
}
