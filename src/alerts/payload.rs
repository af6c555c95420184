//! What a message says: the postings of one delivery rendered for each channel's format.
//!
//! Every format is built from one [`Message`]. Text from Upwork (titles, skills, countries) is
//! escaped for the markup of the format it goes into: Slack's mrkdwn (`&`, `<`, `>`; in a link
//! `<url|title>`, `|` cannot be escaped and becomes `/` in the title, `%7C` in the URL, whose
//! `>` is `%3E`), Discord's markdown (a backslash before each markup
//! character, and no mentions), Telegram's HTML (`&`, `<`, `>`, `"`), ntfy's plain text (control
//! characters only). Lengths stay within what each API accepts (Slack: 50 blocks, 3000
//! characters a section, 150 a header; Discord: 10 embeds, 256 a title, 4096 a description,
//! 6000 in all; Telegram: 4096; ntfy: 4096 bytes before it turns a message into an attachment).

use crate::config::WebhookFormat;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The version of the `json` format; a change that breaks a receiver bumps it.
pub const JSON_VERSION: u32 = 1;

/// A posting as an alert shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Posting {
    /// Upwork's id.
    pub id: String,
    /// The title (`null` once retention pruned it).
    pub title: Option<String>,
    /// The job page.
    pub url: String,
    /// `HOURLY` or `FIXED`.
    pub job_type: String,
    /// The currency of the amounts.
    pub currency: Option<String>,
    /// A fixed-price job's budget.
    pub fixed_budget: Option<f64>,
    /// An hourly job's lowest rate.
    pub hourly_min: Option<f64>,
    /// An hourly job's highest rate.
    pub hourly_max: Option<f64>,
    /// Skills, as Upwork names them.
    pub skills: Vec<String>,
    /// When Upwork published it.
    pub published_at: Option<DateTime<Utc>>,
    /// The client's country.
    pub client_country: Option<String>,
    /// Whether the client's payment method is verified.
    pub payment_verified: Option<bool>,
    /// The fit score when it was matched, 0 to 100.
    pub fit_score: Option<f64>,
    /// Its latest competition signals (`[signals]`), `null` when none were fetched.
    pub activity: Option<crate::activity::Activity>,
}

impl Posting {
    /// The title, or a stand-in once retention pruned it.
    pub fn title(&self) -> &str {
        self.title
            .as_deref()
            .unwrap_or("(title pruned by retention)")
    }

    /// `$40-75/h`, `$500 fixed`, or `budget not given`.
    pub fn pay(&self) -> String {
        let currency = match self.currency.as_deref() {
            None | Some("USD") => "$".to_string(),
            Some(other) => format!("{other} "),
        };
        let amount = |v: f64| {
            if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.2}")
            }
        };
        match (
            self.job_type.as_str(),
            self.fixed_budget,
            self.hourly_min,
            self.hourly_max,
        ) {
            ("FIXED", Some(budget), _, _) => format!("{currency}{} fixed", amount(budget)),
            (_, _, Some(lo), Some(hi)) if lo != hi => {
                format!("{currency}{}-{}/h", amount(lo), amount(hi))
            }
            (_, _, _, Some(rate)) | (_, _, Some(rate), None) => {
                format!("{currency}{}/h", amount(rate))
            }
            _ => "budget not given".to_string(),
        }
    }

    /// One line of facts: pay, fit, client, then the competition signals when there are some.
    fn facts(&self) -> String {
        let mut parts = vec![self.pay()];
        if let Some(score) = self.fit_score {
            parts.push(format!("fit {score:.0}"));
        }
        if let Some(country) = &self.client_country {
            parts.push(country.clone());
        }
        if self.payment_verified == Some(true) {
            parts.push("payment verified".into());
        }
        if let Some(activity) = &self.activity {
            parts.push(activity.summary(Utc::now()));
        }
        parts.join(" · ")
    }
}

/// One delivery: a rule's postings, best first, and the key a receiver deduplicates on.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The rule's name.
    pub rule: String,
    /// The idempotency key, the same on every attempt of this delivery.
    pub key: String,
    /// Whether this is a digest (several postings, or the flood guard's one message).
    pub digest: bool,
    /// The postings, best first.
    pub postings: Vec<Posting>,
}

