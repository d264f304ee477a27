//! A fault-injecting HTTP proxy in front of the emulator (issue #14, item 1).
//!
//! Terraform's provider is pointed at the proxy (`AWS_ENDPOINT_URL`); every
//! request is forwarded to moto unless a rule picks a fault for it:
//! throttling or a 5xx in the error shape of the request's protocol (query
//! XML, EC2 XML, JSON, REST-JSON), a connection dropped before the request
//! reaches moto, one dropped after moto has carried it out (the client never
//! sees the answer: the hard case), added latency, or a hang.
//!
//! Decisions are deterministic from the seed: the n-th request for a given
//! service and action gets the same fault in every run with that seed,
//! whatever the interleaving of Terraform's parallel calls.
//!
//! One request per client connection (`Connection: close`), std threads only.
#![allow(dead_code)] // each test binary uses a part

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the proxy does to one request instead of (or besides) forwarding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// 400 `ThrottlingException` / `Throttling` / `RequestLimitExceeded`.
    Throttle,
    /// 500 `InternalFailure` (`InternalError` in EC2).
    ServerError,
    /// 503 `ServiceUnavailable`.
    Unavailable,
    /// The connection is closed before anything reaches the emulator.
    ResetBefore,
    /// The emulator carries the request out; the connection is then closed
    /// without the answer.
    ResetAfter,
    /// The request is forwarded after this many milliseconds.
    Latency(u64),
    /// The connection is held open and never answered.
    Hang,
}

/// Which requests a rule applies to, and how often.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Signing name (`iam`, `states`, `emr-serverless`, …); `None`: any.
    pub service: Option<String>,
    /// Action (`CreateRole`, `POST /applications`, …), or a prefix of one
    /// ending in `*` (`Create*`, `DELETE *`); `None`: any.
    pub action: Option<String>,
    /// Share of matching requests faulted, 0.0 to 1.0.
    pub rate: f64,
    /// Faulted requests get one of these, picked by the seeded generator.
    pub faults: Vec<Fault>,
    /// Only the first time a given request (method, path, target, body) is
    /// seen: its retries pass.
    pub once: bool,
}

impl Rule {
    pub fn any(rate: f64, faults: &[Fault]) -> Rule {
        Rule {
            service: None,
            action: None,
            rate,
            faults: faults.to_vec(),
            once: false,
        }
    }

    /// The first answer of every distinct `service action` request is lost
    /// after the emulator carried it out; the SDK's retry gets through.
    pub fn first_answer_lost(service: &str, action: &str) -> Rule {
        Rule {
            once: true,
            ..Rule::action(service, action, 1.0, &[Fault::ResetAfter])
        }
    }

    pub fn service(service: &str, rate: f64, faults: &[Fault]) -> Rule {
        Rule {
            service: Some(service.to_owned()),
            ..Rule::any(rate, faults)
        }
    }

    pub fn action(service: &str, action: &str, rate: f64, faults: &[Fault]) -> Rule {
        Rule {
            service: Some(service.to_owned()),
            action: Some(action.to_owned()),
            ..Rule::any(rate, faults)
        }
    }

    fn matches(&self, service: &str, action: &str, first_time: bool) -> bool {
        (first_time || !self.once)
            && self.service.as_deref().is_none_or(|s| s == service)
            && self
                .action
                .as_deref()
                .is_none_or(|a| match a.strip_suffix('*') {
                    Some(prefix) => action.starts_with(prefix),
                    None => a == action,
                })
    }
}

/// One fault the proxy injected.
#[derive(Clone, Debug)]
pub struct Injected {
    pub service: String,
    pub action: String,
    pub fault: Fault,
}

struct Shared {
    seed: u64,
    upstream: u16,
    rules: Mutex<Vec<Rule>>,
    /// Requests seen per "service action": the n of the decision.
    seen: Mutex<BTreeMap<String, u64>>,
    /// Digests of the distinct requests seen (for `Rule::once`).
    distinct: Mutex<std::collections::BTreeSet<u64>>,
    injected: Mutex<Vec<Injected>>,
    forwarded: Mutex<u64>,
    stopped: AtomicBool,
}

/// The proxy; dropping it stops accepting and releases hung connections.
pub struct FaultProxy {
    port: u16,
    shared: Arc<Shared>,
}

