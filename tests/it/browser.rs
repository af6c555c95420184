//! The dashboard in a real browser, as a person uses it: headless Chromium driven through
//! WebDriver (Debian's `chromium` and `chromium-driver`; `.ci/run` installs them). Open the list
//! over a database made by a sandbox sync, filter, move with j/k and label by key, open a
//! posting, label it by click, reload and see the label kept, see the best postings' competition
//! signals in the list and on a posting's page, export and find both labels in
//! `my_postings.csv`; and Upwork text holding `<script>`, `onerror` and `javascript:` runs
//! nothing. Screenshots of the pages go to `$CARGO_TARGET_TMPDIR/screenshots` (or
//! `UPJOBPILOT_SCREENSHOTS`).
//!
//! Without a chromedriver the test says so and passes, except in CI (`CI=true`), where it fails.

use crate::support::harness;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder, Locator};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use upjobpilot::serve::Server;

const SEARCHES: &str = crate::support::RUST_SEARCH;

/// A chromedriver of ours on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The chromedriver, or `None` (outside CI) when it is not installed.
fn driver() -> Option<Driver> {
    let path = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    let Some(path) = path else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "chromedriver is missing: install Debian's chromium and chromium-driver (.ci/run does)"
        );
        eprintln!("no chromedriver: the browser test needs Debian's chromium and chromium-driver");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver listens");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    })
}

async fn browser(driver: &Driver) -> Client {
    let mut capabilities = serde_json::Map::new();
    let mut args = vec![
        "--headless=new",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ];
    // Chromium refuses to run as root with its sandbox (CI containers run as root).
    if unsafe { libc::geteuid() } == 0 {
        args.push("--no-sandbox");
    }
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "args": args, "binary": "/usr/bin/chromium" }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

fn screenshots_dir() -> PathBuf {
    let dir = std::env::var_os("UPJOBPILOT_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots"));
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    dir
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    let path = screenshots_dir().join(format!("{name}.png"));
    std::fs::write(&path, png).expect("write screenshot");
    eprintln!("screenshot: {}", path.display());
}

async fn press(client: &Client, key: char) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    client.perform_actions(keys).await.expect("key");
}

