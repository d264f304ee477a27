//! moto's own API (`/moto-api/…`) for the test harness (tests/common) and
//! the bench: a minimal HTTP/1.1 client, one request per connection, so
//! neither needs an HTTP client crate; and the reading of its recorder's
//! entries (`{"headers", "method", "url", "body", "body_encoded"}`, one JSON
//! object per line).
#![allow(dead_code)] // the harness and the bench use different parts

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// `method path` with a JSON `body` to moto on 127.0.0.1:`port`: the status
/// and the (de-chunked) body.
pub fn request(port: u16, method: &str, path: &str, body: &[u8]) -> Result<(u16, String), String> {
    send(
        port,
        method,
        path,
        "Content-Type: application/json\r\n",
        body,
    )
}

/// A call to an AWS service in moto: moto routes it by the credential scope
/// of a SigV4 header, which it does not check unless told to, so the header
/// is made up. `target` is the JSON protocol's `X-Amz-Target`; without it the
/// body is a query-protocol form.
pub fn aws_call(
    port: u16,
    service: &str,
    target: Option<&str>,
    body: &str,
) -> Result<(u16, String), String> {
    aws_call_as(port, "test", service, target, body)
}

/// `aws_call` with the access key id of a known user (where moto enforces
/// IAM with its signature check off, the key decides who calls).
pub fn aws_call_as(
    port: u16,
    key: &str,
    service: &str,
    target: Option<&str>,
    body: &str,
) -> Result<(u16, String), String> {
    let auth = format!(
        "Authorization: AWS4-HMAC-SHA256 Credential={key}/20260101/us-east-1/{service}/aws4_request, \
         SignedHeaders=host, Signature=0\r\n"
    );
    let headers = match target {
        Some(t) => {
            format!("{auth}Content-Type: application/x-amz-json-1.0\r\nX-Amz-Target: {t}\r\n")
        }
        None => format!("{auth}Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"),
    };
    send(port, "POST", "/", &headers, body.as_bytes())
}

fn send(
    port: u16,
    method: &str,
    path: &str,
    headers: &str,
    body: &[u8],
) -> Result<(u16, String), String> {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| format!("read timeout: {e}"))?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{headers}\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body))
        .map_err(|e| format!("write: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read: {e}"))?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Result<(u16, String), String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no HTTP header in {} bytes", raw.len()))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut body = raw[split + 4..].to_vec();
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line: {head}"))?;
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk size")?;
        let size_text = String::from_utf8_lossy(&data[..eol]);
        let size_hex = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|e| format!("chunk size: {e}"))?;
        data = &data[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            return Err("truncated chunk".into());
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

// -- the recorder's entries ----------------------------------------------------

/// The entries of a downloaded recording.
pub fn parse_recording(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("bad recorder line ({e}): {line}"))
        })
        .collect()
}

/// "/path?query" of an entry's URL.
pub fn path_and_query(entry: &serde_json::Value) -> &str {
    let url = entry["url"].as_str().unwrap_or_default();
    url.split_once("://")
        .map(|(_, rest)| rest.find('/').map(|i| &rest[i..]).unwrap_or("/"))
        .unwrap_or(url)
}

/// Whether the entry is a call to moto's own API, not to an AWS service.
pub fn is_moto_api(entry: &serde_json::Value) -> bool {
    path_and_query(entry).starts_with("/moto-api/")
}

/// A request header, by case-insensitive name.
pub fn header<'a>(entry: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    entry["headers"]
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
}

/// The request body as text (moto stores binary bodies base64-encoded).
pub fn body(entry: &serde_json::Value) -> String {
    use base64::Engine as _;
    match entry["body"].as_str() {
        Some(b) if entry["body_encoded"].as_bool() == Some(true) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b)
                .unwrap_or_default();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Some(b) => b.to_owned(),
        None => String::new(),
    }
}

/// The form parameters of a query-protocol request: its body's, else its
/// query string's, whichever names an `Action`.
pub fn action_form(entry: &serde_json::Value) -> Option<BTreeMap<String, String>> {
    let body = body(entry);
    let query = path_and_query(entry).split_once('?').map(|(_, q)| q);
    let forms = [Some(body.as_str()), query];
    let found = forms.into_iter().flatten().find_map(|form| {
        let params: BTreeMap<String, String> = form_urlencoded::parse(form.as_bytes())
            .into_owned()
            .collect();
        params.contains_key("Action").then_some(params)
    });
    found
}

/// The AWS action of an entry: the `X-Amz-Target` header for JSON-protocol
/// services (e.g. "ElasticMapReduce.DescribeSecurityConfiguration"), the
/// `Action` of the form for query-protocol ones (e.g. "GetCallerIdentity"),
/// else "<METHOD> <path>" for REST services; None for moto's own API.
pub fn action(entry: &serde_json::Value) -> Option<String> {
    if is_moto_api(entry) {
        return None;
    }
    if let Some(target) = header(entry, "x-amz-target") {
        return Some(target.to_owned());
    }
    if let Some(action) = action_form(entry).and_then(|mut f| f.remove("Action")) {
        return Some(action);
    }
    let method = entry["method"].as_str().unwrap_or("?");
    let path = path_and_query(entry).split('?').next().unwrap_or("/");
    Some(format!("{method} {path}"))
}
