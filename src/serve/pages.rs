//! The routes: the guards every request passes (loopback `Host`; for a change, a loopback
//! `Origin` and the token), then one handler per page, each answering HTML or, under `/api/`,
//! the same data as JSON. [`crate::local_server`] has read the request within its limits; an
//! error page never carries the token (a foreign `Host` can read a 421 or a 404).

use super::app::App;
use super::charts::{self, AXIS_X, AXIS_Y, BarChart, LineChart, VIEW_BOX};
use crate::db::{self, DbError};
use crate::local_server::{Request, Response};
use crate::pipeline::status::{self, Status};
use crate::postings::data::{self, LabelChange, Posting, PostingsPage};
use crate::postings::filter::{EXPERIENCE, Filter, SORTS};
use crate::postings::label;
use askama::Template;
use duckdb::Connection;
use serde_json::json;
use std::time::{Duration, Instant};

/// Scripts and styles only from this server, nothing inline, no frames, no plugins.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const CSS: &str = include_str!("assets/app.css");
const JS: &str = include_str!("assets/app.js");

/// How long a save waits for a database a sync's load holds before answering 503.
const SAVE_WAIT: Duration = Duration::from_secs(2);
/// The header that carries the token on `/api/` changes.
const TOKEN_HEADER: &str = "x-upjobpilot-token";

/// What a request gets.
struct Reply {
    status: u16,
    content_type: &'static str,
    body: String,
    location: Option<String>,
    retry_after: bool,
}

impl Reply {
    fn html(status: u16, body: String) -> Reply {
        Reply {
            status,
            content_type: "text/html; charset=utf-8",
            body,
            location: None,
            retry_after: false,
        }
    }

    fn json(status: u16, value: &impl serde::Serialize) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: serde_json::to_string(value).unwrap_or_else(|_| "{}".into()),
            location: None,
            retry_after: false,
        }
    }

    fn redirect(to: String) -> Reply {
        Reply {
            status: 303,
            content_type: "text/plain; charset=utf-8",
            body: String::new(),
            location: Some(to),
            retry_after: false,
        }
    }

    fn asset(content_type: &'static str, body: &'static str) -> Reply {
        Reply {
            status: 200,
            content_type,
            body: body.to_string(),
            location: None,
            retry_after: false,
        }
    }

    fn into_response(self) -> Response {
        let mut response = Response::new(self.status, self.content_type, self.body)
            .with_header("content-security-policy", CONTENT_SECURITY_POLICY)
            .with_header("x-content-type-options", "nosniff")
            .with_header("x-frame-options", "DENY")
            // Not `no-referrer`: under it a browser sends `Origin: null` with a form's POST,
            // which the CSRF check must refuse. Other sites still get no referrer.
            .with_header("referrer-policy", "same-origin")
            .with_header("cache-control", "no-store");
        if let Some(location) = self.location.filter(|l| l.is_ascii()) {
            response = response.with_header("location", location);
        }
        if self.retry_after {
            response = response.with_header("retry-after", "1");
        }
        response
    }
}

/// Why a request was not answered as asked.
#[derive(Debug)]
struct Fail {
    status: u16,
    /// `busy`, `error`, ... (JSON's `error`, the page's class).
    kind: &'static str,
    message: String,
}

impl Fail {
    fn new(status: u16, kind: &'static str, message: impl Into<String>) -> Fail {
        Fail {
            status,
            kind,
            message: message.into(),
        }
    }

    fn db(error: DbError) -> Fail {
        match error {
            DbError::Busy { .. } | DbError::BusyHere { .. } => Fail::busy(),
            DbError::Io { path, source } if source.kind() == std::io::ErrorKind::NotFound => {
                Fail::new(
                    503,
                    "missing",
                    format!(
                        "no database at {} yet: run `upjobpilot sync` first",
                        path.display()
                    ),
                )
            }
            other => Fail::new(500, "error", other.to_string()),
        }
    }

    fn busy() -> Fail {
        Fail::new(
            503,
            "busy",
            "updating: a sync is loading new postings; try again in a moment",
        )
    }

    fn query(error: duckdb::Error) -> Fail {
        // A save that met a sync's write to the same rows: DuckDB aborted it, nothing changed.
        if db::is_write_conflict(&error) {
            return Fail::busy();
        }
        tracing::warn!(stage = "serve", error = %error, "query failed");
        Fail::new(500, "error", format!("database query failed: {error}"))
    }

