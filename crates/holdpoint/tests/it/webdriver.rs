//! A minimal W3C WebDriver client for the console's browser tests: it starts
//! chromedriver and a headless Chromium, and speaks the protocol's JSON over plain HTTP.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The key under which WebDriver names an element.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long waits for the page last unless a test says otherwise.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A Chromium session driven through its own chromedriver. Dropping it ends the session
/// and chromedriver, also when a test fails, so that no browser outlives the test.
#[derive(Debug)]
pub struct Browser {
    driver: Child,
    /// `127.0.0.1:PORT` of chromedriver.
    address: String,
    session: Option<String>,
    /// Where chromedriver writes what it and Chromium said, for failure messages.
    log: PathBuf,
    /// Where screenshots go: the test's scratch directory, never the repository.
    scratch: PathBuf,
}

/// An element of the page.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Browser {
    /// Starts chromedriver and a headless Chromium with a fresh profile under `scratch`.
    pub fn start(scratch: &Path) -> Self {
        for program in [CHROMEDRIVER, CHROMIUM] {
            assert!(
                Path::new(program).exists(),
                "{program} is missing: the console's browser tests need Debian's `chromium` and \
                 `chromium-driver` packages (apt-get install chromium chromium-driver, or run .ci/run)"
            );
        }
        let log = scratch.join("chromedriver.log");
        // The port is found free and then handed over, so another process may take it in
        // between: chromedriver then ends at once, and a new port is tried.
        let mut tries = 0;
        let (driver, address) = loop {
            tries += 1;
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let file = std::fs::File::create(&log).unwrap();
            let mut driver = Command::new(CHROMEDRIVER)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(file.try_clone().unwrap())
                .stderr(file)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
            let address = format!("127.0.0.1:{port}");
            match wait_ready(&mut driver, &address) {
                Ok(()) => break (driver, address),
                Err(problem) => {
                    let _ = driver.kill();
                    let _ = driver.wait();
                    assert!(
                        tries < 3,
                        "chromedriver did not start: {problem}\n{}",
                        read(&log)
                    );
                }
            }
        };
        let mut browser = Browser {
            driver,
            address,
            session: None,
            log,
            scratch: scratch.to_owned(),
        };
        let profile = scratch.join("chromium-profile");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--no-default-browser-check",
                    "--window-size=1280,900",
                    format!("--user-data-dir={}", profile.display()),
                ],
            },
        }}});
        let created = browser.command("POST", "/session", &capabilities);
        let id = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in chromedriver's answer: {created}"));
        browser.session = Some(id.to_owned());
        browser
    }

    /// Sends a command to chromedriver; its `value`, or a panic that says what failed.
    #[track_caller]
    fn command(&self, method: &str, path: &str, body: &Value) -> Value {
        match self.try_command(method, path, body) {
            Ok(value) => value,
            Err(problem) => panic!(
                "WebDriver {method} {path} failed: {problem}\nchromedriver's log ends:\n{}",
                tail(&read(&self.log), 40)
            ),
        }
    }

    /// Sends a command to chromedriver; its `value`, or the error WebDriver reported.
    fn try_command(&self, method: &str, path: &str, body: &Value) -> Result<Value, String> {
        let (status, text) = call(&self.address, method, path, body)?;
        let answer: Value = serde_json::from_str(&text)
            .map_err(|e| format!("not JSON ({e}), status {status}: {text}"))?;
        let value = answer.get("value").cloned().unwrap_or(Value::Null);
        if status == 200 {
            Ok(value)
        } else {
            Err(format!(
                "{} ({status}): {}",
                value["error"].as_str().unwrap_or("error"),
                value["message"].as_str().unwrap_or(&text)
            ))
        }
    }

    fn session_path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.session.as_deref().unwrap())
    }

    /// Opens `url` and waits for the page to load.
    #[track_caller]
    pub fn go(&self, url: &str) {
        self.command("POST", &self.session_path("/url"), &json!({ "url": url }));
    }

    pub fn url(&self) -> String {
        let value = self.command("GET", &self.session_path("/url"), &Value::Null);
        value.as_str().unwrap().to_owned()
    }

    /// The path (and query) of the page shown.
    pub fn path(&self) -> String {
        let url = self.url();
        let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
        after_scheme
            .find('/')
            .map_or("/".to_owned(), |at| after_scheme[at..].to_owned())
    }

    pub fn title(&self) -> String {
        let value = self.command("GET", &self.session_path("/title"), &Value::Null);
        value.as_str().unwrap().to_owned()
    }

    /// The page's HTML as the browser has it now (after scripts changed it).
    pub fn source(&self) -> String {
        let value = self.command("GET", &self.session_path("/source"), &Value::Null);
        value.as_str().unwrap().to_owned()
    }

    /// The first element matching a CSS selector, if there is one now.
    #[track_caller]
    pub fn find(&self, css: &str) -> Option<Element> {
        let path = self.session_path("/element");
        let query = json!({ "using": "css selector", "value": css });
        match self.try_command("POST", &path, &query) {
            Ok(found) => Some(Element(found[ELEMENT].as_str().unwrap().to_owned())),
            Err(problem) if problem.starts_with("no such element") => None,
            Err(problem) => panic!("looking for `{css}` failed: {problem}"),
        }
    }

    /// Every element matching a CSS selector now.
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let query = json!({ "using": "css selector", "value": css });
        let found = self.command("POST", &self.session_path("/elements"), &query);
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|e| Element(e[ELEMENT].as_str().unwrap().to_owned()))
            .collect()
    }

    /// Waits until an element matches `css`; panics with the page shown if none does.
    #[track_caller]
    pub fn wait_for(&self, css: &str) -> Element {
        let mut found = None;
        self.wait_until(&format!("an element matching `{css}`"), PATIENCE, || {
            found = self.find(css);
            found.is_some()
        });
        found.unwrap()
    }

    /// Polls `check` until it holds; panics with `what` and the page shown if it never
    /// does within `patience`.
    #[track_caller]
    pub fn wait_until(&self, what: &str, patience: Duration, mut check: impl FnMut() -> bool) {
        let started = Instant::now();
        while !check() {
            if started.elapsed() > patience {
                panic!(
                    "waited {patience:?} for {what}, in vain; the browser is at {} showing:\n{}",
                    self.url(),
                    self.source()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The text an element shows, as a reader would see it.
    pub fn text(&self, element: &Element) -> String {
        let value = self.command("GET", &self.element_path(element, "/text"), &Value::Null);
        value.as_str().unwrap().to_owned()
    }

    /// The text of the first element matching `css`, waiting for it to appear.
    #[track_caller]
    pub fn text_of(&self, css: &str) -> String {
        let value = self.on(css, "GET", "/text", &Value::Null);
        value.as_str().unwrap().to_owned()
    }

    /// An attribute of the first element matching `css`, waiting for it to appear.
    #[track_caller]
    pub fn attribute_of(&self, css: &str, name: &str) -> Option<String> {
        let value = self.on(css, "GET", &format!("/attribute/{name}"), &Value::Null);
        value.as_str().map(str::to_owned)
    }

    /// Types `text` into the element matching `css`.
    #[track_caller]
    pub fn type_into(&self, css: &str, text: &str) {
        self.on(css, "POST", "/value", &json!({ "text": text }));
    }

    /// Clicks the element matching `css`.
    #[track_caller]
    pub fn click(&self, css: &str) {
        self.on(css, "POST", "/click", &json!({}));
    }

    /// Sends an element command to the first element matching `css`, waiting for it to
    /// appear. The console's script replaces the live queue every couple of seconds, so
    /// an element found there can go stale before the command reaches it: then it is
    /// looked up again.
    #[track_caller]
    fn on(&self, css: &str, method: &str, rest: &str, body: &Value) -> Value {
        let started = Instant::now();
        loop {
            let element = self.wait_for(css);
            match self.try_command(method, &self.element_path(&element, rest), body) {
                Ok(value) => return value,
                Err(problem)
                    if problem.starts_with("stale element reference")
                        && started.elapsed() < PATIENCE => {}
                Err(problem) => panic!("{method} {rest} on `{css}` failed: {problem}"),
            }
        }
    }

    /// Runs `script` in the page as an async function of `arguments`, whose last is the
    /// callback that ends it; what it passed the callback.
    #[track_caller]
    pub fn run_async(&self, script: &str, args: Value) -> Value {
        self.command(
            "POST",
            &self.session_path("/execute/async"),
            &json!({ "script": script, "args": args }),
        )
    }

    /// As [`Browser::run_async`], or the error WebDriver reported (a page that went
    /// away before the script ended).
    pub fn try_run_async(&self, script: &str, args: Value) -> Result<Value, String> {
        self.try_command(
            "POST",
            &self.session_path("/execute/async"),
            &json!({ "script": script, "args": args }),
        )
    }

    /// Adds a WebDriver virtual authenticator (CTAP2, built in) to the browser: whether
    /// it verifies its user (a PIN or biometric) and whether its user consents (touches
    /// it) when asked. Returns its id.
    #[track_caller]
    pub fn add_authenticator(&self, verified: bool, consenting: bool) -> String {
        let id = self.command(
            "POST",
            &self.session_path("/webauthn/authenticator"),
            &json!({
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": true,
                "hasUserVerification": true,
                "isUserConsenting": consenting,
                "isUserVerified": verified,
            }),
        );
        id.as_str().unwrap().to_owned()
    }

    /// The credentials a virtual authenticator holds, private keys included.
    #[track_caller]
    pub fn authenticator_credentials(&self, authenticator: &str) -> Vec<Value> {
        let value = self.command(
            "GET",
            &self.session_path(&format!(
                "/webauthn/authenticator/{authenticator}/credentials"
            )),
            &Value::Null,
        );
        value.as_array().cloned().unwrap_or_default()
    }

    /// Gives a virtual authenticator a credential another one made.
    #[track_caller]
    pub fn add_credential(&self, authenticator: &str, credential: &Value) {
        self.command(
            "POST",
            &self.session_path(&format!(
                "/webauthn/authenticator/{authenticator}/credential"
            )),
            credential,
        );
    }

    /// Resizes the browser's window, as a phone's or a laptop's screen.
    #[track_caller]
    pub fn set_window(&self, width: u32, height: u32) {
        self.command(
            "POST",
            &self.session_path("/window/rect"),
            &json!({ "width": width, "height": height }),
        );
    }

    /// Forgets every cookie of the current page's site: signed out.
    #[track_caller]
    pub fn clear_cookies(&self) {
        self.command("DELETE", &self.session_path("/cookie"), &Value::Null);
    }

    /// Takes a virtual authenticator away.
    #[track_caller]
    pub fn remove_authenticator(&self, authenticator: &str) {
        self.command(
            "DELETE",
            &self.session_path(&format!("/webauthn/authenticator/{authenticator}")),
            &Value::Null,
        );
    }

    /// Whether a virtual authenticator verifies its user from now on.
    #[track_caller]
    pub fn set_user_verified(&self, authenticator: &str, verified: bool) {
        self.command(
            "POST",
            &self.session_path(&format!("/webauthn/authenticator/{authenticator}/uv")),
            &json!({ "isUserVerified": verified }),
        );
    }

    /// Saves what the browser shows as a PNG file in the scratch directory; returns its
    /// path.
    #[track_caller]
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let value = self.command("GET", &self.session_path("/screenshot"), &Value::Null);
        let png = base64(value.as_str().unwrap());
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "the screenshot is not a PNG image"
        );
        let file = self.scratch.join(name);
        std::fs::write(&file, png).unwrap();
        file
    }

    fn element_path(&self, element: &Element, rest: &str) -> String {
        self.session_path(&format!("/element/{}{rest}", element.0))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session makes chromedriver close Chromium; killing chromedriver
        // alone could leave the browser running. No panic here: this may run while a
        // failing test unwinds.
        if let Some(session) = self.session.take() {
            let _ = call(
                &self.address,
                "DELETE",
                &format!("/session/{session}"),
                &Value::Null,
            );
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Waits until chromedriver answers `/status` as ready, or ends.
fn wait_ready(driver: &mut Child, address: &str) -> Result<(), String> {
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = driver.try_wait() {
            return Err(format!("chromedriver ended ({status})"));
        }
        if let Ok((200, text)) = call(address, "GET", "/status", &Value::Null)
            && serde_json::from_str::<Value>(&text)
                .is_ok_and(|v| v["value"]["ready"] == Value::Bool(true))
        {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(20) {
            return Err("chromedriver did not become ready within 20 s".to_owned());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One HTTP request to chromedriver; its status and body. Errors are returned, not
/// panicked on, so that the drop guard can use it too.
fn call(address: &str, method: &str, path: &str, body: &Value) -> Result<(u16, String), String> {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let mut stream = TcpStream::connect(address).map_err(|e| format!("connect: {e}"))?;
    // Generous: creating a session starts a browser, and navigation waits for the page.
    stream
        .set_read_timeout(Some(Duration::from_secs(90)))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
         Content-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("send: {e}"))?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader
        .read_line(&mut status_line)
        .map_err(|e| format!("read: {e}"))?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not an HTTP status line: {status_line:?}"))?;
    let mut length = None;
    loop {
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .map_err(|e| format!("read: {e}"))?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse::<usize>().ok();
        }
    }
    // chromedriver says how long its answers are; reading exactly that much does not
    // depend on it closing the connection.
    let mut raw = Vec::new();
    match length {
        Some(n) => {
            raw.resize(n, 0);
            reader
                .read_exact(&mut raw)
                .map_err(|e| format!("read: {e}"))?;
        }
        None => {
            reader
                .read_to_end(&mut raw)
                .map_err(|e| format!("read: {e}"))?;
        }
    }
    Ok((status, String::from_utf8_lossy(&raw).into_owned()))
}

/// Decodes standard base64 (how WebDriver sends screenshots).
fn base64(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut bits = 0u32;
    let mut count = 0;
    for c in text.bytes() {
        let digit = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\r' | b'\n' => continue,
            _ => panic!("not base64: {c:?}"),
        };
        // Only the last 14 bits are ever needed: 8 for the byte out, 6 for the next.
        bits = ((bits << 6) | u32::from(digit)) & 0x3fff;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).unwrap());
        }
    }
    out
}

fn read(file: &Path) -> String {
    std::fs::read_to_string(file).unwrap_or_default()
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
