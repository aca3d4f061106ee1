//! A minimal plain-HTTP/1.1 transport over std's `TcpStream`, for testing a server on loopback.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use zeroize::Zeroizing;

use super::{Transport, TransportError};
use crate::client::{Request, Response};

/// Sends each request on a new connection (`Connection: close`) to a plain-HTTP address and
/// reads the answer to the end: enough to test a server on loopback (no TLS, no proxies).
///
/// The request and answer buffers are zeroized once parsed (they carry shares and OTPs); what
/// the kernel's socket buffers hold is out of reach.
#[derive(Debug, Clone)]
pub struct TcpTransport {
    addr: SocketAddr,
    timeout: Duration,
}

/// The largest answer read (a status answer is a few hundred bytes).
const MAX_ANSWER: u64 = 1024 * 1024;

impl TcpTransport {
    /// A transport to `addr`, with a 20-second timeout on connecting, reading and writing.
    #[must_use]
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            timeout: Duration::from_secs(20),
        }
    }

    /// Replaces the timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

fn io(e: &std::io::Error) -> TransportError {
    TransportError(e.to_string())
}

impl Transport for TcpTransport {
    fn send(&mut self, request: &Request) -> Result<Response, TransportError> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
            request.method.as_str(),
            request.path,
            self.addr,
            request.body.len()
        );
        let mut raw = Zeroizing::new(Vec::new());
        for (name, value) in &request.headers {
            if name
                .bytes()
                .chain(value.bytes())
                .any(|b| b == b'\r' || b == b'\n')
            {
                return Err(TransportError("a header holds a line break".to_owned()));
            }
            head.push_str(name);
            head.push_str(": ");
            raw.extend_from_slice(head.as_bytes());
            raw.extend_from_slice(value.as_bytes());
            raw.extend_from_slice(b"\r\n");
            head.clear();
        }
        raw.extend_from_slice(head.as_bytes());
        raw.extend_from_slice(b"\r\n");
        raw.extend_from_slice(&request.body);
        let mut stream =
            TcpStream::connect_timeout(&self.addr, self.timeout).map_err(|e| io(&e))?;
        stream
            .set_read_timeout(Some(self.timeout))
            .map_err(|e| io(&e))?;
        stream
            .set_write_timeout(Some(self.timeout))
            .map_err(|e| io(&e))?;
        stream.write_all(&raw).map_err(|e| io(&e))?;
        let mut answer = Zeroizing::new(Vec::with_capacity(4096));
        stream
            .take(MAX_ANSWER)
            .read_to_end(&mut answer)
            .map_err(|e| io(&e))?;
        parse_answer(&answer)
    }
}

fn bad(what: &str) -> TransportError {
    TransportError(format!("malformed HTTP answer: {what}"))
}

/// Parses `HTTP/1.1 <status> ...`, the headers, and a body framed by `Content-Length`,
/// chunked encoding, or the end of the connection.
fn parse_answer(raw: &[u8]) -> Result<Response, TransportError> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let head = std::str::from_utf8(raw.get(..split).unwrap_or_default())
        .map_err(|_| bad("headers are not UTF-8"))?;
    let rest = raw.get(split.saturating_add(4)..).unwrap_or_default();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| bad("no status code"))?;
    let mut content_type = None;
    let mut length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.to_owned());
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value.parse::<usize>().ok();
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        }
    }
    let body = if chunked {
        dechunk(rest)?
    } else if let Some(n) = length {
        rest.get(..n)
            .ok_or_else(|| bad("body shorter than Content-Length"))?
            .to_vec()
    } else {
        rest.to_vec()
    };
    Ok(Response::new(status, content_type, body))
}

fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, TransportError> {
    let mut out = Vec::new();
    loop {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| bad("chunk size line"))?;
        let size_text = std::str::from_utf8(rest.get(..end).unwrap_or_default())
            .map_err(|_| bad("chunk size"))?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad("chunk size"))?;
        let start = end.saturating_add(2);
        if size == 0 {
            return Ok(out);
        }
        let stop = start.checked_add(size).ok_or_else(|| bad("chunk size"))?;
        out.extend_from_slice(rest.get(start..stop).ok_or_else(|| bad("short chunk"))?);
        rest = rest.get(stop.saturating_add(2)..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_length_chunked_and_close_framed_answers() {
        let r = parse_answer(b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{\"errors\":[]}").unwrap();
        assert_eq!(
            (r.status, r.content_type.as_deref()),
            (400, Some("application/json"))
        );
        assert_eq!(&r.body[..], b"{\"errors\":[]");
        let r = parse_answer(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n").unwrap();
        assert_eq!((&r.body[..], r.content_type), (&b"abcde"[..], None));
        let r = parse_answer(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
        assert!(r.body.is_empty());
        assert!(parse_answer(b"HTTP/1.1 200 OK\r\n").is_err());
        assert!(parse_answer(b"HTTP/1.1 2x0 OK\r\n\r\n").is_err());
    }
}