    fn reply(self, api: bool) -> Reply {
        let mut reply = if api {
            Reply::json(
                self.status,
                &json!({ "error": self.kind, "message": self.message }),
            )
        } else {
            let heading = match self.kind {
                "busy" => "Updating",
                "missing" => "No postings yet",
                "not_found" => "Not found",
                "forbidden" | "misdirected" => "Refused",
                "bad_request" => "Bad request",
                _ => "Something went wrong",
            };
            let page = MessageHtml {
                layout: Layout::without_token(heading),
                kind: if self.kind == "busy" { "busy" } else { "error" },
                heading: heading.into(),
                text: self.message,
            };
            render(self.status, &page)
        };
        reply.retry_after = self.kind == "busy";
        reply
    }
}

/// What every page's frame needs.
struct Layout {
    title: String,
    /// The token the page's forms and script send with a change; empty on an error page, which
    /// anyone who reaches the port can read (a foreign `Host`, a wrong path).
    token: String,
    section: &'static str,
}

impl Layout {
    fn new(app: &App, title: &str, section: &'static str) -> Layout {
        Layout {
            title: title.to_string(),
            token: app.token.clone(),
            section,
        }
    }

    fn without_token(title: &str) -> Layout {
        Layout {
            title: title.to_string(),
            token: String::new(),
            section: "",
        }
    }
}

/// An option of a `<select>` or a radio button.
struct Choice {
    value: String,
    text: String,
    selected: bool,
}

fn choices<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>, current: &str) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(value, text)| Choice {
            value: value.to_string(),
            text: text.to_string(),
            selected: value == current,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessageHtml {
    layout: Layout,
    kind: &'static str,
    heading: String,
    text: String,
}

#[derive(Template)]
#[template(path = "postings.html")]
struct PostingsHtml {
    layout: Layout,
    filter: Filter,
    page: PostingsPage,
    searches: Vec<Choice>,
    countries: Vec<Choice>,
    label_choices: Vec<Choice>,
    types: Vec<Choice>,
    experience: Vec<Choice>,
    sorts: Vec<Choice>,
    prev: Option<String>,
    next: Option<String>,
    key_help: &'static str,
}

#[derive(Template)]
#[template(path = "posting.html")]
struct PostingHtml {
    layout: Layout,
    posting: Posting,
    action: String,
    label_choices: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "charts.html")]
struct ChartsHtml {
    layout: Layout,
    lines: Vec<(&'static str, LineChart)>,
    bars: Vec<(&'static str, BarChart)>,
    view_box: &'static str,
    axis_x: f64,
    axis_y: f64,
}

#[derive(Template)]
#[template(path = "runs.html")]
struct RunsHtml {
    layout: Layout,
    status: Status,
}

fn render(status: u16, page: &impl Template) -> Reply {
    match page.render() {
        Ok(body) => Reply::html(status, body),
        Err(error) => {
            tracing::warn!(stage = "serve", error = %error, "template failed");
            Reply {
                status: 500,
                content_type: "text/plain; charset=utf-8",
                body: "the page could not be rendered".into(),
                location: None,
                retry_after: false,
            }
        }
    }
}

/// Answers one request.
pub(super) fn answer(app: &App, request: &Request) -> Response {
    let started = Instant::now();
    let path = request.path();
    let api = path.starts_with("/api/");
    let reply = route(app, request, path, request.query()).unwrap_or_else(|fail| fail.reply(api));
    tracing::debug!(
        stage = "serve",
        method = %request.method,
        path,
        status = reply.status,
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "answered"
    );
    reply.into_response()
}

/// The one rule for `Host` and `Origin`: a loopback name exactly (`localhost`, `127.0.0.1` or
/// `[::1]`; not `127.0.0.2`, not `localhost.`) and this server's port. An authority is
/// `name[:port]`, the port 80 when left out.
fn is_own_authority(authority: &str, port: u16) -> bool {
    let (name, port_part) = match authority.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((name, rest)) => (name, rest),
            None => return false,
        },
        None => match authority.find(':') {
            Some(colon) => authority.split_at(colon),
            None => (authority, ""),
        },
    };
    let loopback = name.eq_ignore_ascii_case("localhost") || name == "127.0.0.1" || name == "::1";
    let bracketed = authority.starts_with('[');
    // `[::1]` only in brackets, the others never.
    let well_formed = bracketed == (name == "::1");
    let this_port = match port_part.strip_prefix(':') {
        Some(digits) => digits == port.to_string(),
        None => port_part.is_empty() && port == 80,
    };
    loopback && well_formed && this_port
}