impl FaultProxy {
    /// A proxy on a free 127.0.0.1 port in front of 127.0.0.1:`upstream`,
    /// with no rules (it forwards everything) until `set_rules`.
    pub fn start(upstream: u16, seed: u64) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fault proxy on 127.0.0.1");
        let port = listener.local_addr().expect("proxy address").port();
        let shared = Arc::new(Shared {
            seed,
            upstream,
            rules: Mutex::new(Vec::new()),
            seen: Mutex::new(BTreeMap::new()),
            distinct: Mutex::new(Default::default()),
            injected: Mutex::new(Vec::new()),
            forwarded: Mutex::new(0),
            stopped: AtomicBool::new(false),
        });
        let accept = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accept.stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let s = accept.clone();
                std::thread::spawn(move || serve(&s, stream));
            }
        });
        FaultProxy { port, shared }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn seed(&self) -> u64 {
        self.shared.seed
    }

    /// Replace the rules; the first matching rule decides. Requests seen
    /// before count as new again for `Rule::once`.
    pub fn set_rules(&self, rules: Vec<Rule>) {
        *lock(&self.shared.rules) = rules;
        lock(&self.shared.distinct).clear();
    }

    /// Forward everything from now on.
    pub fn pause(&self) {
        self.set_rules(Vec::new());
    }

    /// Every fault injected so far.
    pub fn injected(&self) -> Vec<Injected> {
        lock(&self.shared.injected).clone()
    }

    /// Requests the emulator received through the proxy.
    pub fn forwarded(&self) -> u64 {
        *lock(&self.shared.forwarded)
    }

    /// "N faults (kind: n, …)" for reports.
    pub fn summary(&self) -> String {
        let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
        for i in self.injected() {
            let kind = match i.fault {
                Fault::Latency(_) => "Latency".to_owned(),
                f => format!("{f:?}"),
            };
            *by_kind.entry(kind).or_default() += 1;
        }
        let kinds: Vec<String> = by_kind.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        format!(
            "{} faults ({}) in {} forwarded requests, seed {}",
            self.injected().len(),
            kinds.join(", "),
            self.forwarded(),
            self.shared.seed
        )
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// SplitMix64: a small, well-mixed generator for the per-request decision.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The fault for the `n`-th request of `service action` under `rules`
/// (`first_time`: this exact request was not seen before).
pub fn decide(
    seed: u64,
    rules: &[Rule],
    (service, action): (&str, &str),
    n: u64,
    first_time: bool,
) -> Option<Fault> {
    let rule = rules
        .iter()
        .find(|r| r.matches(service, action, first_time))?;
    if rule.faults.is_empty() {
        return None;
    }
    let a = mix(seed ^ mix(fnv(service) ^ mix(fnv(action) ^ n)));
    let b = mix(a);
    // 53 random bits as a fraction in [0, 1).
    let roll = (a >> 11) as f64 / (1u64 << 53) as f64;
    (roll < rule.rate).then(|| rule.faults[(b % rule.faults.len() as u64) as usize])
}

/// A request as read off the client connection.
pub struct Request {
    pub head: Vec<String>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.iter().skip(1).find_map(|line| {
            let (k, v) = line.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then_some(v.trim())
        })
    }

    /// The SigV4 signing name: `iam`, `states`, `emr-serverless`, ….
    pub fn service(&self) -> String {
        self.header("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').nth(3))
            .unwrap_or("unknown")
            .to_owned()
    }

    /// `X-Amz-Target`'s operation, the query form's `Action`, or for REST
    /// APIs the method and the path with `*` for segments that hold digits
    /// (ids, API dates): `POST /applications/*/stop`, the same in every run.
    pub fn action(&self) -> String {
        if let Some(t) = self.header("x-amz-target") {
            return t.rsplit('.').next().unwrap_or(t).to_owned();
        }
        let form = String::from_utf8_lossy(&self.body);
        if let Some(a) = form.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
            return a.to_owned();
        }
        let mut parts = self.head[0].split_whitespace();
        let method = parts.next().unwrap_or("?");
        let path = parts.next().unwrap_or("/").split('?').next().unwrap_or("/");
        let shape: Vec<&str> = path
            .split('/')
            .filter(|p| !p.is_empty())
            .map(|p| {
                if p.bytes().any(|b| b.is_ascii_digit()) {
                    "*"
                } else {
                    p
                }
            })
            .collect();
        format!("{method} /{}", shape.join("/"))
    }

    fn protocol(&self) -> Protocol {
        if self.header("x-amz-target").is_some() {
            Protocol::Json
        } else if self.service() == "ec2" {
            Protocol::Ec2
        } else if self
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        {
            Protocol::Query
        } else {
            Protocol::RestJson
        }
    }
}

