//! Teams (đội thi) of a contest: one by one, many at once from pasted lines or an XLSX
//! list, their join codes as QR codes and printable cards, and the contestants who joined.
use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put, web};
use futures_util::StreamExt;
use sea_orm::{ActiveValue::Set, ConnectionTrait, IntoActiveModel, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::contests::{contest_or_404, ensure_member_of, ensure_open, ensure_staff_of};
use crate::auth::{Caller, Organiser, Staff};
use crate::domain::contest::{
    CODE_ALPHABET, CODE_LEN, Member, Problem, TeamLine, clean, normalize_join_code, parse_members, parse_team_line,
    roster,
};
use crate::domain::text::fold;
use crate::entities::{contestants, contests, teams};
use crate::error::{ApiError, ApiResult};
use crate::routes::Json;
use crate::startup::AppState;
use crate::store;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(bulk)
        .service(import)
        .service(read)
        .service(change)
        .service(remove)
        .service(new_code)
        .service(qr)
        .service(cards)
        .service(list_contestants)
        .service(remove_contestant)
        .service(make_captain);
}

/// Largest XLSX team list accepted.
pub const MAX_XLSX_BYTES: usize = 2 * 1024 * 1024;

#[derive(Serialize, ToSchema)]
pub struct TeamView {
    pub id: i32,
    pub contest_id: i32,
    pub name: String,
    /// Unit the team represents, e.g. "Đảng ủy thị trấn Ngã Sáu".
    pub unit: String,
    /// Join code: shown to organisers and to the team's own members only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    pub members: Vec<Member>,
    pub created_at: i64,
    /// The contestants who joined and are still in (one team read by its own members or
    /// staff): the phones name a teammate's answer with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub joined: Option<Vec<JoinedMember>>,
}

#[derive(Serialize, ToSchema)]
pub struct JoinedMember {
    pub contestant_id: i32,
    pub name: String,
    pub is_captain: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeam {
    pub name: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub members: Vec<String>,
    /// Name of the captain; must be one of `members`.
    #[serde(default)]
    pub captain: Option<String>,
    /// A join code of your choosing (6 of `ABCDEFGHJKMNPQRSTUVWXYZ23456789`); default: a fresh random one.
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct TeamChange {
    pub name: Option<String>,
    pub unit: Option<String>,
    pub members: Option<Vec<String>>,
    /// Name of the captain among the members; `""` clears it.
    pub captain: Option<String>,
    /// A new join code of your choosing (the old one stops working).
    pub code: Option<String>,
}

/// Pasted team lines: `name <tab|;|"|"> unit <sep> member, member*, …` (`*` marks the captain).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkTeams {
    pub lines: Vec<String>,
}

fn members_of(t: &teams::Model) -> Vec<Member> {
    serde_json::from_str(&t.members).unwrap_or_default()
}

pub(crate) fn team_view(t: teams::Model, show_code: bool) -> TeamView {
    TeamView {
        members: members_of(&t),
        id: t.id,
        contest_id: t.contest_id,
        name: t.name,
        unit: t.unit,
        code: show_code.then_some(t.code),
        created_at: t.created_at,
        joined: None,
    }
}

async fn team_or_404(state: &AppState, cid: i32, tid: i32) -> ApiResult<teams::Model> {
    store::teams::get(&state.db, cid, tid)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("contest {cid} has no team {tid}")))
}

fn limited(field: &str, v: &str, max: usize) -> ApiResult<String> {
    let v = clean(v);
    if v.chars().count() > max {
        return Err(ApiError::invalid_because(
            field,
            "too_long",
            json!({ "max": max }),
            format!("at most {max} characters"),
        ));
    }
    Ok(v)
}

/// A refused line, row or roster as a 400 naming `field`, with the problem's code and values.
fn problem(field: String, p: Problem) -> ApiError {
    ApiError::invalid_because(field, p.code, *p.params, p.message)
}