impl Message {
    fn heading(&self) -> String {
        match self.postings.len() {
            1 if !self.digest => format!("New Upwork job ({})", self.rule),
            n => format!(
                "{n} new Upwork job{} ({})",
                if n == 1 { "" } else { "s" },
                self.rule
            ),
        }
    }
}

/// An HTTP request body with its content type and extra headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// The bytes to POST.
    pub bytes: Vec<u8>,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Headers the format needs besides `Idempotency-Key`.
    pub headers: Vec<(&'static str, String)>,
}

/// The `json` format, also what a `command` reads on stdin.
pub fn json(message: &Message, sent_at: DateTime<Utc>) -> Value {
    json!({
        "version": JSON_VERSION,
        "rule": message.rule,
        "idempotency_key": message.key,
        "digest": message.digest,
        "sent_at": sent_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "postings": message.postings,
    })
}

/// The body for a webhook of `format`.
pub fn render(
    format: WebhookFormat,
    message: &Message,
    chat_id: Option<&str>,
    sent_at: DateTime<Utc>,
) -> Body {
    let json_body = |value: Value| Body {
        bytes: value.to_string().into_bytes(),
        content_type: "application/json",
        headers: Vec::new(),
    };
    match format {
        WebhookFormat::Json => json_body(json(message, sent_at)),
        WebhookFormat::Slack => json_body(slack(message)),
        WebhookFormat::Discord => json_body(discord(message)),
        WebhookFormat::Telegram => json_body(telegram(message, chat_id.unwrap_or_default())),
        WebhookFormat::Ntfy => ntfy(message),
    }
}

/// What a channel carries: a body for each webhook format, the JSON a command reads on stdin,
/// and the idempotency key of both.
pub trait Payload {
    /// The idempotency key, the same on every attempt.
    fn key(&self) -> &str;
    /// The body for a webhook of `format`.
    fn body(&self, format: WebhookFormat, chat_id: Option<&str>, sent_at: DateTime<Utc>) -> Body;
    /// The `json` format.
    fn json(&self, sent_at: DateTime<Utc>) -> Value;
}

impl Payload for Message {
    fn key(&self) -> &str {
        &self.key
    }

    fn body(&self, format: WebhookFormat, chat_id: Option<&str>, sent_at: DateTime<Utc>) -> Body {
        render(format, self, chat_id, sent_at)
    }

    fn json(&self, sent_at: DateTime<Utc>) -> Value {
        json(self, sent_at)
    }
}

/// A health notice about the pipeline itself: a condition that started, or its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The condition: `sign_in`, `refresh_expiring`, `search_failing`, `rule_failing`,
    /// `budget`, `disk_space`, `database_held`.
    pub notice: String,
    /// What it is about: the search, the rule, `database` or `spool`; empty for the pipeline.
    pub subject: String,
    /// `open` (the condition started) or `resolved` (it cleared).
    pub state: String,
    /// One line for a person.
    pub title: String,
    /// What happened and what to do.
    pub text: String,
    /// When the condition started.
    pub opened_at: DateTime<Utc>,
    /// When it cleared, for `resolved`.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The idempotency key: one per condition occurrence, `:resolved` appended for its end.
    #[serde(rename = "idempotency_key")]
    pub key: String,
}

impl Payload for Notice {
    fn key(&self) -> &str {
        &self.key
    }

