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

/// The texts of the rows of the table `css`, read at once in the page (so a page that
/// reloads meanwhile gives the rows of one or the other, or none, never a stale element).
fn rows(browser: &Browser, css: &str) -> Vec<String> {
    let texts = browser.try_run_async(
        "const [css, done] = arguments; done([...document.querySelectorAll(css + ' tbody tr')].map((r) => r.innerText));",
        json!([css]),
    );
    texts
        .unwrap_or_default()
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
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
        // Its code spans are shown as code, without the backticks.
        let shown = effect.replace('`', "");
        assert!(
            effects.contains(&shown),
            "the page should show the effect `{effect}`; it shows: {effects}"
        );
    }
    assert_eq!(browser.text_of("#effects code"), "rm");
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

/// In the page, asks the server for a passkey challenge to approve `request` and the
/// browser's authenticator for the assertion; passes `{ceremony, credential}` or
/// `{error}` on. With `downgrade`, the page asks the authenticator not to verify its user,
/// as a page an agent wrote could.
const ASSERT_FOR: &str = r"
const [request, downgrade, done] = arguments;
const csrf = document.querySelector('input[name=csrf]').value;
const bytes = (t) => Uint8Array.from(atob(t.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)).buffer;
const text = (b) => b ? btoa(String.fromCharCode(...new Uint8Array(b))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') : null;
fetch('/api/v1/step-up', { method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
    body: JSON.stringify({ for: 'approve', request }) })
  .then((r) => r.json())
  .then((challenge) => {
    if (!challenge.options) { throw new Error(JSON.stringify(challenge)); }
    const options = challenge.options.publicKey;
    options.challenge = bytes(options.challenge);
    (options.allowCredentials || []).forEach((c) => { c.id = bytes(c.id); });
    options.timeout = 5000;
    if (downgrade) { options.userVerification = 'discouraged'; }
    return navigator.credentials.get({ publicKey: options }).then((cred) => done({
      ceremony: challenge.ceremony,
      credential: { id: cred.id, rawId: text(cred.rawId), type: cred.type, extensions: {},
        response: { authenticatorData: text(cred.response.authenticatorData),
          clientDataJSON: text(cred.response.clientDataJSON),
          signature: text(cred.response.signature), userHandle: text(cred.response.userHandle) } } }));
  })
  .catch((e) => done({ error: String(e) }));
";

/// A human who has a passkey approves with it; nothing else approves for them: not the
/// cookie or a token alone, not their secret, not an assertion for another request, a
/// replayed one, or one without user verification, and not a browser an agent drives
/// whose authenticator nobody touches.
#[test]
fn a_passkey_approves_and_a_cookie_secret_replay_or_untouched_authenticator_does_not() {
    let setup = Setup::new("browser-passkey");
    setup.add_human("alice", None);
    let token = setup.add_agent("bot");
    let served = setup.serve();
    // A passkey's relying party is a name, not an IP address: the console at localhost.
    let at = |path: &str| served.url(path).replace("127.0.0.1", "localhost");
    let held: Vec<String> = (1..=4)
        .map(|n| {
            let action =
                json!({"surface": "shell", "input": format!("rm -rf /srv/data{n}"), "cwd": "/tmp"});
            let answer = propose(&served, &token, &action);
            assert_eq!(answer["outcome"], "ask", "{answer}");
            answer["approval"]["id"].as_str().unwrap().to_owned()
        })
        .collect();
    let browser = Browser::start(&setup.scratch.0);
    let authenticator = browser.add_authenticator(true, true);
    browser.go(&at("/login"));
    browser.type_into("#name", "alice");
    browser.type_into("#secret", SECRET);
    browser.click("#sign-in");
    browser.wait_until("the queue after signing in", PATIENCE, || {
        browser.find("#queue").is_some()
    });

    // Registering: the secret again, then the authenticator makes a passkey.
    browser.go(&at("/passkeys"));
    browser.type_into("#passkey-name", "laptop");
    browser.type_into("#passkey-secret", SECRET);
    browser.click("#add");
    browser.wait_until("the passkey to be listed", PATIENCE, || {
        rows(&browser, "#passkeys")
            .iter()
            .any(|r| r.contains("laptop"))
    });
    assert_eq!(browser.authenticator_credentials(&authenticator).len(), 1);
    let added = setup
        .records()
        .into_iter()
        .find(|r| r["kind"] == "passkey_added")
        .expect("no passkey_added record");
    assert_eq!(added["actors"]["human"], "alice", "{added}");
    assert_eq!(added["body"]["name"], "laptop", "{added}");

    // Signing in again with the passkey instead of the secret.
    browser.clear_cookies();
    browser.go(&at("/login"));
    browser.type_into("#name", "alice");
    browser.click("#passkey-sign-in");
    browser.wait_until(
        "the queue after signing in with the passkey",
        PATIENCE,
        || browser.find("#queue").is_some(),
    );

    // Approving in the console: no secret is asked; the passkey is.
    let first = &held[0];
    browser.go(&at(&format!("/approvals/{first}")));
    assert!(
        browser.find("#approve-secret").is_none(),
        "the secret is still asked"
    );
    browser.type_into("#confirm", "/srv/data1");
    browser.click("#approve");
    browser.wait_until("the request to show as approved", PATIENCE, || {
        browser.find(".pill.s-approved").is_some()
    });
    let given: Vec<Value> = setup
        .records()
        .into_iter()
        .filter(|r| r["kind"] == "approval_given")
        .collect();
    assert_eq!(given.len(), 1, "{given:#?}");
    assert_eq!(given[0]["body"]["proof"], "passkey", "{}", given[0]);
    assert_eq!(given[0]["approval"], first.as_str(), "{}", given[0]);

    // Issuing a grant and ending a freeze in the console take the passkey too; through
    // the API, her secret no longer does.
    let alice = http::sign_in(&served.address, "alice", SECRET);
    browser.go(&at("/grants"));
    assert!(
        browser.find("#grant-secret").is_none(),
        "the secret is still asked"
    );
    browser.type_into("input[name=agent]", "bot");
    browser.type_into("input[name=task]", "rotate logs");
    browser.type_into("input[name=targets]", "shell:*@staging");
    browser.click("#grant");
    browser.wait_until("the grant to be listed", PATIENCE, || {
        rows(&browser, "#grants")
            .iter()
            .any(|r| r.contains("rotate logs"))
    });
    let grant =
        json!({"agent": "bot", "task": "more", "targets": ["shell:*@staging"], "secret": SECRET});
    let refused = http::json(&served.address, "POST", "/api/v1/grants", &alice, &grant);
    assert_eq!(refused.status, 403, "{}", refused.body);
    let freeze = json!({"environment": "staging", "reason": "release"});
    let started = http::json(&served.address, "POST", "/api/v1/freezes", &alice, &freeze).json();
    let freeze_id = started["id"].as_str().unwrap().to_owned();
    let refused = http::json(
        &served.address,
        "POST",
        &format!("/api/v1/freezes/{freeze_id}/end"),
        &alice,
        &json!({"secret": SECRET}),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    browser.go(&at("/freezes"));
    browser.click(&format!("#end-{freeze_id}"));
    browser.wait_until("the freeze to end", PATIENCE, || {
        browser.find(&format!("#end-{freeze_id}")).is_none()
    });
    let kinds: Vec<String> = setup
        .records()
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_owned())
        .collect();
    for kind in ["grant_issued", "freeze_ended"] {
        assert_eq!(
            kinds.iter().filter(|k| *k == kind).count(),
            1,
            "{kind}: {kinds:?}"
        );
    }

    // The API with alice's own token: the secret no longer approves for her, nor does
    // nothing at all.
    let approve = |id: &str, body: Value| {
        http::json(
            &served.address,
            "POST",
            &format!("/api/v1/approvals/{id}/approve"),
            &alice,
            &body,
        )
    };
    let (second, third) = (&held[1], &held[2]);
    for body in [
        json!({"confirm": "/srv/data2", "secret": SECRET}),
        json!({"confirm": "/srv/data2"}),
    ] {
        let refused = approve(second, body.clone());
        assert_eq!(refused.status, 403, "{body}: {}", refused.body);
        assert!(
            refused.body.contains("you have a passkey"),
            "{}",
            refused.body
        );
    }
    // An assertion made for another request.
    browser.go(&at(&format!("/approvals/{third}")));
    let for_third = browser.run_async(ASSERT_FOR, json!([third, false]));
    assert!(for_third["ceremony"].is_string(), "{for_third}");
    let refused = approve(
        second,
        json!({"confirm": "/srv/data2", "passkey": for_third}),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused
            .body
            .contains(&format!("made for approving request {third}")),
        "{}",
        refused.body
    );
    // A replayed one: the first use fails on the typed name, after the proof was taken.
    let for_second = browser.run_async(ASSERT_FOR, json!([second, false]));
    let wrong_name = approve(
        second,
        json!({"confirm": "/srv/data", "passkey": for_second}),
    );
    assert_eq!(wrong_name.status, 409, "{}", wrong_name.body);
    let replayed = approve(
        second,
        json!({"confirm": "/srv/data2", "passkey": for_second}),
    );
    assert_eq!(replayed.status, 403, "{}", replayed.body);
    assert!(
        replayed.body.contains("unknown, used, expired"),
        "{}",
        replayed.body
    );
    // One made without user verification, the page having asked for none.
    browser.set_user_verified(&authenticator, false);
    let unverified = browser.run_async(ASSERT_FOR, json!([second, true]));
    assert!(unverified["ceremony"].is_string(), "{unverified}");
    let refused = approve(
        second,
        json!({"confirm": "/srv/data2", "passkey": unverified}),
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        refused.body.contains("did not prove it is you"),
        "{}",
        refused.body
    );

    // A page script that posts the console's own form past the passkey step, with only
    // the cookie and the form's CSRF token, as an agent driving the browser could.
    let fourth = &held[3];
    browser.go(&at(&format!("/approvals/{fourth}")));
    browser.type_into("#confirm", "/srv/data4");
    browser.run_async(
        "document.querySelector('form.approve-form').submit(); arguments[0](null);",
        json!([]),
    );
    browser.wait_until(
        "the refusal of the form sent without a passkey",
        PATIENCE,
        || browser.source().contains("you have a passkey"),
    );

    // A browser an agent drives: signed in, the passkey in its authenticator, but nobody
    // touches it. Pressing Approve leaves the request pending.
    let credentials = browser.authenticator_credentials(&authenticator);
    browser.remove_authenticator(&authenticator);
    let untouched = browser.add_authenticator(true, false);
    for credential in &credentials {
        browser.add_credential(&untouched, credential);
    }
    browser.go(&at(&format!("/approvals/{fourth}")));
    browser.type_into("#confirm", "/srv/data4");
    browser.click("#approve");
    std::thread::sleep(Duration::from_secs(3));
    for id in [second, third, fourth] {
        let request = http::json(
            &served.address,
            "GET",
            &format!("/api/v1/approvals/{id}"),
            &alice,
            &json!(null),
        )
        .json();
        assert_eq!(request["state"], "pending", "{request}");
        assert_eq!(request["votes"], json!([]), "{request}");
    }
    let given = setup
        .records()
        .into_iter()
        .filter(|r| r["kind"] == "approval_given")
        .count();
    assert_eq!(given, 1, "only the passkey's approval is in the ledger");
}

/// A held edit's page shows the lines it removes and adds, marked, with whitespace made
/// visible; a long write shows its first lines and folds the rest one click away.
#[test]
fn a_held_write_shows_its_text_and_an_edit_its_lines() {
    let setup = Setup::new("browser-shown");
    setup.add_human("alice", None);
    let token = setup.add_agent("bot");
    let served = setup.serve();
    let edit = json!({"surface": "file", "input": "edit /etc/nginx/nginx.conf", "cwd": "/tmp",
        "written": {"file_path": "/etc/nginx/nginx.conf", "old_string": "listen 80;",
                    "new_string": "listen\t8080;  \nserver_tokens off;"}});
    let held = propose(&served, &token, &edit);
    let edit_id = held["approval"]["id"].as_str().unwrap().to_owned();
    let long: String = (1..=100).map(|n| format!("line {n}\n")).collect();
    let write = json!({"surface": "file", "input": "write /etc/motd", "cwd": "/tmp",
        "written": {"file_path": "/etc/motd", "content": long}});
    let held = propose(&served, &token, &write);
    let write_id = held["approval"]["id"].as_str().unwrap().to_owned();
    let browser = Browser::start(&setup.scratch.0);
    sign_in(&browser, &served, "alice");

    browser.go(&served.url(&format!("/approvals/{edit_id}")));
    assert_eq!(
        browser.text_of("#shown-head"),
        "edits /etc/nginx/nginx.conf in 1 place:"
    );
    let removed: Vec<String> = browser
        .find_all("#shown .removed")
        .iter()
        .map(|e| browser.text(e))
        .collect();
    let added: Vec<String> = browser
        .find_all("#shown .added")
        .iter()
        .map(|e| browser.text(e))
        .collect();
    assert_eq!(removed, ["-listen 80;"]);
    assert_eq!(added, ["+listen⇥8080;␣␣", "+server_tokens off;"]);

    browser.go(&served.url(&format!("/approvals/{write_id}")));
    let first = browser.text_of("#shown");
    assert!(
        first.starts_with("line 1\n") && first.contains("line 60"),
        "{first}"
    );
    assert!(!first.contains("line 61"), "{first}");
    assert_eq!(browser.text_of("details summary"), "40 more lines");
}

/// In the page: how much wider than the window the page is, and the elements that
/// stick out past its right edge (the innermost first).
const OVERFLOW: &str = r"
const done = arguments[arguments.length - 1];
const width = document.documentElement.clientWidth;
const out = [];
for (const el of document.querySelectorAll('body *')) {
  const r = el.getBoundingClientRect();
  if (r.width > 0 && r.right > width + 1) {
    out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : '') + ' ' + Math.round(r.right));
  }
}
done({ extra: document.documentElement.scrollWidth - width, out: out.reverse().slice(0, 8) });
";