#[derive(Clone, Copy)]
enum Protocol {
    Query,
    Ec2,
    Json,
    RestJson,
}

/// The error answer AWS gives for this fault in this protocol.
fn error_response(protocol: Protocol, fault: Fault) -> Vec<u8> {
    let (status, reason, code, json_code) = match (fault, protocol) {
        (Fault::Throttle, Protocol::Ec2) => {
            (503, "Service Unavailable", "RequestLimitExceeded", "")
        }
        (Fault::Throttle, _) => (400, "Bad Request", "Throttling", "ThrottlingException"),
        (Fault::Unavailable, _) => (
            503,
            "Service Unavailable",
            "ServiceUnavailable",
            "ServiceUnavailableException",
        ),
        (_, Protocol::Ec2) => (500, "Internal Server Error", "InternalError", ""),
        _ => (
            500,
            "Internal Server Error",
            "InternalFailure",
            "InternalFailure",
        ),
    };
    let message = "injected by the test's fault proxy";
    let (content_type, body, extra) = match protocol {
        Protocol::Query => (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>{}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>",
                if status == 400 { "Sender" } else { "Receiver" }
            ),
            String::new(),
        ),
        Protocol::Ec2 => (
            "text/xml",
            format!("<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>"),
            String::new(),
        ),
        Protocol::Json => (
            "application/x-amz-json-1.1",
            format!(r#"{{"__type":"{json_code}","message":"{message}"}}"#),
            String::new(),
        ),
        Protocol::RestJson => (
            "application/json",
            format!(r#"{{"message":"{message}"}}"#),
            format!("x-amzn-ErrorType: {json_code}\r\n"),
        ),
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n{extra}x-amzn-RequestId: fault-proxy\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn serve(shared: &Shared, client: TcpStream) {
    let _ = client.set_read_timeout(Some(Duration::from_secs(120)));
    let Ok(mut reader) = client.try_clone().map(BufReader::new) else {
        return;
    };
    let Some(request) = read_request(&mut reader) else {
        return;
    };
    let (service, action) = (request.service(), request.action());
    let fault = {
        let mut seen = lock(&shared.seen);
        let n = seen.entry(format!("{service} {action}")).or_default();
        *n += 1;
        let digest = fnv(&format!(
            "{}\n{}\n{}",
            request.head[0],
            request.header("x-amz-target").unwrap_or(""),
            String::from_utf8_lossy(&request.body)
        ));
        let first_time = lock(&shared.distinct).insert(digest);
        let rules = lock(&shared.rules);
        decide(shared.seed, &rules, (&service, &action), *n, first_time)
    };
    if let Some(fault) = fault {
        lock(&shared.injected).push(Injected {
            service: service.clone(),
            action: action.clone(),
            fault,
        });
    }
    let mut client = client;
    match fault {
        None | Some(Fault::Latency(_)) | Some(Fault::ResetAfter) => {
            if let Some(Fault::Latency(ms)) = fault {
                std::thread::sleep(Duration::from_millis(ms));
            }
            let answer = forward(shared.upstream, &request);
            *lock(&shared.forwarded) += 1;
            match (fault, answer) {
                (Some(Fault::ResetAfter), _) | (_, None) => {
                    let _ = client.shutdown(Shutdown::Both);
                }
                (_, Some(bytes)) => {
                    let _ = client.write_all(&bytes);
                    let _ = client.flush();
                }
            }
        }
        Some(Fault::ResetBefore) => {
            let _ = client.shutdown(Shutdown::Both);
        }
        Some(Fault::Hang) => {
            while !shared.stopped.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Some(f) => {
            let _ = client.write_all(&error_response(request.protocol(), f));
            let _ = client.flush();
        }
    }
}

/// Head lines and body (Content-Length or chunked) of one HTTP/1.1 request.
pub fn read_request(reader: &mut impl BufRead) -> Option<Request> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            break;
        }
        head.push(line);
    }
    let mut request = Request {
        head,
        body: Vec::new(),
    };
    if request
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            request.body.extend_from_slice(&chunk[..n]);
        }
    } else if let Some(n) = request.header("content-length") {
        let mut body = vec![0; n.parse().ok()?];
        reader.read_exact(&mut body).ok()?;
        request.body = body;
    }
    Some(request)
}