    fn body(&self, format: WebhookFormat, chat_id: Option<&str>, sent_at: DateTime<Utc>) -> Body {
        let json_body = |value: Value| Body {
            bytes: value.to_string().into_bytes(),
            content_type: "application/json",
            headers: Vec::new(),
        };
        match format {
            WebhookFormat::Json => json_body(self.json(sent_at)),
            WebhookFormat::Slack => json_body(json!({
                "text": truncate(&format!("*{}*\n{}", slack_escape(&self.title), slack_escape(&self.text)), 3000),
            })),
            WebhookFormat::Discord => json_body(json!({
                "content": truncate(&format!("**{}**\n{}", discord_escape(&self.title), discord_escape(&self.text)), 2000),
                "allowed_mentions": {"parse": []},
            })),
            WebhookFormat::Telegram => json_body(json!({
                "chat_id": chat_id.unwrap_or_default(),
                "text": truncate(&format!("<b>{}</b>\n{}", html_escape(&self.title), html_escape(&self.text)), 4000),
                "parse_mode": "HTML",
                "disable_web_page_preview": true,
            })),
            WebhookFormat::Ntfy => Body {
                bytes: truncate(&plain(&self.text), 3900).into_bytes(),
                content_type: "text/plain; charset=utf-8",
                headers: vec![
                    ("Title", ascii(&self.title)),
                    (
                        "Tags",
                        if self.state == "resolved" {
                            "white_check_mark".into()
                        } else {
                            "warning".into()
                        },
                    ),
                ],
            },
        }
    }

    fn json(&self, sent_at: DateTime<Utc>) -> Value {
        let mut value = json!({
            "version": JSON_VERSION,
            "kind": "notice",
            "sent_at": sent_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        });
        if let (Some(out), Ok(Value::Object(fields))) =
            (value.as_object_mut(), serde_json::to_value(self))
        {
            out.extend(fields);
        }
        value
    }
}

/// `text` for an HTTP header: printable ASCII, anything else a `?`.
fn ascii(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// Slack Block Kit: a header, then one section per posting; `text` is the notification's
/// fallback.
pub fn slack(message: &Message) -> Value {
    let mut blocks = vec![json!({
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(&message.heading(), 150), "emoji": false},
    })];
    for posting in message.postings.iter().take(45) {
        let title = slack_escape(posting.title()).replace('|', "/");
        let text = format!(
            "*<{}|{}>*\n{}",
            slack_link(&posting.url),
            truncate(&title, 1500),
            slack_escape(&posting.facts())
        );
        blocks.push(json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": truncate(&text, 3000)},
        }));
    }
    json!({
        "text": truncate(&slack_escape(&message.heading()), 3000),
        "blocks": blocks,
    })
}

/// Discord: one embed per posting (at most 10), no mentions parsed.
pub fn discord(message: &Message) -> Value {
    let budget_per_embed = 5500 / message.postings.len().clamp(1, 10);
    let embeds: Vec<Value> = message
        .postings
        .iter()
        .take(10)
        .map(|posting| {
            let title = truncate(
                &discord_escape(posting.title()),
                256.min(budget_per_embed / 2),
            );
            let description = truncate(
                &discord_escape(&posting.facts()),
                budget_per_embed
                    .saturating_sub(title.chars().count())
                    .max(1),
            );
            let mut embed = json!({
                "title": title,
                "url": posting.url,
                "description": description,
            });
            if let Some(published) = posting.published_at {
                embed["timestamp"] = json!(published.to_rfc3339_opts(SecondsFormat::Secs, true));
            }
            embed
        })
        .collect();
    json!({
        "content": truncate(&discord_escape(&message.heading()), 2000),
        "embeds": embeds,
        "allowed_mentions": {"parse": []},
    })
}

/// Telegram Bot API `sendMessage`, HTML parse mode.
pub fn telegram(message: &Message, chat_id: &str) -> Value {
    let mut text = format!("<b>{}</b>", html_escape(&message.heading()));
    for posting in &message.postings {
        let entry = format!(
            "\n\n<a href=\"{}\">{}</a>\n{}",
            html_escape(&posting.url),
            html_escape(&truncate(posting.title(), 300)),
            html_escape(&posting.facts())
        );
        // Whole entries only: a cut inside a tag would make Telegram refuse the message.
        if text.chars().count() + entry.chars().count() > 4000 {
            text.push_str("\n\n…");
            break;
        }
        text.push_str(&entry);
    }
    json!({
        "chat_id": chat_id,
        "text": text,
        "parse_mode": "HTML",
        "disable_web_page_preview": true,
    })
}

