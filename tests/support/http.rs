//! The one HTTP client of the tests: blocking, std only, HTTP/1.1, one request per connection,
//! so every byte on the wire is visible (status line, headers, body). The async tests call it
//! through `tokio::task::spawn_blocking` ([`within`]).
//!
//! It reads one answer: up to its `Content-Length`, through its last chunk, or (with neither)
//! until the server closes the connection. Raw sockets that are the attack itself (stalled
//! readers, half-sent headers, floods) stay in their tests.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::{Value, json};

/// One HTTP answer as received.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// Lower-cased header names; every value received for each.
    pub headers: BTreeMap<String, Vec<String>>,
    pub body: String,
}

impl Reply {
    /// Asserts `Content-Type: application/json`, exactly and once, and parses the body.
    pub fn json(&self) -> Value {
        self.assert_json_type();
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {self:?}"))
    }

    pub fn assert_json_type(&self) {
        assert_eq!(
            self.headers.get("content-type"),
            Some(&vec!["application/json".to_owned()]),
            "{self:?}"
        );
    }

    /// Asserts an error answer: the status, the content type, and `{"errors":[text]}`. A `text`
    /// ending in `": "` is a prefix (the rest is serde's description of a JSON fault).
    pub fn assert_error(&self, status: u16, text: &str) {
        assert_eq!(self.status, status, "{self:?}");
        if text.ends_with(": ") {
            assert!(self.error().starts_with(text), "{self:?}");
        } else {
            assert_eq!(self.json(), json!({"errors": [text]}), "{self:?}");
        }
    }

    /// Asserts `status` with the body `{"errors":[]}` (Vault's and OpenBao's 403, 404 and 405).
    pub fn assert_no_errors(&self, status: u16) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.json(), json!({"errors": []}), "{self:?}");
    }

    /// The single error message of an error answer.
    pub fn error(&self) -> String {
        let v = self.json();
        assert_eq!(v["errors"].as_array().map(Vec::len), Some(1), "{self:?}");
        v["errors"][0].as_str().unwrap().to_owned()
    }

    /// The one value of header `name` (lower case), if it was sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
    }
}

/// A request as [`http`] sends it: `Host`, `Connection: close`, the headers, `Content-Length`
/// when there is a body.
pub fn request_bytes(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> String {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        request.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    request.push_str("\r\n");
    request.push_str(body.unwrap_or_default());
    request
}

/// One request on a fresh connection (`Connection: close`) and its answer.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Reply {
    exchange(
        addr,
        request_bytes(addr, method, path, body, headers).as_bytes(),
    )
}

/// Connects to `addr` with generous timeouts.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
}

/// Sends `request` as is on a fresh connection and reads one answer.
pub fn exchange(addr: SocketAddr, request: &[u8]) -> Reply {
    let mut stream = connect(addr);
    stream.write_all(request).unwrap();
    read_reply(&mut stream)
}

/// [`exchange`] from async code, on the blocking pool; panics if no answer came within `limit`.
#[cfg(feature = "server")]
pub async fn within(addr: SocketAddr, request: &str, limit: Duration) -> Reply {
    let request = request.to_owned();
    let task = tokio::task::spawn_blocking(move || exchange(addr, request.as_bytes()));
    tokio::time::timeout(limit, task)
        .await
        .expect("no answer within the bound")
        .unwrap()
}

/// Reads one answer from `stream`: the head, then the body its headers announce (or, with no
/// length and no chunking, all until the server closes).
pub fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if complete(&raw) {
            break;
        }
        let n = stream.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    parse_reply(&raw)
}

/// Does `raw` hold a whole answer, by its own framing? (`false` for one framed by the close.)
fn complete(raw: &[u8]) -> bool {
    let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let rest = &raw[end + 4..];
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.trim() == name)
                .map(|(_, v)| v.trim().to_owned())
        })
    };
    if header("transfer-encoding").is_some_and(|v| v == "chunked") {
        return rest.ends_with(b"0\r\n\r\n");
    }
    if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        return rest.len() >= len;
    }
    status == 204 || status == 304
}

/// Parses one answer (status line, headers, a body by `Content-Length` or chunked).
pub fn parse_reply(raw: &[u8]) -> Reply {
    let raw = String::from_utf8(raw.to_vec()).unwrap();
    assert!(
        raw.contains("\r\n\r\n"),
        "the connection closed before the answer: {raw:?}"
    );
    let (head, rest) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in lines {
        let (k, v) = line.split_once(':').unwrap();
        map.entry(k.trim().to_ascii_lowercase())
            .or_default()
            .push(v.trim().to_owned());
    }
    let body = if map
        .get("transfer-encoding")
        .is_some_and(|v| v[0] == "chunked")
    {
        dechunk(rest)
    } else {
        let len = map
            .get("content-length")
            .map_or(rest.len(), |v| v[0].parse().unwrap());
        rest[..len.min(rest.len())].to_owned()
    };
    Reply {
        status,
        headers: map,
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = s.split_once("\r\n").unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.push_str(&rest[..size]);
        s = &rest[size + 2..];
    }
}
