//! End-to-end tests of the web console of `holdpoint serve` in a real headless Chromium,
//! driven through chromedriver: what a human signing in and answering sees and does.

use std::time::Duration;

use serde_json::{Value, json};

use crate::http;
use crate::setup::{SECRET, Served, Setup};
use crate::webdriver::{Browser, PATIENCE};

/// The target a human must type to approve the destroy below.
const TARGET: &str = "/srv/data";

fn destroy() -> Value {
    json!({"surface": "shell", "input": "rm -rf /srv/data", "cwd": "/tmp", "session": "s1"})
}

/// An agent proposes `action` through the API; returns the answer.
fn propose(served: &Served, token: &str, action: &Value) -> Value {
    let reply = http::json(&served.address, "POST", "/api/v1/decide", token, action);
    assert_eq!(
        reply.status,
        200,
        "decide answered {}: {}\nserver log:\n{}",
        reply.status,
        reply.body,
        served.log()
    );
    reply.json()
}

/// Signs in at the console's form and waits for the queue.
fn sign_in(browser: &Browser, served: &Served, name: &str) {
    browser.go(&served.url("/login"));
    browser.type_into("#name", name);
    browser.type_into("#secret", SECRET);
    browser.click("#sign-in");
    browser.wait_until("the queue page after signing in", PATIENCE, || {
        browser.path() == "/" && browser.find("#queue").is_some()
    });
}

/// The texts of the rows of the table `css`.
fn rows(browser: &Browser, css: &str) -> Vec<String> {
    browser
        .find_all(&format!("{css} tbody tr"))
        .iter()
        .map(|row| browser.text(row))
        .collect()
}