/// A checked team ready to insert: the names are clean and the roster valid.
struct TeamInput {
    name: String,
    unit: String,
    members_json: String,
    /// Chosen by the organiser; otherwise a fresh random one.
    code: Option<String>,
}

fn check_team(prefix: &str, line: TeamLine) -> ApiResult<TeamInput> {
    let f = |s: &str| if prefix.is_empty() { s.to_owned() } else { format!("{prefix}.{s}") };
    let name = limited(&f("name"), &line.name, 120)?;
    if name.is_empty() {
        return Err(ApiError::invalid_because(
            f("name"),
            "empty_team_name",
            json!({}),
            "the team name must not be empty",
        ));
    }
    let unit = limited(&f("unit"), &line.unit, 200)?;
    let members = roster(&line.members, line.captain.as_deref()).map_err(|(field, p)| problem(f(&field), p))?;
    let members_json = serde_json::to_string(&members).map_err(ApiError::internal)?;
    Ok(TeamInput { name, unit, members_json, code: None })
}

/// A join code given by the organiser, normalised; 400 naming the field when it cannot be one.
fn given_code(field: &str, raw: Option<&str>) -> ApiResult<Option<String>> {
    match raw {
        None => Ok(None),
        Some(r) => normalize_join_code(r).map(Some).ok_or_else(|| {
            let alphabet = String::from_utf8_lossy(CODE_ALPHABET);
            ApiError::invalid(field, format!("{r:?} is not a join code: {CODE_LEN} characters of {alphabet}"))
        }),
    }
}

/// 409 when another team (in any contest) already has `code`.
async fn ensure_code_free(db: &impl ConnectionTrait, code: &str, except: Option<i32>) -> ApiResult<()> {
    if let Some((t, _)) = store::teams::by_code(db, code).await?
        && Some(t.id) != except
    {
        return Err(ApiError::conflict(
            "already_exists",
            format!("the join code {code} is already used by another team"),
        ));
    }
    Ok(())
}

/// Inserts all teams or none: a name already used in the contest, or twice in the
/// input, or a join code already taken, refuses the whole batch with 409 naming it.
async fn insert_teams(
    db: &impl ConnectionTrait,
    contest_id: i32,
    inputs: Vec<(String, TeamInput)>,
) -> ApiResult<Vec<teams::Model>> {
    // Two lists added at once must not both pass the name check.
    store::contests::lock(db, contest_id).await?;
    let existing = store::teams::list(db, contest_id).await?;
    let mut seen: HashMap<String, String> = existing.iter().map(|t| (fold(&t.name), String::new())).collect();
    for (label, t) in &inputs {
        if let Some(code) = &t.code {
            ensure_code_free(db, code, None).await?;
        }
        if let Some(first) = seen.get(&fold(&t.name)) {
            let at = if label.is_empty() { String::new() } else { format!("{label}: ") };
            let msg = if first.is_empty() {
                format!("{at}the contest already has a team named {:?}", t.name)
            } else {
                format!("{at}the team {:?} is already given in {first}", t.name)
            };
            let params = json!({ "name": t.name, "at": label, "first": first });
            return Err(ApiError::conflict_because("already_exists", "duplicate_team", params, msg));
        }
        seen.insert(fold(&t.name), if label.is_empty() { "the input".into() } else { label.clone() });
    }
    let mut out = Vec::with_capacity(inputs.len());
    for (_, t) in inputs {
        out.push(store::teams::insert(db, contest_id, &t.name, &t.unit, &t.members_json, t.code.as_deref()).await?);
    }
    Ok(out)
}

/// Teams of a contest (organisers and its judges; judges do not see join codes).
#[utoipa::path(tag = "teams", responses((status = 200, body = Vec<TeamView>), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
#[get("/api/contests/{id}/teams")]
async fn list(state: web::Data<AppState>, staff: Staff, id: web::Path<i32>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    ensure_staff_of(&state, &staff, id).await?;
    contest_or_404(&state, id).await?;
    let organiser = matches!(staff, Staff::Organiser(_));
    let teams = store::teams::list(&state.db, id).await?;
    Ok(HttpResponse::Ok().json(teams.into_iter().map(|t| team_view(t, organiser)).collect::<Vec<_>>()))
}