/// The `Origin` of a page of this server: `http://` and an authority of [`is_own_authority`].
fn is_own_origin(origin: &str, port: u16) -> bool {
    origin
        .strip_prefix("http://")
        .is_some_and(|authority| is_own_authority(authority, port))
}

/// Compares without stopping at the first difference, so timing tells nothing of the token.
fn same_token(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The body as text; its size the server has capped ([`crate::local_server::MAX_BODY_BYTES`]).
fn read_body(request: &Request) -> Result<&str, Fail> {
    std::str::from_utf8(&request.body)
        .map_err(|_| Fail::new(400, "bad_request", "the request body is not UTF-8 text"))
}

fn route(app: &App, request: &Request, path: &str, query: &str) -> Result<Reply, Fail> {
    // DNS rebinding: a page of evil.example resolving to 127.0.0.1 sends `Host: evil.example`.
    let host = request.header("host").unwrap_or_default();
    if !is_own_authority(host, app.port) {
        return Err(Fail::new(
            421,
            "misdirected",
            "this dashboard answers only to localhost, 127.0.0.1 or [::1] at its own port",
        ));
    }
    let method = request.method.as_str();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        ("GET", [""] | ["postings"]) => postings_page(app, query),
        ("GET", ["api", "postings"]) => postings_api(app, query),
        ("GET", ["postings", id]) => posting_page(app, &decode(id)),
        ("GET", ["api", "postings", id]) => posting_api(app, &decode(id)),
        ("POST", ["postings", id, "label"]) => {
            guard_origin(app, request)?;
            label_form(app, request, &decode(id))
        }
        ("POST", ["api", "postings", id, "label"]) => {
            guard_origin(app, request)?;
            label_api(app, request, &decode(id))
        }
        ("GET", ["charts"]) => charts_page(app),
        ("GET", ["api", "charts"]) => read(app, data::charts).map(|c| Reply::json(200, &c)),
        ("GET", ["runs"]) => runs(app).map(|status| {
            render(
                200,
                &RunsHtml {
                    layout: Layout::new(app, "Runs", "runs"),
                    status,
                },
            )
        }),
        ("GET", ["api", "runs"]) => runs(app).map(|s| Reply::json(200, &s)),
        ("GET", ["assets", "app.css"]) => Ok(Reply::asset("text/css; charset=utf-8", CSS)),
        ("GET", ["assets", "app.js"]) => Ok(Reply::asset("text/javascript; charset=utf-8", JS)),
        (_, ["" | "postings" | "charts" | "runs"] | ["api", ..] | ["postings", ..]) => {
            Err(Fail::new(
                405,
                "method_not_allowed",
                format!("{method} is not allowed here"),
            ))
        }
        _ => Err(Fail::new(404, "not_found", format!("no page at {path}"))),
    }
}