#[test]
fn console_sign_in_see_request_appear_approve_and_see_the_ledger_entry() {
    let setup = Setup::new("browser-approve");
    setup.add_human("alice", None);
    let token = setup.add_agent("bot");
    let served = setup.serve();
    let browser = Browser::start(&setup.scratch.0);

    sign_in(&browser, &served, "alice");
    let empty = browser.text_of("#queue #empty");
    assert!(
        empty.contains("No actions are waiting"),
        "the empty queue should say so; it says: {empty}"
    );

    // The page stays open: the request must reach it through the live refresh alone.
    let held = propose(&served, &token, &destroy());
    assert_eq!(held["outcome"], "ask", "the destroy should be held: {held}");
    let approval = &held["approval"];
    let id = approval["id"].as_str().unwrap().to_owned();
    let row = format!(r#"#queue tr.request[data-id="{id}"]"#);
    browser.wait_until(
        &format!("the live queue to show request {id}"),
        Duration::from_secs(15),
        || browser.find(&row).is_some(),
    );
    assert_eq!(browser.path(), "/", "the queue page was left or reloaded");
    let shown = browser.text_of(&row);
    assert!(
        shown.contains("rm -rf /srv/data") && shown.contains("production"),
        "the queue row should show the action and its environment; it shows: {shown}"
    );
    assert!(
        browser.find("#queue #empty").is_none(),
        "the queue still says it is empty beside the request:\n{}",
        browser.source()
    );
    let picture = browser.screenshot("console-queue.png");
    assert!(std::fs::metadata(&picture).unwrap().len() > 1000);
    // The README's picture of the console is this one, kept when asked for:
    // HOLDPOINT_SCREENSHOTS=docs cargo test -p holdpoint --test it browser
    if let Some(dir) = std::env::var_os("HOLDPOINT_SCREENSHOTS") {
        std::fs::copy(
            &picture,
            std::path::Path::new(&dir).join("console-queue.png"),
        )
        .unwrap();
    }

    let detail = format!("/approvals/{id}");
    let href = browser.attribute_of(&format!("{row} a"), "href");
    assert_eq!(href.as_deref(), Some(detail.as_str()), "the row's link");
    browser.click(&format!("{row} a"));
    browser.wait_until(&format!("the page of {id}"), PATIENCE, || {
        browser.path() == detail && browser.find("#action").is_some()
    });
    assert_eq!(browser.text_of("#action"), "rm -rf /srv/data");
    let effects = browser.text_of("#effects");
    let expected: Vec<&str> = approval["effects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        !expected.is_empty(),
        "the request names no effects: {approval}"
    );
    for effect in &expected {
        assert!(
            effects.contains(effect),
            "the page should show the effect `{effect}`; it shows: {effects}"
        );
    }
    let quorum = browser.text_of("#quorum");
    assert_eq!(quorum, "0 of 1 needed");

    // The label names the target to type; it is the one the request demands.
    let asked = browser.text_of("label:has(#confirm) code");
    assert_eq!(asked, TARGET, "the confirm label names another target");
    browser.type_into("#confirm", TARGET);
    browser.type_into("#approve-reason", "cleanup ticket 42");
    // The cookie alone does not approve: the secret is given again.
    browser.type_into("#approve-secret", SECRET);
    browser.click("#approve");
    browser.wait_until("the request to show as approved", PATIENCE, || {
        browser.path() == detail && browser.find(".pill.s-approved").is_some()
    });
    let answered = browser.text_of("main");
    assert!(
        answered.contains("This request is approved") && browser.find("#approve").is_none(),
        "the approved request should no longer offer to answer; it shows:\n{answered}"
    );
    assert_eq!(browser.text_of("#quorum"), "1 of 1 needed");

    browser.go(&served.url("/ledger"));
    let records = rows(&browser, "#ledger");
    assert!(
        records
            .iter()
            .any(|r| r.contains("approval_given") && r.contains("human alice") && r.contains(&id)),
        "the ledger page should show alice's approval of {id}; its rows:\n{}",
        records.join("\n")
    );
    browser.click("#verify");
    let verified = browser.text_of("#verified");
    assert!(
        verified.starts_with("Ledger verified:"),
        "the ledger should verify; the page says: {verified}"
    );

    // The agent's identical retry is now let through, once.
    let retry = propose(&served, &token, &destroy());
    assert_eq!(
        retry["outcome"], "allow",
        "the retry after approval: {retry}"
    );
    let records = setup.records();
    let given = records
        .iter()
        .find(|r| r["kind"] == "approval_given")
        .unwrap_or_else(|| panic!("no approval_given record in {records:#?}"));
    assert_eq!(given["actors"]["human"], "alice", "{given}");
    assert_eq!(given["body"]["proof"], "secret", "{given}");
    assert!(
        records.iter().any(|r| r["kind"] == "approval_used"),
        "no approval_used record in {records:#?}"
    );
}

#[test]
fn console_refuses_a_wrong_secret() {
    let setup = Setup::new("browser-wrong-secret");
    setup.add_human("alice", None);
    let served = setup.serve();
    let browser = Browser::start(&setup.scratch.0);

    browser.go(&served.url("/login"));
    browser.type_into("#name", "alice");
    browser.type_into("#secret", "incorrect horse battery");
    browser.click("#sign-in");
    let error = browser.text_of("#error");
    assert_eq!(error, "wrong name or secret");
    assert!(
        browser.path().starts_with("/login"),
        "a wrong secret should stay at the sign-in form, not go to {}",
        browser.url()
    );
    assert!(browser.find("#secret").is_some(), "the form is shown again");

    // No sign-in was made: the queue sends the browser back to the form.
    browser.go(&served.url("/"));
    browser.wait_until("the redirect to the sign-in page", PATIENCE, || {
        browser.find("#sign-in").is_some()
    });
    let path = browser.path();
    assert!(
        path.starts_with("/login"),
        "the queue should redirect to /login without a sign-in; the browser is at {path}"
    );
    assert!(
        browser.find("#queue").is_none(),
        "the queue was shown without a sign-in"
    );
}

#[test]
fn console_shows_markup_in_a_proposed_action_as_text() {
    let setup = Setup::new("browser-injection");
    setup.add_human("alice", None);
    let token = setup.add_agent("bot");
    let served = setup.serve();
    let browser = Browser::start(&setup.scratch.0);
    sign_in(&browser, &served, "alice");

    let markup =
        r#"<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>"#;
    let input = format!("rm -rf /srv/data # {markup}");
    let action = json!({"surface": "shell", "input": input, "cwd": "/tmp", "session": "s1"});
    let held = propose(&served, &token, &action);
    assert_eq!(held["outcome"], "ask", "the destroy should be held: {held}");
    let id = held["approval"]["id"].as_str().unwrap().to_owned();

    // The live queue puts the server's fragment in with innerHTML: markup there would run.
    let row = format!(r#"#queue tr.request[data-id="{id}"]"#);
    browser.wait_until(
        &format!("the live queue to show request {id}"),
        Duration::from_secs(15),
        || browser.find(&row).is_some(),
    );
    let shown = browser.text_of(&format!("{row} td.action"));
    assert!(
        shown.contains(markup),
        "the queue should show the markup as text; it shows: {shown}"
    );
    assert!(
        browser.find("#queue img, #queue script").is_none(),
        "the proposed markup became elements of the queue:\n{}",
        browser.source()
    );

    browser.go(&served.url(&format!("/approvals/{id}")));
    assert_eq!(browser.text_of("#action"), input);
    assert!(
        browser
            .find("#action img, #action script, main img")
            .is_none(),
        "the proposed markup became elements of the page:\n{}",
        browser.source()
    );
    // Give a handler that slipped through the time to run before looking.
    std::thread::sleep(Duration::from_millis(500));
    let title = browser.title();
    assert_ne!(title, "pwned", "the proposed markup ran as script");
    assert!(title.starts_with("Request "), "the page's title: {title}");
}