/// Add a team; it gets a fresh join code.
#[utoipa::path(tag = "teams", request_body = NewTeam, responses(
    (status = 201, body = TeamView), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[post("/api/contests/{id}/teams")]
async fn create(
    state: web::Data<AppState>,
    _o: Organiser,
    id: web::Path<i32>,
    body: Json<NewTeam>,
) -> ApiResult<HttpResponse> {
    let c = contest_or_404(&state, id.into_inner()).await?;
    ensure_open(&c)?;
    let b = body.0;
    let code = given_code("code", b.code.as_deref())?;
    let input = TeamInput {
        code,
        ..check_team("", TeamLine { name: b.name, unit: b.unit, members: b.members, captain: b.captain })?
    };
    let txn = state.db.begin().await?;
    let mut made = insert_teams(&txn, c.id, vec![(String::new(), input)]).await?;
    txn.commit().await?;
    let t = made.pop().ok_or_else(|| ApiError::internal(anyhow::anyhow!("no team inserted")))?;
    Ok(HttpResponse::Created().json(team_view(t, true)))
}

/// Reads a body of at most `max` bytes.
pub(crate) async fn read_body(mut payload: web::Payload, max: usize, what: &str) -> ApiResult<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::bad_request("bad_body", format!("cannot read the body: {e}")))?;
        if body.len() + chunk.len() > max {
            return Err(ApiError::PayloadTooLarge(format!("the {what} is larger than {} KB", max / 1024)));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Add many teams at once from pasted lines: a `text/plain` body with one team per line,
/// or JSON `{"lines": [...]}`. All or nothing: a bad line refuses the whole list, naming it.
#[utoipa::path(tag = "teams", request_body(content((BulkTeams = "application/json"), (String = "text/plain"))),
    responses((status = 201, body = Vec<TeamView>), (status = 400), (status = 401), (status = 403), (status = 404),
    (status = 409), (status = 413)), security(("bearer" = [])))]
#[post("/api/contests/{id}/teams/bulk")]
async fn bulk(
    state: web::Data<AppState>,
    _o: Organiser,
    id: web::Path<i32>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let c = contest_or_404(&state, id.into_inner()).await?;
    ensure_open(&c)?;
    let is_json = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    let body = read_body(payload, super::json::MAX_JSON_BYTES, "team list").await?;
    let (lines, field): (Vec<String>, &str) = if is_json {
        (super::json::parse::<BulkTeams>(&body)?.lines, "lines")
    } else {
        let text = String::from_utf8(body)
            .map_err(|_| ApiError::invalid_because("body", "not_utf8", json!({}), "the text is not UTF-8"))?;
        (text.lines().map(str::to_owned).collect(), "line")
    };
    let mut inputs = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        // JSON lines are named by index, pasted text by line number as people count.
        let label = if is_json { format!("{field}[{i}]") } else { format!("{field} {}", i + 1) };
        let parsed = parse_team_line(line).map_err(|p| problem(label.clone(), p))?;
        inputs.push((label.clone(), check_team(&label, parsed)?));
    }
    if inputs.is_empty() {
        return Err(ApiError::invalid_because(
            if is_json { "lines" } else { "body" },
            "no_team",
            json!({}),
            "no team given",
        ));
    }
    let txn = state.db.begin().await?;
    let made = insert_teams(&txn, c.id, inputs).await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(made.into_iter().map(|t| team_view(t, true)).collect::<Vec<_>>()))
}