fn decode(segment: &str) -> String {
    url::form_urlencoded::parse(format!("id={segment}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Cross-site requests: a page elsewhere can make the browser POST here, but it cannot set our
/// `Origin`, nor read the token from our pages.
fn guard_origin(app: &App, request: &Request) -> Result<(), Fail> {
    match request.header("origin") {
        Some(origin) if is_own_origin(origin, app.port) => Ok(()),
        _ => Err(Fail::new(
            403,
            "forbidden",
            "changes are accepted only from this dashboard's own pages",
        )),
    }
}

fn check_token(app: &App, given: Option<&str>) -> Result<(), Fail> {
    match given {
        Some(token) if same_token(token, &app.token) => Ok(()),
        _ => Err(Fail::new(
            403,
            "forbidden",
            "the page is out of date (the dashboard restarted): reload it and try again",
        )),
    }
}

/// Runs `f` over a reading connection for this request: the process's instance of the file
/// where it has one (a sync of `serve --watch` loading), a read-only one otherwise.
fn read<T>(app: &App, f: impl FnOnce(&Connection) -> duckdb::Result<T>) -> Result<T, Fail> {
    let conn = db::open_read_only(&app.database).map_err(Fail::db)?;
    f(&conn).map_err(Fail::query)
}

fn runs(app: &App) -> Result<Status, Fail> {
    status::read(&app.config, &app.database).map_err(Fail::db)
}

fn parse_filter(app: &App, query: &str) -> Result<Filter, Fail> {
    Filter::parse(query, &app.labels).map_err(|e| Fail::new(400, "bad_request", e.to_string()))
}

fn postings_api(app: &App, query: &str) -> Result<Reply, Fail> {
    let filter = parse_filter(app, query)?;
    let page = read(app, |conn| data::postings(conn, &filter))?;
    Ok(Reply::json(200, &json!({ "filter": filter, "page": page })))
}

fn postings_page(app: &App, query: &str) -> Result<Reply, Fail> {
    let filter = parse_filter(app, query)?;
    let (page, (searches, countries)) = read(app, |conn| {
        Ok((data::postings(conn, &filter)?, app.choices(conn)?))
    })?;
    let current = |v: &Option<String>| v.clone().unwrap_or_default();
    let label_choices = {
        let mut items = vec![
            ("", "all but ignored"),
            ("any", "any"),
            ("none", "no label"),
        ];
        items.extend(app.labels.iter().map(|l| (l.as_str(), l.as_str())));
        choices(items, &current(&filter.label))
    };
    let href = |n: u32| format!("/?{}", filter.query_for_page(n));
    let html = PostingsHtml {
        layout: Layout::new(app, "Postings", "postings"),
        searches: choices(
            searches.iter().map(|s| (s.as_str(), s.as_str())),
            &current(&filter.search),
        ),
        countries: choices(
            countries.iter().map(|c| (c.as_str(), c.as_str())),
            &current(&filter.country),
        ),
        label_choices,
        types: choices(
            [("", "any"), ("hourly", "hourly"), ("fixed", "fixed price")],
            &current(&filter.job_type),
        ),
        experience: choices(
            std::iter::once(("", "any")).chain(EXPERIENCE),
            &current(&filter.experience),
        ),
        sorts: choices(SORTS, &filter.sort),
        prev: (filter.page > 1).then(|| href(filter.page - 1)),
        next: (filter.page < page.pages).then(|| href(filter.page + 1)),
        key_help: "s/a/i label saved/applied/ignored",
        page,
        filter,
    };
    Ok(render(200, &html))
}

fn find_posting(app: &App, id: &str) -> Result<Posting, Fail> {
    read(app, |conn| data::posting(conn, id))?
        .ok_or_else(|| Fail::new(404, "not_found", format!("no posting {id} is stored")))
}

fn posting_api(app: &App, id: &str) -> Result<Reply, Fail> {
    Ok(Reply::json(200, &find_posting(app, id)?))
}

fn posting_page(app: &App, id: &str) -> Result<Reply, Fail> {
    let posting = find_posting(app, id)?;
    let current = posting.label.clone().unwrap_or_default();
    let mut items = vec![("", "none")];
    items.extend(app.labels.iter().map(|l| (l.as_str(), l.as_str())));
    let title = posting
        .job
        .as_ref()
        .and_then(|j| j.summary.title.clone())
        .unwrap_or_else(|| format!("Posting {id}"));
    let html = PostingHtml {
        layout: Layout::new(app, &title, "postings"),
        action: format!("{}/label", data::posting_href(id)),
        label_choices: choices(items, &current),
        posting,
    };
    Ok(render(200, &html))
}

/// A label from a request: one of the configured labels, or empty for none.
fn label_value(app: &App, value: Option<&str>) -> Result<Option<String>, Fail> {
    label::check(&app.labels, value).map_err(|message| Fail::new(400, "bad_request", message))
}

fn note_value(value: Option<&str>) -> Option<String> {
    label::note(value)
}

fn save(app: &App, id: &str, change: &LabelChange) -> Result<data::SavedLabel, Fail> {
    // A save never creates the database (opening it for writing would): no sync, no postings.
    if !app.database.exists() {
        return Err(Fail::db(DbError::Io {
            path: app.database.clone(),
            source: std::io::ErrorKind::NotFound.into(),
        }));
    }
    let mut conn = db::open_waiting(&app.database, SAVE_WAIT).map_err(Fail::db)?;
    data::save_label(&mut conn, id, change)
        .map_err(Fail::query)?
        .ok_or_else(|| Fail::new(404, "not_found", format!("no posting {id} is stored")))
}

fn label_form(app: &App, request: &Request, id: &str) -> Result<Reply, Fail> {
    let body = read_body(request)?;
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    check_token(app, field("token"))?;
    let change = LabelChange {
        label: Some(label_value(app, field("label"))?),
        note: Some(note_value(field("note"))),
    };
    save(app, id, &change)?;
    Ok(Reply::redirect(data::posting_href(id)))
}

fn label_api(app: &App, request: &Request, id: &str) -> Result<Reply, Fail> {
    check_token(app, request.header(TOKEN_HEADER))?;
    let body = read_body(request)?;
    let fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(body).map_err(|e| {
            Fail::new(
                400,
                "bad_request",
                format!("the body is not a JSON object: {e}"),
            )
        })?;
    let text = |name: &str| -> Result<Option<Option<String>>, Fail> {
        match fields.get(name) {
            None => Ok(None),
            Some(serde_json::Value::Null) => Ok(Some(None)),
            Some(serde_json::Value::String(s)) => Ok(Some(Some(s.clone()))),
            Some(_) => Err(Fail::new(
                400,
                "bad_request",
                format!("`{name}` must be a string or null"),
            )),
        }
    };
    let change = LabelChange {
        label: text("label")?
            .map(|l| label_value(app, l.as_deref()))
            .transpose()?,
        note: text("note")?.map(|n| note_value(n.as_deref())),
    };
    Ok(Reply::json(200, &save(app, id, &change)?))
}

fn charts_page(app: &App) -> Result<Reply, Fail> {
    let data = read(app, data::charts)?;
    let html = ChartsHtml {
        layout: Layout::new(app, "Charts", "charts"),
        lines: vec![
            (
                "Postings per day, per search",
                charts::lines(&data.per_search),
            ),
            (
                "Skill demand per day (the eight most wanted skills)",
                charts::lines(&data.skills),
            ),
        ],
        bars: vec![
            ("Fixed-price budgets", charts::bars(&data.fixed_budgets)),
            (
                "Hourly rates (top of the range)",
                charts::bars(&data.hourly_rates),
            ),
        ],
        view_box: VIEW_BOX,
        axis_x: AXIS_X,
        axis_y: AXIS_Y,
    };
    Ok(render(200, &html))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_names_at_this_port_pass_the_host_check() {
        for host in [
            "localhost:8765",
            "127.0.0.1:8765",
            "[::1]:8765",
            "LOCALHOST:8765",
        ] {
            assert!(is_own_authority(host, 8765), "{host}");
        }
        assert!(is_own_authority("localhost", 80), "no port is port 80");
        for host in [
            "",
            "localhost",
            "[::1]",
            "127.0.0.1:1",
            "127.0.0.2:8765",
            "127.1:8765",
            "evil.example",
            "evil.example:8765",
            "127.0.0.1.nip.io:8765",
            "[::2]:8765",
            "[0:0:0:0:0:0:0:1]:8765",
            "::1:8765",
            "[127.0.0.1]:8765",
            "localhost.:8765",
            "localhost.evil.example:8765",
            "[::1]x",
            "[::1]:8765x",
            "localhost:+8765",
            "localhost:8765@evil.example",
        ] {
            assert!(!is_own_authority(host, 8765), "{host}");
        }
    }

    /// Regression: `Origin: http://127.0.0.2:PORT` passed (any loopback address) while the same
    /// name in `Host` did not.
    #[test]
    fn origin_and_host_follow_one_rule() {
        assert!(is_own_origin("http://127.0.0.1:8765", 8765));
        assert!(is_own_origin("http://localhost:8765", 8765));
        assert!(is_own_origin("http://[::1]:8765", 8765));
        for origin in [
            "http://127.0.0.2:8765",
            "http://127.0.0.1:8766",
            "https://127.0.0.1:8765",
            "http://evil.example:8765",
            "http://127.0.0.1:8765/",
            "http://user@127.0.0.1:8765",
            "null",
            "",
        ] {
            assert!(!is_own_origin(origin, 8765), "{origin}");
        }
        for authority in ["127.0.0.2:8765", "localhost:8765", "[::1]:8765", "x:8765"] {
            assert_eq!(
                is_own_origin(&format!("http://{authority}"), 8765),
                is_own_authority(authority, 8765),
                "{authority}"
            );
        }
    }

    #[test]
    fn tokens_compare_in_full() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abd", "abc"));
        assert!(!same_token("ab", "abc"));
    }

    #[test]
    fn error_pages_carry_no_token() {
        for (status, kind) in [
            (421, "misdirected"),
            (404, "not_found"),
            (405, "method_not_allowed"),
            (503, "busy"),
            (500, "error"),
        ] {
            let reply = Fail::new(status, kind, "message").reply(false);
            assert_eq!(reply.status, status);
            assert!(!reply.body.contains("upjobpilot-token"), "{}", reply.body);
        }
    }
}
