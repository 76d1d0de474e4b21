//! Contest setup rules that need no I/O: join codes, the captain policy, prize schemes,
//! team rosters and the pasted-lines format of a team list.
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// Letters and digits that cannot be confused when read aloud or typed: no 0/O, 1/I/L.
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
pub const CODE_LEN: usize = 6;

/// A fresh random join code.
pub fn new_join_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN).map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char).collect()
}

/// A typed code as stored: upper case, spaces and dashes dropped. `None` when it cannot be
/// a code at all (wrong length or a character outside the alphabet).
pub fn normalize_join_code(raw: &str) -> Option<String> {
    let code: String =
        raw.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(code)
}

/// Who becomes the captain of a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum CaptainPolicy {
    /// The first member to join becomes captain (and the next one when the captain is removed).
    #[default]
    FirstJoin,
    /// The organiser names the captain in the team list, or marks a joined contestant.
    Organiser,
}

impl CaptainPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            CaptainPolicy::FirstJoin => "first_join",
            CaptainPolicy::Organiser => "organiser",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [CaptainPolicy::FirstJoin, CaptainPolicy::Organiser].into_iter().find(|p| p.as_str() == s)
    }
}

/// One prize level: e.g. two "ba" (third) prizes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Prize {
    /// Name shown on the results, e.g. "Giải nhất".
    pub name: String,
    /// Places of this level (ignored when `rest`).
    #[serde(default)]
    pub count: u32,
    /// The last level only: every team ranked after the levels before it (e.g. "the rest
    /// get giải khuyến khích").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rest: bool,
}

/// The default scheme: 1 nhất, 1 nhì, 2 ba, 2 khuyến khích.
pub fn default_prizes() -> Vec<Prize> {
    [("Giải nhất", 1), ("Giải nhì", 1), ("Giải ba", 2), ("Giải khuyến khích", 2)]
        .into_iter()
        .map(|(n, c)| Prize { name: n.into(), count: c, rest: false })
        .collect()
}

pub fn validate_prizes(prizes: &[Prize]) -> Result<(), (String, String)> {
    for (i, p) in prizes.iter().enumerate() {
        if p.name.trim().is_empty() {
            return Err((format!("prize_scheme[{i}].name"), "must not be empty".into()));
        }
        if p.rest && i + 1 != prizes.len() {
            return Err((format!("prize_scheme[{i}].rest"), "only the last prize level can take the rest".into()));
        }
        if !p.rest && (p.count == 0 || p.count > 100) {
            return Err((format!("prize_scheme[{i}].count"), "must be between 1 and 100".into()));
        }
    }
    Ok(())
}

/// A team member as stored in `teams.members` (JSON array).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub name: String,
    #[serde(default)]
    pub captain: bool,
}

/// A refused team line or roster: a stable code, the values its message needs, and the
/// message in English (for the API and logs).
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub code: &'static str,
    pub params: Box<serde_json::Value>,
    pub message: String,
}

impl Problem {
    fn new(code: &'static str, params: serde_json::Value, message: impl Into<String>) -> Self {
        Self { code, params: Box::new(params), message: message.into() }
    }
}