/// Reads teams from the first sheet of an XLSX file. A header row names the columns
/// ("Tên đội", "Đơn vị", "Thành viên", "Đội trưởng"); without one, the columns are in
/// that order.
fn teams_from_xlsx(bytes: Vec<u8>) -> ApiResult<Vec<(String, TeamLine)>> {
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    let mut wb: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).map_err(|e| {
        ApiError::invalid_because("file", "not_xlsx", json!({}), format!("not a readable XLSX file: {e}"))
    })?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| ApiError::invalid_because("file", "no_sheet", json!({}), "the workbook has no sheet"))?
        .map_err(|e| {
            ApiError::invalid_because(
                "file",
                "unreadable_sheet",
                json!({}),
                format!("cannot read the first sheet: {e}"),
            )
        })?;
    let rows: Vec<Vec<String>> =
        range.rows().map(|r| r.iter().map(|c| c.to_string().trim().to_owned()).collect()).collect();
    let header_of = |h: &str| -> Option<usize> {
        match fold(h).as_str() {
            "ten doi" | "doi" | "ten doi thi" | "team" | "name" => Some(0),
            "don vi" | "unit" => Some(1),
            "thanh vien" | "members" => Some(2),
            "doi truong" | "captain" => Some(3),
            _ => None,
        }
    };
    let (cols, first) = match rows.first() {
        Some(r) if r.iter().any(|c| header_of(c) == Some(0)) => {
            let mut cols = [None; 4];
            for (i, c) in r.iter().enumerate() {
                if let Some(k) = header_of(c) {
                    cols[k].get_or_insert(i);
                }
            }
            (cols, 1)
        }
        _ => ([Some(0), Some(1), Some(2), Some(3)], 0),
    };
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate().skip(first) {
        let cell = |k: usize| cols[k].and_then(|c| row.get(c)).cloned().unwrap_or_default();
        if row.iter().all(|c| c.is_empty()) {
            continue;
        }
        let label = format!("row {}", i + 1);
        let (members, star) = parse_members(&cell(2)).map_err(|p| problem(format!("{label}.members"), p))?;
        let captain = Some(cell(3)).filter(|c| !c.is_empty()).or(star);
        out.push((label, TeamLine { name: cell(0), unit: cell(1), members, captain }));
    }
    Ok(out)
}

/// Add many teams from an XLSX list (the file as the request body). All or nothing;
/// errors name the row.
#[utoipa::path(tag = "teams",
    request_body(content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 201, body = Vec<TeamView>), (status = 400), (status = 401), (status = 403), (status = 404),
    (status = 409), (status = 413)), security(("bearer" = [])))]
#[post("/api/contests/{id}/teams/import")]
async fn import(
    state: web::Data<AppState>,
    _o: Organiser,
    id: web::Path<i32>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let c = contest_or_404(&state, id.into_inner()).await?;
    ensure_open(&c)?;
    let bytes = read_body(payload, MAX_XLSX_BYTES, "XLSX file").await?;
    let lines = tokio::task::spawn_blocking(move || teams_from_xlsx(bytes)).await.map_err(ApiError::internal)??;
    let mut inputs = Vec::with_capacity(lines.len());
    for (label, line) in lines {
        inputs.push((label.clone(), check_team(&label, line)?));
    }
    if inputs.is_empty() {
        return Err(ApiError::invalid_because("file", "no_team", json!({}), "the sheet lists no team"));
    }
    let txn = state.db.begin().await?;
    let made = insert_teams(&txn, c.id, inputs).await?;
    txn.commit().await?;
    Ok(HttpResponse::Created().json(made.into_iter().map(|t| team_view(t, true)).collect::<Vec<_>>()))
}

/// One team: for organisers, the contest's judges, and the team's own members.
#[utoipa::path(tag = "teams", responses((status = 200, body = TeamView), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
#[get("/api/contests/{id}/teams/{team_id}")]
async fn read(state: web::Data<AppState>, caller: Caller, path: web::Path<(i32, i32)>) -> ApiResult<HttpResponse> {
    let (cid, tid) = path.into_inner();
    ensure_member_of(&state, &caller, cid).await?;
    let show_code = match &caller {
        Caller::Contestant(x) if x.team_id != tid => return Err(ApiError::forbidden("that is another team")),
        Caller::Contestant(_) | Caller::Organiser(_) => true,
        Caller::Judge(_) => false,
    };
    let t = team_or_404(&state, cid, tid).await?;
    let joined = store::teams::contestants(&state.db, cid)
        .await?
        .into_iter()
        .filter(|x| x.team_id == tid && !x.revoked)
        .map(|x| JoinedMember { contestant_id: x.id, name: x.name, is_captain: x.is_captain })
        .collect();
    Ok(HttpResponse::Ok().json(TeamView { joined: Some(joined), ..team_view(t, show_code) }))
}