/// The request sent on to the emulator on a fresh connection; its whole
/// answer with `Connection: close`, or `None` if the emulator failed.
fn forward(upstream: u16, request: &Request) -> Option<Vec<u8>> {
    let mut moto = TcpStream::connect(("127.0.0.1", upstream)).ok()?;
    let _ = moto.set_read_timeout(Some(Duration::from_secs(120)));
    let mut out = String::new();
    out.push_str(&request.head[0]);
    out.push_str("\r\n");
    for line in &request.head[1..] {
        let name = line
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if matches!(
            name.as_str(),
            "connection" | "content-length" | "transfer-encoding" | "expect"
        ) {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        request.body.len()
    ));
    moto.write_all(out.as_bytes()).ok()?;
    moto.write_all(&request.body).ok()?;
    let mut answer = Vec::new();
    moto.read_to_end(&mut answer).ok()?;
    Some(close_after(answer))
}

/// The answer with its `Connection` header replaced by `close`, so that the
/// client opens a new connection (through the proxy) for its next request.
fn close_after(answer: Vec<u8>) -> Vec<u8> {
    let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return answer;
    };
    let head = String::from_utf8_lossy(&answer[..end]);
    let mut out = String::new();
    for line in head.split("\r\n") {
        if line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&answer[end + 4..]);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_depend_only_on_seed_service_action_and_count() {
        let rules = vec![Rule::any(0.1, &[Fault::Throttle, Fault::ResetAfter])];
        let run = |seed| -> Vec<Option<Fault>> {
            (1..=2000)
                .map(|n| decide(seed, &rules, ("iam", "CreateRole"), n, true))
                .collect()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let faulted = run(7).iter().filter(|f| f.is_some()).count();
        assert!((150..250).contains(&faulted), "about 10%: {faulted}");
        let kinds: std::collections::BTreeSet<_> = run(7).into_iter().flatten().collect();
        assert_eq!(kinds.len(), 2, "both kinds are picked: {kinds:?}");
    }

    #[test]
    fn the_first_matching_rule_decides() {
        let rules = vec![
            Rule::action("iam", "GetRole", 0.0, &[Fault::Throttle]),
            Rule::service("iam", 1.0, &[Fault::ServerError]),
        ];
        assert_eq!(decide(1, &rules, ("iam", "GetRole"), 1, true), None);
        assert_eq!(
            decide(1, &rules, ("iam", "CreateRole"), 1, true),
            Some(Fault::ServerError)
        );
        assert_eq!(
            decide(1, &rules, ("sts", "GetCallerIdentity"), 1, true),
            None
        );
        let once = vec![Rule::first_answer_lost("iam", "CreateRole")];
        assert_eq!(
            decide(1, &once, ("iam", "CreateRole"), 1, true),
            Some(Fault::ResetAfter)
        );
        assert_eq!(decide(1, &once, ("iam", "CreateRole"), 2, false), None);
        let prefix = vec![Rule::first_answer_lost("lambda", "DELETE *")];
        let delete = ("lambda", "DELETE /*/functions/f");
        assert_eq!(decide(1, &prefix, delete, 1, true), Some(Fault::ResetAfter));
        assert_eq!(
            decide(1, &prefix, ("lambda", "GET /*/functions/f"), 1, true),
            None
        );
    }

    #[test]
    fn requests_are_named_by_protocol() {
        let parse =
            |text: &str| read_request(&mut BufReader::new(text.as_bytes())).expect("a request");
        let auth = "Authorization: AWS4-HMAC-SHA256 Credential=AK/20261202/us-east-1/";
        let query = parse(&format!(
            "POST / HTTP/1.1\r\n{auth}iam/aws4_request, x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 38\r\n\r\nAction=CreateRole&Version=2010-05-08&x"
        ));
        assert_eq!(
            (query.service(), query.action()),
            ("iam".into(), "CreateRole".into())
        );
        let json = parse(&format!(
            "POST / HTTP/1.1\r\n{auth}states/aws4_request\r\nX-Amz-Target: AWSStepFunctions.CreateStateMachine\r\nContent-Length: 2\r\n\r\n{{}}"
        ));
        assert_eq!(json.action(), "CreateStateMachine");
        let rest = parse(&format!(
            "POST /applications/00abc/stop HTTP/1.1\r\n{auth}emr-serverless/aws4_request\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{{}}\r\n0\r\n\r\n"
        ));
        assert_eq!(
            (rest.service(), rest.action(), rest.body),
            (
                "emr-serverless".into(),
                "POST /applications/*/stop".into(),
                b"{}".to_vec()
            )
        );
    }
}