/// ntfy: a plain-text body, with the heading and the first posting's link as headers (ASCII,
/// as headers must be: the rule name is, and so is a job URL).
pub fn ntfy(message: &Message) -> Body {
    let mut text = String::new();
    for posting in &message.postings {
        let entry = format!(
            "{}\n{}\n{}\n\n",
            plain(posting.title()),
            plain(&posting.facts()),
            posting.url
        );
        if text.len() + entry.len() > 3900 {
            text.push('…');
            break;
        }
        text.push_str(&entry);
    }
    let mut headers = vec![("Title", message.heading()), ("Tags", "briefcase".into())];
    if let Some(first) = message.postings.first() {
        headers.push(("Click", first.url.clone()));
    }
    Body {
        bytes: text.trim_end().as_bytes().to_vec(),
        content_type: "text/plain; charset=utf-8",
        headers,
    }
}

/// A URL inside Slack's `<url|title>`: escaped like text, and with `|` (which would end the URL)
/// and `>` percent-encoded, which a browser reads as the same URL.
pub fn slack_link(url: &str) -> String {
    slack_escape(
        &url.replace('|', "%7C")
            .replace('>', "%3E")
            .replace('<', "%3C"),
    )
}

/// Slack's mrkdwn escapes only these three.
pub fn slack_escape(text: &str) -> String {
    plain(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Discord markdown: a backslash before every markup character; `@` gets a zero-width joiner so
/// no mention can form even where `allowed_mentions` is ignored.
pub fn discord_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in plain(text).chars() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '[' | ']' | '#' | '-' => {
                out.push('\\');
                out.push(c);
            }
            '@' => out.push_str("@\u{200b}"),
            other => out.push(other),
        }
    }
    out
}

/// Telegram's HTML parse mode.
pub fn html_escape(text: &str) -> String {
    plain(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Control characters (but line breaks) become spaces.
fn plain(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
}

/// At most `max` characters, with `…` when cut.
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_escapes_its_own_markup() {
        assert_eq!(slack_escape("a<b>&c"), "a&lt;b&gt;&amp;c");
        assert_eq!(
            slack_link("https://x.test/a|b>c<d?e=1&f=2"),
            "https://x.test/a%7Cb%3Ec%3Cd?e=1&amp;f=2"
        );
        assert_eq!(
            discord_escape("**x** @everyone"),
            "\\*\\*x\\*\\* @\u{200b}everyone"
        );
        assert_eq!(html_escape("<b>\"&"), "&lt;b&gt;&quot;&amp;");
        assert_eq!(plain("a\u{7}b\nc"), "a b\nc");
    }

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate("héllo", 5), "héllo");
        assert_eq!(truncate("héllo", 3), "hé…");
    }

    #[test]
    fn a_notice_is_escaped_for_each_format_and_carries_its_key() {
        let notice = Notice {
            notice: "search_failing".into(),
            subject: "a".into(),
            state: "open".into(),
            title: "search <a> & *b* failed".into(),
            text: "the last error: \"x\" @everyone".into(),
            opened_at: Utc::now(),
            resolved_at: None,
            key: "upjobpilot:notice:search_failing:a:1".into(),
        };
        let now = Utc::now();
        let text =
            |format| String::from_utf8(notice.body(format, Some("42"), now).bytes).expect("utf-8");
        let json: Value = serde_json::from_str(&text(WebhookFormat::Json)).expect("json");
        assert_eq!(json["kind"], "notice");
        assert_eq!(json["idempotency_key"], notice.key.as_str());
        assert_eq!(json["version"], JSON_VERSION);
        assert!(text(WebhookFormat::Slack).contains("&lt;a&gt; &amp;"));
        assert!(text(WebhookFormat::Discord).contains("\\\\*b\\\\*"));
        assert!(text(WebhookFormat::Discord).contains("@\u{200b}everyone"));
        let telegram: Value = serde_json::from_str(&text(WebhookFormat::Telegram)).expect("json");
        assert_eq!(telegram["chat_id"], "42");
        assert!(
            telegram["text"]
                .as_str()
                .expect("text")
                .contains("&quot;x&quot;")
        );
        let ntfy = notice.body(WebhookFormat::Ntfy, None, now);
        assert!(ntfy.headers.contains(&("Tags", "warning".to_string())));
        assert_eq!(notice.json(now), json);
    }
}