/// Change a team's name, unit, members or captain.
#[utoipa::path(tag = "teams", request_body = TeamChange, responses(
    (status = 200, body = TeamView), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[patch("/api/contests/{id}/teams/{team_id}")]
async fn change(
    state: web::Data<AppState>,
    _o: Organiser,
    path: web::Path<(i32, i32)>,
    body: Json<TeamChange>,
) -> ApiResult<HttpResponse> {
    let (cid, tid) = path.into_inner();
    let c = contest_or_404(&state, cid).await?;
    ensure_open(&c)?;
    let t = team_or_404(&state, cid, tid).await?;
    let b = body.0;
    let old = members_of(&t);
    let members = b.members.unwrap_or_else(|| old.iter().map(|m| m.name.clone()).collect());
    // The named captain stays when the members change, as long as they are still a member.
    let captain = match b.captain {
        Some(c) => Some(c),
        None => old
            .iter()
            .find(|m| m.captain)
            .map(|m| m.name.clone())
            .filter(|c| members.iter().any(|m| fold(m) == fold(c))),
    };
    let line = TeamLine {
        name: b.name.unwrap_or_else(|| t.name.clone()),
        unit: b.unit.unwrap_or_else(|| t.unit.clone()),
        members,
        captain,
    };
    let input = check_team("", line)?;
    let code = given_code("code", b.code.as_deref())?;
    if let Some(code) = &code {
        ensure_code_free(&state.db, code, Some(tid)).await?;
    }
    if store::teams::list(&state.db, cid).await?.iter().any(|o| o.id != tid && fold(&o.name) == fold(&input.name)) {
        return Err(ApiError::conflict(
            "already_exists",
            format!("the contest already has a team named {:?}", input.name),
        ));
    }
    let mut m = t.into_active_model();
    m.name = Set(input.name);
    m.unit = Set(input.unit);
    m.members = Set(input.members_json);
    if let Some(code) = code {
        m.code = Set(code);
    }
    let t = store::teams::update(&state.db, m).await?;
    Ok(HttpResponse::Ok().json(team_view(t, true)))
}