/// Polls the page until `check` holds (the page's script answers asynchronously).
async fn until(client: &Client, what: &str, script: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let value = client.execute(script, Vec::new()).await.expect("script");
        if value == serde_json::Value::Bool(true) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: {script}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[test]
fn a_person_filters_labels_by_key_and_click_and_finds_the_labels_exported() {
    let Some(driver) = driver() else {
        return;
    };
    let started = Instant::now();
    let h = harness(41, SEARCHES);
    let hostile = h
        .matching_since("rust", chrono::Utc::now() - chrono::Duration::hours(12))
        .into_iter()
        .next()
        .expect("a recent matching posting");
    assert!(h.sandbox.with_market(|m| m.edit(&hostile, |p| {
        p.title = "Rust <script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">".into();
        p.description = "Rust work <a id=\"bad\" href=\"javascript:document.title='pwned'\">click</a>".into();
    })));
    h.sync();
    let server = Server::bind(h.config.clone(), 0).expect("bind").spawn();
    let base = server.url().trim_end_matches('/').to_string();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // The session is closed whatever the steps do: a failed assertion must not leave a
    // browser running (chromedriver does not stop the browsers it started when killed).
    let (by_key, by_click) = runtime.block_on(async {
        let client = browser(&driver).await;
        let steps = tokio::spawn(steps(client.clone(), base.clone(), hostile.clone())).await;
        let _ = client.close().await;
        steps.unwrap_or_else(|failed| std::panic::resume_unwind(failed.into_panic()))
    });
    drop(server);

    // Exported with the next sync: my_postings holds both, with the note.
    h.sync();
    let mut reader =
        csv::Reader::from_path(h.config.export_dir().join("my_postings.csv")).expect("csv");
    let headers = reader.headers().expect("header").clone();
    let column = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let (id, label, note) = (column("id"), column("label"), column("note"));
    let rows: Vec<(String, String, String)> = reader
        .records()
        .map(|r| {
            let r = r.expect("row");
            (r[id].to_string(), r[label].to_string(), r[note].to_string())
        })
        .collect();
    assert!(
        rows.contains(&(by_key, "saved".into(), String::new())),
        "{rows:?}"
    );
    assert!(
        rows.contains(&(by_click, "applied".into(), "sent a proposal".into())),
        "{rows:?}"
    );
    eprintln!("browser test: {:.1} s", started.elapsed().as_secs_f64());
}

/// What a person does, step by step; returns the postings labelled by key and by click.
async fn steps(client: Client, base: String, hostile: String) -> (String, String) {
    client.goto(&base).await.expect("open the dashboard");
    client
        .wait()
        .for_element(Locator::Css("table.postings tbody tr"))
        .await
        .expect("postings listed");
    screenshot(&client, "postings").await;

    // Filter through the form: the filter lands in the URL.
    let text = client.find(Locator::Css("input[name=q]")).await.expect("q");
    text.send_keys("rust").await.expect("type");
    client
        .find(Locator::Css("form.filters button[type=submit]"))
        .await
        .expect("button")
        .click()
        .await
        .expect("submit");
    until(
        &client,
        "filtered",
        "return location.search.includes('q=rust');",
    )
    .await;
    let rows = client
        .find_all(Locator::Css("table.postings tbody tr"))
        .await
        .expect("rows");
    assert!(!rows.is_empty(), "rust postings are listed");
    screenshot(&client, "postings-filtered").await;

    // j moves to the second posting, s labels it saved.
    press(&client, 'j').await;
    until(
        &client,
        "the second row is current",
        "return document.querySelectorAll('tbody tr')[1].classList.contains('current');",
    )
    .await;
    let by_key = rows[1].attr("data-id").await.expect("attr").expect("id");
    press(&client, 's').await;
    until(
        &client,
        "labelled by key",
        "return document.querySelectorAll('tbody tr')[1].querySelector('td.label').textContent.trim() === 'saved';",
    )
    .await;

    // Open the third posting and label it by click.
    let link = rows[2].find(Locator::Css("a")).await.expect("link");
    let by_click = rows[2].attr("data-id").await.expect("attr").expect("id");
    link.click().await.expect("open");
    client
        .wait()
        .for_element(Locator::Css("form.label-form"))
        .await
        .expect("posting page");
    client
        .find(Locator::Css("input[name=label][value=applied]"))
        .await
        .expect("radio")
        .click()
        .await
        .expect("choose");
    client
        .find(Locator::Css("textarea[name=note]"))
        .await
        .expect("note")
        .send_keys("sent a proposal")
        .await
        .expect("type");
    client
        .find(Locator::Css("form.label-form button[type=submit]"))
        .await
        .expect("save")
        .click()
        .await
        .expect("submit");
    until(
        &client,
        "saved by the form",
        "return location.pathname.startsWith('/postings/') && document.querySelector('form.label-form') !== null;",
    )
    .await;
    client.refresh().await.expect("reload");
    let applied = client
        .wait()
        .for_element(Locator::Css("input[name=label][value=applied]"))
        .await
        .expect("radio");
    assert!(
        applied.is_selected().await.expect("checked"),
        "kept after reload"
    );
    screenshot(&client, "posting").await;

    // The list, reloaded, still shows the key's label.
    client
        .goto(&format!("{base}/?label=saved"))
        .await
        .expect("list");
    let saved = client
        .find_all(Locator::Css("table.postings tbody tr"))
        .await
        .expect("rows");
    assert_eq!(saved.len(), 1);
    assert_eq!(
        saved[0].attr("data-id").await.expect("attr"),
        Some(by_key.clone())
    );

    // The best postings by fit carry their competition signals in the list, and their page
    // shows how interest grew (the sync fetched the signals of its 20 best new postings).
    client
        .goto(&format!("{base}/?sort=fit"))
        .await
        .expect("list by fit");
    let signals = client
        .find(Locator::Css("table.postings tbody tr td div.signals"))
        .await
        .expect("a row with signals");
    let line = signals.text().await.expect("text");
    assert!(
        line.contains("interviewing ") && line.contains("client active "),
        "{line}"
    );
    client
        .find(Locator::Css("table.postings tbody tr a"))
        .await
        .expect("the best posting")
        .click()
        .await
        .expect("open");
    let table = client
        .wait()
        .for_element(Locator::Css("section.signals table tbody tr"))
        .await
        .expect("the signals' table");
    assert!(table.text().await.expect("text").contains("ACTIVE"));
    screenshot(&client, "signals").await;

    // Upwork's markup stays text: nothing ran, no element came from it.
    client
        .goto(&format!("{base}/postings/{hostile}"))
        .await
        .expect("hostile posting");
    let title = client.find(Locator::Css("h1")).await.expect("h1");
    assert!(
        title.text().await.expect("text").contains("<script>"),
        "shown as text"
    );
    until(
        &client,
        "nothing ran",
        "return document.title !== 'pwned' && document.querySelectorAll('main img, #bad, script:not([src])').length === 0;",
    )
    .await;
    screenshot(&client, "escaped").await;
    client
        .goto(&format!("{base}/?label=any&q=script"))
        .await
        .expect("list");
    until(
        &client,
        "nothing ran in the list",
        "return document.title !== 'pwned' && document.querySelectorAll('main img').length === 0;",
    )
    .await;

    client
        .goto(&format!("{base}/charts"))
        .await
        .expect("charts");
    client
        .wait()
        .for_element(Locator::Css("svg polyline"))
        .await
        .expect("a chart");
    screenshot(&client, "charts").await;
    client.goto(&format!("{base}/runs")).await.expect("runs");
    screenshot(&client, "runs").await;
    (by_key, by_click)
}
