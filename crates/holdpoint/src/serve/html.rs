//! HTML for the console: escaping, the page layout, and the style sheet and script the
//! binary ships. Every value that did not come from this file goes through [`e`].

use std::fmt::Write as _;

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

/// Escapes text for HTML content and quoted attribute values.
pub(crate) fn e(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Escapes a sentence of holdpoint's for HTML, with its `code spans` as `<code>`: the
/// reasons and effects name paths and commands so. A backtick without its pair stays.
pub(crate) fn rich(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len() < 3 {
        return e(text);
    }
    let mut out = String::new();
    for (n, part) in parts.iter().enumerate() {
        let last = n + 1 == parts.len();
        if n % 2 == 1 && !last {
            let _ = write!(out, "<code>{}</code>", e(part));
        } else if n % 2 == 1 {
            // An odd backtick out: shown as it is.
            let _ = write!(out, "`{}", e(part));
        } else {
            out.push_str(&e(part));
        }
    }
    out
}

/// Escapes text for a URL path segment or query value.
pub(crate) fn url(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Who is looking at a page, for the header and its forms.
#[derive(Debug, Clone)]
pub(crate) struct Viewer {
    pub name: String,
    pub csrf: String,
}

/// A whole page.
pub(crate) struct Page<'a> {
    pub title: &'a str,
    pub viewer: Option<&'a Viewer>,
    /// Sentences for the freeze banner, one per active freeze.
    pub freezes: Vec<String>,
    pub body: String,
}

impl Page<'_> {
    pub fn render(self) -> Response {
        let nav = match self.viewer {
            Some(viewer) => format!(
                r#"<nav><a href="/">Queue</a><a href="/activity">Activity</a><a href="/grants">Grants</a><a href="/freezes">Freezes</a><a href="/recovery">Recovery</a><a href="/people">People</a><a href="/ledger">Ledger</a><a href="/passkeys">Passkeys</a>
<form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="{csrf}"><span class="who">{name}</span> <button type="submit" class="link">Sign out</button></form></nav>"#,
                csrf = e(&viewer.csrf),
                name = e(&viewer.name),
            ),
            None => String::new(),
        };
        let banner: String = self
            .freezes
            .iter()
            .map(|f| format!(r#"<div class="banner" role="alert">{}</div>"#, e(f)))
            .collect();
        let page = format!(
            r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · holdpoint</title><link rel="stylesheet" href="/static/console.css"></head>
<body><header><a class="brand" href="/">holdpoint</a>{nav}</header>{banner}
<main><h1>{title}</h1>
{body}
</main><script src="/static/console.js"></script></body></html>"#,
            title = e(self.title),
            body = self.body,
        );
        secure((Html(page)).into_response())
    }
}

/// Headers every console response carries: no framing, no inline script, no sniffing.
pub(crate) fn secure(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

pub(crate) const CSS: &str = r#"
:root { --fg:#1d2430; --muted:#5b6678; --line:#d9dee7; --bg:#f6f7f9; --allow:#1f7a4d; --ask:#a15c00; --deny:#b3261e; --accent:#2454c5; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; flex-wrap:wrap; align-items:center; gap:1rem; padding:.6rem 1rem; background:#fff; border-bottom:1px solid var(--line); }
.brand { font-weight:700; color:var(--fg); text-decoration:none; }
nav { display:flex; flex-wrap:wrap; gap:.9rem; align-items:center; flex:1; }
nav a { color:var(--accent); text-decoration:none; }
nav form { margin-left:auto; }
.who { color:var(--muted); }
main { max-width:1100px; margin:0 auto; padding:1rem; }
h1 { font-size:1.35rem; margin:.4rem 0 1rem; }
h2 { font-size:1.1rem; margin:1.4rem 0 .6rem; }
table { width:100%; border-collapse:collapse; background:#fff; border:1px solid var(--line); }
th, td { text-align:left; padding:.45rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { font-size:.8rem; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); }
td.action, pre { font-family:ui-monospace, SFMono-Regular, Menlo, monospace; font-size:.85rem; white-space:pre-wrap; word-break:break-all; }
pre { background:#fff; border:1px solid var(--line); padding:.7rem; margin:0; }
.pill { display:inline-block; padding:.05rem .45rem; border-radius:.7rem; font-size:.8rem; font-weight:600; background:#e8ebf0; }
.risk-destroy, .d-deny, .s-refused { background:#fbe3e1; color:var(--deny); }
.risk-change, .d-ask, .s-pending { background:#fdf0db; color:var(--ask); }
.risk-read, .risk-workspace, .d-allow, .s-approved, .s-used { background:#dff3e8; color:var(--allow); }
.banner { background:var(--deny); color:#fff; padding:.55rem 1rem; font-weight:600; }
.card { background:#fff; border:1px solid var(--line); padding:1rem; margin-bottom:1rem; }
dl { display:grid; grid-template-columns:max-content 1fr; gap:.35rem 1rem; margin:0; }
dt { color:var(--muted); }
dd { margin:0; }
form.stack { display:grid; gap:.5rem; max-width:32rem; align-content:start; }
button { min-height:2.5rem; }
td, dd, code, .pill { overflow-wrap:anywhere; }
form.inline { display:inline; }
form.filters { display:flex; flex-wrap:wrap; gap:.5rem; align-items:end; margin-bottom:1rem; }
label { display:grid; gap:.2rem; font-size:.9rem; }
input, select, textarea { font:inherit; padding:.4rem .5rem; border:1px solid #b9c1cf; border-radius:.3rem; background:#fff; }
button { font:inherit; padding:.45rem .9rem; border:0; border-radius:.3rem; background:var(--accent); color:#fff; cursor:pointer; }
button.approve { background:var(--allow); }
button.refuse { background:var(--deny); }
button.link { background:none; color:var(--accent); padding:0; }
.answers { display:grid; grid-template-columns:repeat(auto-fit, minmax(16rem, 1fr)); gap:1rem; }
.muted { color:var(--muted); }
.error { background:#fbe3e1; color:var(--deny); padding:.6rem .8rem; border-radius:.3rem; margin-bottom:1rem; }
.notice { background:#dff3e8; color:var(--allow); padding:.6rem .8rem; border-radius:.3rem; margin-bottom:1rem; }
pre.shown .added { background:#dff3e8; display:inline-block; min-width:100%; }
pre.shown .removed { background:#fbe3e1; display:inline-block; min-width:100%; }
.chart { background:#fff; border:1px solid var(--line); padding:.5rem; margin-bottom:1rem; }
.legend span { margin-right:1rem; }
dd code, td code { font-size:.85em; background:#eef1f5; padding:0 .2rem; border-radius:.2rem; }
@media (max-width: 640px) {
  header { gap:.5rem; }
  nav { gap:.4rem .8rem; }
  main { padding:.6rem; }
  dl { grid-template-columns:1fr; }
  dt { margin-top:.4rem; }
  /* A table becomes a list of cards, one per row, its cells one under another. */
  table, thead, tbody, tr, th, td { display:block; width:auto; }
  thead { display:none; }
  tr { border-bottom:1px solid var(--line); padding:.35rem 0; }
  td { border:0; padding:.15rem .6rem; }
  td:empty { display:none; }
  .answers { grid-template-columns:1fr; }
  form.stack { max-width:none; }
}
"#;

pub(crate) const JS: &str = r#"
// Live parts of the console: the queue refreshes itself, and times left count down.
(function () {
  function tick() {
    var now = Date.now();
    document.querySelectorAll('[data-expires]').forEach(function (el) {
      var left = Math.max(0, Math.floor((Number(el.dataset.expires) - now) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      el.textContent = left === 0 ? 'expired' : (h ? h + 'h ' : '') + (h || m ? m + 'm ' : '') + s + 's';
    });
  }
  var queue = document.getElementById('queue');
  if (queue && queue.dataset.live) {
    setInterval(function () {
      fetch(queue.dataset.live, { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) { return; }
          var fresh = html.match(/data-version="([0-9a-f]*)"/);
          var shown = queue.firstElementChild && queue.firstElementChild.getAttribute('data-version');
          if (!fresh || fresh[1] !== shown) { queue.innerHTML = html; tick(); }
        })
        .catch(function () {});
    }, 2000);
  }
  tick();
  setInterval(tick, 1000);
})();

// Passkeys: registering one, and the assertion an approval carries. The server's
// options and the browser's credentials cross as JSON, binary fields in base64url.
(function () {
  function bytes(text) {
    var b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    var raw = atob(b64 + '='.repeat((4 - b64.length % 4) % 4));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out.buffer;
  }
  function text(buffer) {
    if (!buffer) { return null; }
    var raw = '', view = new Uint8Array(buffer);
    for (var i = 0; i < view.length; i++) { raw += String.fromCharCode(view[i]); }
    return btoa(raw).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function call(path, csrf, body) {
    return fetch('/api/v1' + path, {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().then(function (answer) {
        if (!r.ok) { throw new Error(answer.error || ('the server answered ' + r.status)); }
        return answer;
      });
    });
  }
  function assertion(challenge) {
    var options = challenge.options.publicKey;
    options.challenge = bytes(options.challenge);
    (options.allowCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
    return navigator.credentials.get({ publicKey: options }).then(function (cred) {
      return {
        ceremony: challenge.ceremony,
        credential: {
          id: cred.id, rawId: text(cred.rawId), type: cred.type, extensions: {},
          response: {
            authenticatorData: text(cred.response.authenticatorData),
            clientDataJSON: text(cred.response.clientDataJSON),
            signature: text(cred.response.signature),
            userHandle: text(cred.response.userHandle)
          }
        }
      };
    });
  }
  function say(where, message) {
    var box = document.getElementById(where);
    if (box) { box.textContent = message; box.hidden = false; }
  }
  // Approving, granting, ending a freeze: a fresh assertion for what the form does,
  // then the form goes as usual.
  document.querySelectorAll('form[data-step-up]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      if (form.elements.credential.value) { return; }
      event.preventDefault();
      var shown = form.querySelector('.passkey-error');
      call('/step-up', form.elements.csrf.value, JSON.parse(form.dataset.stepUp))
        .then(assertion)
        .then(function (answer) {
          form.elements.ceremony.value = answer.ceremony;
          form.elements.credential.value = JSON.stringify(answer.credential);
          form.submit();
        })
        .catch(function (e) {
          if (shown) { shown.textContent = 'Not done: ' + e.message; shown.hidden = false; }
        });
    });
  });
  // Signing in: the name typed above, then the authenticator instead of the secret.
  var login = document.getElementById('passkey-login');
  if (login) {
    login.addEventListener('submit', function (event) {
      if (login.elements.credential.value) { return; }
      event.preventDefault();
      var shown = login.querySelector('.passkey-error');
      var name = (document.getElementById('name') || {}).value || '';
      fetch('/login/challenge', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: name })
      }).then(function (r) {
        return r.json().then(function (answer) {
          if (!r.ok) { throw new Error(answer.error || ('the server answered ' + r.status)); }
          return answer;
        });
      }).then(assertion).then(function (answer) {
        login.elements.name.value = name;
        login.elements.ceremony.value = answer.ceremony;
        login.elements.credential.value = JSON.stringify(answer.credential);
        login.submit();
      }).catch(function (e) {
        if (shown) { shown.textContent = 'Not signed in: ' + e.message; shown.hidden = false; }
      });
    });
  }
  // Registering: proof first (the secret, or an assertion by a passkey already held).
  var add = document.getElementById('add-passkey');
  if (add) {
    add.addEventListener('submit', function (event) {
      event.preventDefault();
      var csrf = add.elements.csrf.value, name = add.elements.name.value;
      var proof = add.elements.secret
        ? Promise.resolve({ name: name, secret: add.elements.secret.value })
        : call('/step-up', csrf, { 'for': 'add-passkey' }).then(assertion)
            .then(function (answer) { return { name: name, passkey: answer }; });
      proof
        .then(function (body) { return call('/passkeys/challenge', csrf, body); })
        .then(function (challenge) {
          var options = challenge.options.publicKey;
          options.challenge = bytes(options.challenge);
          options.user.id = bytes(options.user.id);
          (options.excludeCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
          return navigator.credentials.create({ publicKey: options }).then(function (cred) {
            return call('/passkeys', csrf, {
              ceremony: challenge.ceremony,
              credential: {
                id: cred.id, rawId: text(cred.rawId), type: cred.type, extensions: {},
                response: {
                  attestationObject: text(cred.response.attestationObject),
                  clientDataJSON: text(cred.response.clientDataJSON)
                }
              }
            });
          });
        })
        .then(function () { window.location.reload(); })
        .catch(function (e) { say('passkey-error', 'No passkey was added: ' + e.message); });
    });
  }
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_become_code_and_everything_stays_escaped() {
        assert_eq!(
            rich("`rm` deletes `/srv/<data>` outside"),
            "<code>rm</code> deletes <code>/srv/&lt;data&gt;</code> outside"
        );
        assert_eq!(rich("no code here"), "no code here");
        assert_eq!(rich("one ` alone"), "one ` alone");
        assert_eq!(rich("`a` and ` b"), "<code>a</code> and ` b");
    }
}