/// Delete a team (only while the contest is being set up).
#[utoipa::path(tag = "teams", responses((status = 204), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[delete("/api/contests/{id}/teams/{team_id}")]
async fn remove(state: web::Data<AppState>, _o: Organiser, path: web::Path<(i32, i32)>) -> ApiResult<HttpResponse> {
    let (cid, tid) = path.into_inner();
    let c = contest_or_404(&state, cid).await?;
    let t = team_or_404(&state, cid, tid).await?;
    if c.status != store::contests::SETUP {
        return Err(ApiError::invalid_state(
            format!("contest {cid} is {}; teams can only be deleted while it is being set up", c.status),
            serde_json::json!({ "status": c.status }),
        ));
    }
    let txn = state.db.begin().await?;
    store::teams::delete(&txn, t.id).await?;
    txn.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Give the team a fresh random join code (e.g. when the old one leaked); the old code
/// stops working for new joins, members who joined stay in.
#[utoipa::path(tag = "teams", responses((status = 200, body = TeamView), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[post("/api/contests/{id}/teams/{team_id}/code")]
async fn new_code(state: web::Data<AppState>, _o: Organiser, path: web::Path<(i32, i32)>) -> ApiResult<HttpResponse> {
    let (cid, tid) = path.into_inner();
    let c = contest_or_404(&state, cid).await?;
    ensure_open(&c)?;
    let t = team_or_404(&state, cid, tid).await?;
    let txn = state.db.begin().await?;
    store::teams::lock(&txn, t.id).await?;
    store::teams::new_code(&txn, t.id).await?;
    txn.commit().await?;
    Ok(HttpResponse::Ok().json(team_view(team_or_404(&state, cid, tid).await?, true)))
}

/// The public base URL as the browser sees this server, from the request.
fn public_base(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

pub(crate) fn join_url(base: &str, code: &str) -> String {
    format!("{base}/join?code={code}")
}

fn qr_svg(data: &str, size: u32) -> ApiResult<String> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::new(data.as_bytes()).map_err(ApiError::internal)?;
    Ok(code.render::<svg::Color<'_>>().min_dimensions(size, size).build())
}

/// The team's QR code (SVG): its URL carries the join code.
#[utoipa::path(tag = "teams", responses((status = 200, content_type = "image/svg+xml", body = String),
    (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
#[get("/api/contests/{id}/teams/{team_id}/qr.svg")]
async fn qr(
    state: web::Data<AppState>,
    _o: Organiser,
    path: web::Path<(i32, i32)>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let (cid, tid) = path.into_inner();
    let t = team_or_404(&state, cid, tid).await?;
    let svg = qr_svg(&join_url(&public_base(&req), &t.code), 240)?;
    Ok(HttpResponse::Ok().content_type("image/svg+xml").body(svg))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn cards_html(base: &str, c: &contests::Model, teams: &[teams::Model]) -> ApiResult<String> {
    let mut html = String::new();
    for t in teams {
        let url = join_url(base, &t.code);
        let svg = qr_svg(&url, 180)?;
        // The XML prolog is not allowed inside HTML.
        let svg = svg.split_once("?>").map_or(svg.as_str(), |(_, rest)| rest).trim();
        let unit = if t.unit.is_empty() { String::new() } else { format!("<p class=\"unit\">{}</p>", esc(&t.unit)) };
        html.push_str(&format!(
            "<section class=\"card\"><h2>{}</h2>{unit}<div class=\"qr\">{svg}</div>\
             <p>Mã tham gia: <strong class=\"code\">{}</strong></p>\
             <p class=\"how\">Quét mã QR hoặc vào <span>{}/join</span> và nhập mã đội.</p></section>\n",
            esc(&t.name),
            esc(&t.code),
            esc(base),
        ));
    }
    Ok(format!(
        r#"<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Thẻ đội thi — {name}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1cm; }}
header {{ text-align: center; margin-bottom: 1em; }}
.cards {{ display: grid; grid-template-columns: repeat(2, 1fr); gap: 0.8cm; }}
.card {{ border: 2px dashed #555; border-radius: 8px; padding: 0.6cm; text-align: center; break-inside: avoid; page-break-inside: avoid; }}
.card h2 {{ margin: 0 0 0.2em; font-size: 1.3em; }}
.unit {{ margin: 0 0 0.5em; color: #333; }}
.qr svg {{ width: 4.5cm; height: 4.5cm; }}
.code {{ font-family: ui-monospace, monospace; font-size: 1.8em; letter-spacing: 0.15em; }}
.how {{ font-size: 0.85em; color: #444; }}
@media print {{ body {{ margin: 0; }} header {{ display: none; }} .card {{ border-color: #000; }} }}
@page {{ size: A4; margin: 1cm; }}
</style></head><body>
<header><h1>{name}</h1><p>{unit}</p><p>In trang này và phát cho từng đội.</p></header>
<main class="cards">
{html}</main>
</body></html>
"#,
        name = esc(&c.name),
        unit = esc(&c.unit),
    ))
}

/// A printable page of team cards (team name, unit, QR code and join code), in Vietnamese.
#[utoipa::path(tag = "teams", responses((status = 200, content_type = "text/html", body = String),
    (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
#[get("/api/contests/{id}/cards")]
async fn cards(
    state: web::Data<AppState>,
    _o: Organiser,
    id: web::Path<i32>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let c = contest_or_404(&state, id.into_inner()).await?;
    let teams = store::teams::list(&state.db, c.id).await?;
    let html = cards_html(&public_base(&req), &c, &teams)?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html))
}

#[derive(Serialize, ToSchema)]
pub struct ContestantView {
    pub id: i32,
    pub team_id: i32,
    pub name: String,
    pub is_captain: bool,
    /// A removed contestant's token no longer works.
    pub revoked: bool,
    pub joined_at: i64,
}

impl From<contestants::Model> for ContestantView {
    fn from(x: contestants::Model) -> Self {
        Self {
            id: x.id,
            team_id: x.team_id,
            name: x.name,
            is_captain: x.is_captain,
            revoked: x.revoked,
            joined_at: x.joined_at,
        }
    }
}

/// Contestants who joined the contest (organisers and its judges).
#[utoipa::path(tag = "teams", responses((status = 200, body = Vec<ContestantView>), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
#[get("/api/contests/{id}/contestants")]
async fn list_contestants(state: web::Data<AppState>, staff: Staff, id: web::Path<i32>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    ensure_staff_of(&state, &staff, id).await?;
    contest_or_404(&state, id).await?;
    let rows = store::teams::contestants(&state.db, id).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(ContestantView::from).collect::<Vec<_>>()))
}

async fn contestant_or_404(state: &AppState, cid: i32, xid: i32) -> ApiResult<contestants::Model> {
    store::teams::contestant(&state.db, cid, xid)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("contest {cid} has no contestant {xid}")))
}

/// Remove a contestant: their token stops working at once. Under the first-to-join
/// policy the team's next member becomes captain.
#[utoipa::path(tag = "teams", responses((status = 204), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
#[delete("/api/contests/{id}/contestants/{contestant_id}")]
async fn remove_contestant(
    state: web::Data<AppState>,
    _o: Organiser,
    path: web::Path<(i32, i32)>,
) -> ApiResult<HttpResponse> {
    let (cid, xid) = path.into_inner();
    let c = contest_or_404(&state, cid).await?;
    let x = contestant_or_404(&state, cid, xid).await?;
    let txn = state.db.begin().await?;
    store::teams::lock(&txn, x.team_id).await?;
    store::teams::revoke_contestant(&txn, x.id).await?;
    if x.is_captain
        && c.captain_policy == crate::domain::contest::CaptainPolicy::FirstJoin.as_str()
        && let Some(next) = store::teams::active_member_ids(&txn, x.team_id).await?.first()
    {
        store::teams::set_captain(&txn, x.team_id, *next).await?;
    }
    txn.commit().await?;
    state.hub.revoke(crate::live::Revoked::Contestant { contest_id: cid, contestant_id: x.id }).await;
    Ok(HttpResponse::NoContent().finish())
}

/// Make a contestant the captain of their team (the previous captain stops being one).
#[utoipa::path(tag = "teams", responses((status = 200, body = ContestantView), (status = 401), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
#[put("/api/contests/{id}/contestants/{contestant_id}/captain")]
async fn make_captain(
    state: web::Data<AppState>,
    _o: Organiser,
    path: web::Path<(i32, i32)>,
) -> ApiResult<HttpResponse> {
    let (cid, xid) = path.into_inner();
    let c = contest_or_404(&state, cid).await?;
    ensure_open(&c)?;
    let x = contestant_or_404(&state, cid, xid).await?;
    if x.revoked {
        return Err(ApiError::conflict("contestant_removed", format!("contestant {xid} was removed")));
    }
    let txn = state.db.begin().await?;
    store::teams::lock(&txn, x.team_id).await?;
    store::teams::set_captain(&txn, x.team_id, x.id).await?;
    txn.commit().await?;
    let x = contestant_or_404(&state, cid, xid).await?;
    Ok(HttpResponse::Ok().json(ContestantView::from(x)))
}