/// Builds the stored roster from member names and the captain's name; the captain must
/// be one of the members. Errors name the field.
pub fn roster(members: &[String], captain: Option<&str>) -> Result<Vec<Member>, (String, Problem)> {
    let mut out: Vec<Member> = Vec::with_capacity(members.len());
    for (i, m) in members.iter().enumerate() {
        let name = clean(m);
        if name.is_empty() {
            return Err((format!("members[{i}]"), Problem::new("empty_member", json!({}), "must not be empty")));
        }
        if name.chars().count() > 100 {
            return Err((
                format!("members[{i}]"),
                Problem::new("too_long", json!({ "max": 100 }), "at most 100 characters"),
            ));
        }
        out.push(Member { name, captain: false });
    }
    if out.len() > 50 {
        return Err(("members".into(), Problem::new("too_many_members", json!({ "max": 50 }), "at most 50 members")));
    }
    if let Some(c) = captain.map(clean).filter(|c| !c.is_empty()) {
        let folded = super::text::fold(&c);
        match out.iter_mut().find(|m| super::text::fold(&m.name) == folded) {
            Some(m) => m.captain = true,
            None => {
                return Err((
                    "captain".into(),
                    Problem::new(
                        "captain_not_member",
                        json!({ "captain": c }),
                        format!("{c:?} is not one of the members"),
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// Trims and folds runs of whitespace.
pub fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A team as read from one pasted line or one spreadsheet row.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamLine {
    pub name: String,
    pub unit: String,
    pub members: Vec<String>,
    pub captain: Option<String>,
}

/// Parses one pasted line: `name <sep> unit <sep> member, member*, …` where `<sep>` is a
/// tab (pasted from a spreadsheet), `|` or `;`, and a trailing `*` marks the captain.
/// Unit and members are optional.
pub fn parse_team_line(line: &str) -> Result<TeamLine, Problem> {
    let sep = ['\t', '|', ';'].into_iter().find(|s| line.contains(*s));
    let fields: Vec<&str> = match sep {
        Some(s) => line.split(s).collect(),
        None => vec![line],
    };
    if fields.len() > 3 {
        return Err(Problem::new(
            "too_many_fields",
            json!({ "found": fields.len() }),
            format!(
                "expected at most 3 fields (name, unit, members) separated by tab, '|' or ';', found {}",
                fields.len()
            ),
        ));
    }
    let name = clean(fields[0]);
    if name.is_empty() {
        return Err(Problem::new("empty_team_name", json!({}), "the team name (first field) is empty"));
    }
    let unit = fields.get(1).map(|u| clean(u)).unwrap_or_default();
    let (members, captain) = parse_members(fields.get(2).copied().unwrap_or(""))?;
    Ok(TeamLine { name, unit, members, captain })
}

/// Splits `An, Bình*, Chi` (or one name per line, as in a spreadsheet cell) into members;
/// the one ending in `*` is the captain.
pub fn parse_members(s: &str) -> Result<(Vec<String>, Option<String>), Problem> {
    let mut members = Vec::new();
    let mut captain = None;
    for raw in s.split([',', '\n']).map(str::trim).filter(|m| !m.is_empty()) {
        let (name, is_captain) = match raw.strip_suffix('*') {
            Some(n) => (clean(n), true),
            None => (clean(raw), false),
        };
        if name.is_empty() {
            return Err(Problem::new("empty_member", json!({}), "a member's name is empty"));
        }
        if is_captain {
            if captain.is_some() {
                return Err(Problem::new("two_captains", json!({}), "more than one member is marked captain with '*'"));
            }
            captain = Some(name.clone());
        }
        members.push(name);
    }
    Ok((members, captain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_only_unambiguous_characters() {
        for _ in 0..200 {
            let c = new_join_code();
            assert_eq!(c.len(), CODE_LEN);
            assert!(!c.contains(['0', 'O', '1', 'I', 'L']), "{c}");
            assert_eq!(normalize_join_code(&c).as_deref(), Some(c.as_str()));
        }
        assert_eq!(normalize_join_code(" abc-def ").as_deref(), Some("ABCDEF"));
        assert_eq!(normalize_join_code("ABC0EF"), None);
        assert_eq!(normalize_join_code("ABCDE"), None);
    }

    #[test]
    fn pasted_lines() {
        let t = parse_team_line("Đội Ngã Sáu\tĐảng ủy thị trấn Ngã Sáu\tAn, Bình*, Chi").unwrap();
        assert_eq!(t.name, "Đội Ngã Sáu");
        assert_eq!(t.unit, "Đảng ủy thị trấn Ngã Sáu");
        assert_eq!(t.members, vec!["An", "Bình", "Chi"]);
        assert_eq!(t.captain.as_deref(), Some("Bình"));
        let t = parse_team_line("  Đội  Phú Hữu  ").unwrap();
        assert_eq!(t.name, "Đội Phú Hữu");
        assert!(t.members.is_empty());
        assert!(parse_team_line(" | x").is_err());
        assert_eq!(parse_team_line("a|b|c|d").unwrap_err().code, "too_many_fields");
        assert_eq!(*parse_team_line("a|b|c|d").unwrap_err().params, json!({ "found": 4 }));
        assert_eq!(parse_team_line("a|b|An*, Bình*").unwrap_err().code, "two_captains");
        assert_eq!(parse_team_line(" | x").unwrap_err().code, "empty_team_name");
        assert_eq!(
            parse_members("An\nBình*\r\nChi").unwrap(),
            (vec!["An".into(), "Bình".into(), "Chi".into()], Some("Bình".into()))
        );
    }

    #[test]
    fn captain_must_be_a_member() {
        let r = roster(&["An".into(), "Bình".into()], Some("binh")).unwrap();
        assert!(r[1].captain && !r[0].captain);
        assert_eq!(roster(&["An".into()], Some("Chi")).unwrap_err().0, "captain");
        assert_eq!(roster(&["An".into()], Some("Chi")).unwrap_err().1.code, "captain_not_member");
        assert_eq!(roster(&["An".into(), " ".into()], None).unwrap_err().0, "members[1]");
    }
}
