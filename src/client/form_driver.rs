//! Drives the sandbox's own sign-in and consent pages for scripts and CI
//! (`client login --username … --password …`): what a person does in the browser, with a
//! cookie jar, stopping at the redirect to the app.

use super::error::{one_line, transport, ClientError};
use super::http::Http;

/// One `<input>` or `<button>` of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub tag: String,
    pub kind: String,
    pub name: String,
    pub value: String,
    pub checked: bool,
}

/// One `<form>` of a page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Form {
    pub action: String,
    pub method: String,
    pub fields: Vec<Field>,
}

impl Form {
    pub fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.name == name)
    }

    /// The pairs a browser submits, before the clicked button and typed-in values: hidden and
    /// text inputs with their values, ticked checkboxes and radios.
    pub fn defaults(&self) -> Vec<(String, String)> {
        self.fields
            .iter()
            .filter(|f| !f.name.is_empty() && f.tag == "input")
            .filter(|f| match f.kind.as_str() {
                "checkbox" | "radio" => f.checked,
                "submit" | "button" | "image" | "reset" | "file" => false,
                _ => true,
            })
            .map(|f| {
                let value = if f.value.is_empty() && matches!(f.kind.as_str(), "checkbox" | "radio")
                {
                    "on".to_string()
                } else {
                    f.value.clone()
                };
                (f.name.clone(), value)
            })
            .collect()
    }
}

/// Every form of a page, with its inputs and buttons. Enough HTML for server-rendered forms:
/// tags, quoted or bare attributes, entities; comments, scripts and styles skipped.
pub fn parse_forms(html: &str) -> Vec<Form> {
    let mut forms = Vec::new();
    let mut current: Option<Form> = None;
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt..];
        if rest.starts_with("<!--") {
            rest = rest.find("-->").map_or("", |i| &rest[i + 3..]);
            continue;
        }
        let Some((name, attrs, after)) = read_tag(rest) else {
            rest = &rest[1..];
            continue;
        };
        rest = after;
        match name.as_str() {
            "script" | "style" => {
                let close = format!("</{name}");
                rest = find_ci(rest, &close).map_or("", |i| &rest[i..]);
            }
            "form" => {
                if let Some(f) = current.take() {
                    forms.push(f);
                }
                current = Some(Form {
                    action: attr(&attrs, "action").unwrap_or_default(),
                    method: attr(&attrs, "method")
                        .unwrap_or_else(|| "get".into())
                        .to_ascii_lowercase(),
                    fields: Vec::new(),
                });
            }
            "/form" => {
                if let Some(f) = current.take() {
                    forms.push(f);
                }
            }
            "input" | "button" | "textarea" | "select" => {
                if let Some(f) = current.as_mut() {
                    let default_kind = if name == "button" { "submit" } else { "text" };
                    f.fields.push(Field {
                        tag: name.clone(),
                        kind: attr(&attrs, "type")
                            .unwrap_or_else(|| default_kind.into())
                            .to_ascii_lowercase(),
                        name: attr(&attrs, "name").unwrap_or_default(),
                        value: attr(&attrs, "value").unwrap_or_default(),
                        checked: attrs.iter().any(|(k, _)| k == "checked"),
                    });
                }
            }
            _ => {}
        }
    }
    if let Some(f) = current.take() {
        forms.push(f);
    }
    forms
}

fn find_ci(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .to_ascii_lowercase()
        .find(&needle.to_ascii_lowercase())
}

fn attr(attrs: &[(String, String)], name: &str) -> Option<String> {
    attrs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// A tag's attributes: lower-case names, decoded values.
type Attrs = Vec<(String, String)>;

/// Reads `<name attr="v" …>` at the start of `s`: lower-case name (with `/` for end tags),
/// attributes with decoded values, and the text after the tag.
fn read_tag(s: &str) -> Option<(String, Attrs, &str)> {
    let b = s.as_bytes();
    let mut i = 1;
    let start = i;
    if b.get(i) == Some(&b'/') {
        i += 1;
    }
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-') {
        i += 1;
    }
    let name = s[start..i].to_ascii_lowercase();
    if name.is_empty() || name == "/" {
        return None;
    }
    let mut attrs = Vec::new();
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        if b[i] == b'>' {
            return Some((name, attrs, &s[i + 1..]));
        }
        let k0 = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/') {
            i += 1;
        }
        let key = s[k0..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if b.get(i) == Some(&b'=') {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            match b.get(i) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    let v0 = i + 1;
                    let end = s[v0..].find(q as char)? + v0;
                    value = decode_entities(&s[v0..end]);
                    i = end + 1;
                }
                _ => {
                    let v0 = i;
                    while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                        i += 1;
                    }
                    value = decode_entities(&s[v0..i]);
                }
            }
        }
        if !key.is_empty() {
            attrs.push((key, value));
        }
    }
}

/// Decodes the entities a template engine writes: named basics and numeric references.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').filter(|&semi| semi <= 10).and_then(|semi| {
            let entity = &rest[1..semi];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            }?;
            Some((c, semi))
        });
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text of the first element whose class includes `error`, else of `<title>`: what a
/// person reads on a failed page.
pub fn page_message(html: &str) -> String {
    let grab = |open_at: usize| -> Option<String> {
        let after = html[open_at..].find('>')? + open_at + 1;
        let end = html[after..].find("</")? + after;
        let text = one_line(&decode_entities(&strip_tags(&html[after..end])));
        (!text.is_empty()).then_some(text)
    };
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("class=\"error") {
        let at = from + i;
        if let Some(open) = lower[..at].rfind('<') {
            if let Some(t) = grab(open) {
                return t;
            }
        }
        from = at + 1;
    }
    lower
        .find("<title")
        .and_then(grab)
        .unwrap_or_else(|| "(no message on the page)".into())
}

fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// What the script answers on the consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Decision {
    #[default]
    Allow,
    Deny,
}

impl Decision {
    fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        }
    }
}

/// Opens `authorize_url`, signs in, answers the consent page, and returns the URL the server
/// redirects to (the app's redirect URI with `code` or `error`), without following it.
pub fn sign_in_and_consent(
    authorize_url: &str,
    username: &str,
    password: &str,
    decision: Decision,
) -> Result<String, ClientError> {
    let browser = Http::browser_like()?;
    let page = fetch(browser.get(authorize_url), authorize_url)?;
    let html = match page {
        Page::Redirect(location) => return Ok(location),
        Page::Html { status: 200, body } => body,
        Page::Html { body, .. } => {
            return Err(ClientError::AuthorizeRefused(page_message(&body)));
        }
    };
    let forms = parse_forms(&html);
    let login = forms
        .iter()
        .find(|f| f.has("username") && f.has("password"))
        .ok_or_else(|| {
            ClientError::FormDriver(format!(
                "no form with username and password at {authorize_url}"
            ))
        })?;
    let mut fields = login.defaults();
    fields.retain(|(k, _)| k != "username" && k != "password");
    fields.push(("username".into(), username.to_string()));
    fields.push(("password".into(), password.to_string()));
    let login_url = resolve(authorize_url, &login.action)?;
    let html = match fetch(browser.post(&login_url).form(&fields), &login_url)? {
        Page::Redirect(location) => return Ok(location),
        Page::Html { status: 200, body } => body,
        Page::Html { body, .. } => {
            return Err(ClientError::SignIn {
                username: username.to_string(),
                reason: page_message(&body),
            });
        }
    };
    let forms = parse_forms(&html);
    let consent = forms.iter().find(|f| f.has("decision")).ok_or_else(|| {
        ClientError::FormDriver(format!(
            "no consent form (a field named decision) after signing in at {login_url}"
        ))
    })?;
    let mut fields = consent.defaults();
    fields.retain(|(k, _)| k != "decision");
    fields.push(("decision".into(), decision.as_str().into()));
    let consent_url = resolve(&login_url, &consent.action)?;
    match fetch(browser.post(&consent_url).form(&fields), &consent_url)? {
        Page::Redirect(location) => Ok(location),
        Page::Html { status, body } => Err(ClientError::FormDriver(format!(
            "the consent form answered {status} instead of a redirect: {}",
            page_message(&body)
        ))),
    }
}

enum Page {
    Redirect(String),
    Html { status: u16, body: String },
}

fn fetch(request: reqwest::blocking::RequestBuilder, url: &str) -> Result<Page, ClientError> {
    let response = request.send().map_err(|e| transport(url, &e))?;
    let status = response.status();
    if status.is_redirection() {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                ClientError::FormDriver(format!("{url} redirected without a Location"))
            })?;
        return Ok(Page::Redirect(resolve(url, location)?));
    }
    let body = response.text().map_err(|e| transport(url, &e))?;
    Ok(Page::Html {
        status: status.as_u16(),
        body,
    })
}

fn resolve(base: &str, reference: &str) -> Result<String, ClientError> {
    let base = url::Url::parse(base).map_err(|e| ClientError::BadUrl(format!("{base}: {e}")))?;
    base.join(reference)
        .map(|u| u.to_string())
        .map_err(|e| ClientError::FormDriver(format!("bad form action {reference}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOGIN: &str = r#"<html><head><title>Sign in</title><script>if (a < b) {"<form>"}</script></head>
<body><!-- <form action="/nope"> -->
<form method="post" action="/v2/o/authorize/login" class="card">
  <input type="hidden" name="request" value="a.b&amp;c">
  <input type=hidden name=csrf value=x.y>
  <input id="username" name="username" autocomplete="username" required autofocus>
  <input id="password" name="password" type="password">
  <button type="submit" class="primary">Sign in</button>
</form>
<form method="post" action="/v2/o/authorize/login"><input type="hidden" name="patient" value="M00001"><button>pick</button></form>
</body></html>"#;

    #[test]
    fn forms_are_read_with_their_fields() {
        let forms = parse_forms(LOGIN);
        assert_eq!(forms.len(), 2, "{forms:?}");
        let f = &forms[0];
        assert_eq!(f.action, "/v2/o/authorize/login");
        assert_eq!(f.method, "post");
        assert!(f.has("username") && f.has("password"));
        assert_eq!(
            f.defaults(),
            vec![
                ("request".to_string(), "a.b&c".to_string()),
                ("csrf".to_string(), "x.y".to_string()),
                ("username".to_string(), String::new()),
                ("password".to_string(), String::new()),
            ]
        );
        assert!(forms[1].has("patient"));
    }

    #[test]
    fn checkboxes_count_only_when_ticked_and_buttons_never() {
        let html = r#"<form action="c"><input type="checkbox" name="a" value="true" checked>
            <input type="checkbox" name="b" value="true"><input type="checkbox" name="c" checked>
            <button name="decision" value="allow">Allow</button></form>"#;
        let f = &parse_forms(html)[0];
        assert_eq!(
            f.defaults(),
            vec![("a".into(), "true".into()), ("c".into(), "on".into())]
        );
        assert!(f.has("decision"));
    }

    #[test]
    fn failed_pages_say_why_in_one_line() {
        let html = "<title>T</title><p class=\"error\" role=\"alert\">Wrong\n username &amp; <b>password</b></p>";
        assert_eq!(page_message(html), "Wrong username & password");
        assert_eq!(page_message("<title>Just a title</title>"), "Just a title");
        assert_eq!(decode_entities("&#39;&#x41;&bogus;&"), "'A&bogus;&");
    }
}