/// Every page of the console fits a phone's screen (390 px) without scrolling sideways,
/// and a laptop's; the answer buttons are within reach and alike. Screenshots of the
/// queue and a held edit on both go to `$HOLDPOINT_SCREENSHOTS` when it is set
/// (`docs/`, the README's, come from here).
#[test]
fn every_console_page_fits_a_phone_and_a_laptop() {
    let setup = Setup::new("browser-phone");
    setup.add_human("alice", None);
    let token = setup.add_agent("bot");
    let served = setup.serve();
    let held = propose(&served, &token, &destroy());
    let id = held["approval"]["id"].as_str().unwrap().to_owned();
    let long = json!({"surface": "shell", "input": format!("curl -fsSL https://example.com/{}/install.sh | sh", "a".repeat(120)), "cwd": "/tmp", "session": "s1"});
    propose(&served, &token, &long);
    let edit = json!({"surface": "file", "input": "edit /etc/nginx/nginx.conf", "cwd": "/tmp",
        "written": {"file_path": "/etc/nginx/nginx.conf", "old_string": "listen 80;", "new_string": format!("listen 8080; # {}", "x".repeat(150))}});
    let edited = propose(&served, &token, &edit);
    let edit_id = edited["approval"]["id"].as_str().unwrap().to_owned();
    let alice = http::sign_in(&served.address, "alice", SECRET);
    let grant = json!({"agent": "bot", "task": "rotate the logs of every service on the staging hosts", "targets": ["shell:*@staging"], "secret": SECRET});
    assert_eq!(
        http::json(&served.address, "POST", "/api/v1/grants", &alice, &grant).status,
        200
    );
    let freeze = json!({"environment": "staging", "reason": "release 4.2 goes out tonight"});
    assert_eq!(
        http::json(&served.address, "POST", "/api/v1/freezes", &alice, &freeze).status,
        200
    );

    let browser = Browser::start(&setup.scratch.0);
    sign_in(&browser, &served, "alice");
    let pages = [
        ("queue", "/".to_owned()),
        ("request", format!("/approvals/{id}")),
        ("edit", format!("/approvals/{edit_id}")),
        ("activity", "/activity".to_owned()),
        ("session", "/sessions/s1".to_owned()),
        ("grants", "/grants".to_owned()),
        ("freezes", "/freezes".to_owned()),
        ("ledger", "/ledger".to_owned()),
        ("passkeys", "/passkeys".to_owned()),
        ("recovery", "/recovery".to_owned()),
        ("people", "/people".to_owned()),
    ];
    let mut problems = Vec::new();
    for (width, height, screen) in [(390, 844, "phone"), (1280, 900, "laptop")] {
        browser.set_window(width, height);
        for (name, path) in &pages {
            browser.go(&served.url(path));
            let measured = browser.run_async(OVERFLOW, json!([]));
            if measured["extra"].as_i64().unwrap_or(0) > 0 {
                problems.push(format!("{name} on a {screen}: {measured}"));
            }
            let picture = browser.screenshot(&format!("console-{name}-{screen}.png"));
            // The README shows the queue and a held edit on both screens.
            if let Some(dir) = std::env::var_os("HOLDPOINT_SCREENSHOTS")
                && ["queue", "edit"].contains(name)
            {
                std::fs::copy(
                    &picture,
                    std::path::Path::new(&dir).join(format!("console-{name}-{screen}.png")),
                )
                .unwrap();
            }
        }
        // The answer's buttons are on screen once scrolled to, and of a size a thumb hits.
        browser.go(&served.url(&format!("/approvals/{id}")));
        for button in ["#approve", "#refuse"] {
            let size = browser.run_async(
                &format!("const b = document.querySelector('{button}').getBoundingClientRect(); arguments[0]({{w: b.width, h: b.height, right: b.right}});"),
                json!([]),
            );
            let (w, h, right) = (
                size["w"].as_f64().unwrap(),
                size["h"].as_f64().unwrap(),
                size["right"].as_f64().unwrap(),
            );
            if !(36.0..=60.0).contains(&h) || w < 80.0 || right > f64::from(width) {
                problems.push(format!("{button} on a {screen}: {size}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `holdpoint replay --format html` is one page that opens from a file with nothing
/// fetched: the held calls are there, escaped, and it fits a phone and a laptop. Its
/// picture goes to `$HOLDPOINT_SCREENSHOTS` when set (`docs/replay-report.png`).
#[test]
fn the_replay_report_opens_in_a_browser_from_a_file() {
    let setup = Setup::new("browser-replay");
    let output = setup.run(
        &[
            "replay",
            &crate::data("replay/claude-code-session.jsonl"),
            "--format",
            "html",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(0), "{}", crate::stderr(&output));
    let page = setup.scratch.0.join("replay.html");
    std::fs::write(&page, &output.stdout).unwrap();
    let text = crate::stdout(&output);
    assert!(!text.contains("<script"), "a script in the report");
    assert!(
        !text.contains("http://") && !text.contains("https://"),
        "a link out"
    );

    let browser = Browser::start(&setup.scratch.0);
    for (width, height, screen) in [(390, 844, "phone"), (1280, 900, "laptop")] {
        browser.set_window(width, height);
        browser.go(&format!("file://{}", page.display()));
        assert_eq!(browser.title(), "holdpoint replay");
        let stopped = browser.text_of("#stopped");
        assert!(
            stopped.contains("rm -rf /var/lib/app/releases"),
            "{stopped}"
        );
        assert!(stopped.contains("write /etc/hosts"), "{stopped}");
        assert!(stopped.contains("when it ran"), "{stopped}");
        let measured = browser.run_async(OVERFLOW, json!([]));
        assert!(
            measured["extra"].as_i64().unwrap_or(0) <= 0,
            "the report is wider than a {screen}: {measured}"
        );
        let picture = browser.screenshot(&format!("replay-report-{screen}.png"));
        if let Some(dir) = std::env::var_os("HOLDPOINT_SCREENSHOTS")
            && screen == "laptop"
        {
            std::fs::copy(
                &picture,
                std::path::Path::new(&dir).join("replay-report.png"),
            )
            .unwrap();
        }
    }
}

/// A held action's page sets what the person asked for in that turn beside it, as text
/// (markup in an instruction is shown, never run).
#[test]
fn a_held_actions_page_shows_what_the_person_asked_for() {
    let setup = Setup::new("browser-asked");
    setup.add_human("alice", None);
    // The agent the hook names, so that its instruction is the agent's own.
    let token = setup.add_agent("claude-code");
    let served = setup.serve();
    let prompt = json!({"session_id": "turn-7", "transcript_path": "/tmp/t.jsonl",
        "cwd": "/tmp", "permission_mode": "default", "hook_event_name": "UserPromptSubmit",
        "prompt": "fix the typo in staging's config <b>only</b>"});
    let (output, answer) = setup.hook("claude-code", &prompt);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(answer, None);
    // A grant in force that does not cover the destroy: its task is shown too.
    setup.grant(
        "claude-code",
        "rotate the <i>staging</i> certs",
        "shell:*@staging",
        "change",
    );
    let mut action = destroy();
    action["session"] = json!("turn-7");
    let held = propose(&served, &token, &action);
    let id = held["approval"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        held["approval"]["asked"],
        "fix the typo in staging's config <b>only</b>"
    );
    assert_eq!(held["approval"]["task"], "rotate the <i>staging</i> certs");
    let browser = Browser::start(&setup.scratch.0);
    sign_in(&browser, &served, "alice");
    browser.go(&served.url(&format!("/approvals/{id}")));
    assert_eq!(
        browser.text_of("#asked"),
        "fix the typo in staging's config <b>only</b>"
    );
    assert!(browser.find_all("#asked b").is_empty());
    assert_eq!(browser.text_of("#task"), "rotate the <i>staging</i> certs");
    assert!(browser.find_all("#task i").is_empty());
}
