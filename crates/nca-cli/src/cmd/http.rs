//! The request side of `nca serve`'s tiny HTTP/1.1 server, with the limits a real server has:
//! the request line and the header section are each capped at [`MAX_HEAD_BYTES`] (414 and 431
//! beyond), a malformed request is a 400, the whole head must arrive within a deadline (so a
//! client trickling one byte at a time cannot hold a thread), and [`ConnectionLimit`] caps how
//! many connections are answered at once (503 beyond).

use std::io::{self, BufRead};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Most bytes of the request line, and separately of the header section.
pub const MAX_HEAD_BYTES: usize = 8 * 1024;

/// Most header lines in one request.
const MAX_HEADERS: usize = 100;

/// A parsed request head: what the server needs to answer.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The path of the target, without query or fragment.
    pub path: String,
}

/// Why a request was refused: the status line to answer with and a one-line reason.
#[derive(Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Status code and reason phrase, e.g. `400 Bad Request`.
    pub status: &'static str,
    /// What was wrong, for the response body.
    pub reason: String,
}

impl Refusal {
    fn bad(reason: impl Into<String>) -> Self {
        Refusal {
            status: "400 Bad Request",
            reason: reason.into(),
        }
    }
}

/// What reading a request head gave.
#[derive(Debug)]
pub enum Head {
    /// A well-formed request.
    Request(Request),
    /// A request to refuse with an error status.
    Refused(Refusal),
    /// The connection closed or timed out before a whole head arrived: nothing to answer.
    Gone,
}

/// Reads one line (through `\n`) into `buf`, at most `cap` bytes. `Ok(false)` when it did not
/// fit; the rest of an over-long line is left unread.
fn read_capped_line(r: &mut impl BufRead, buf: &mut Vec<u8>, cap: usize) -> io::Result<bool> {
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let room = cap.saturating_sub(buf.len());
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) if i < room => (i + 1, true),
            _ if chunk.len() >= room => {
                return Ok(false);
            }
            _ => (chunk.len(), false),
        };
        buf.extend_from_slice(&chunk[..take]);
        r.consume(take);
        if done {
            return Ok(true);
        }
    }
}

/// Reads and checks a request head. `before_read` is called before each read with the time
/// left until `deadline` (the caller sets the socket's read timeout from it).
pub fn read_head(
    r: &mut impl BufRead,
    deadline: Instant,
    mut before_read: impl FnMut(Duration) -> io::Result<()>,
) -> Head {
    let mut line = Vec::new();
    let mut next_line = |buf: &mut Vec<u8>, cap: usize| -> io::Result<bool> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        before_read(left)?;
        read_capped_line(r, buf, cap)
    };
    match next_line(&mut line, MAX_HEAD_BYTES) {
        Ok(true) => {}
        Ok(false) => {
            return Head::Refused(Refusal {
                status: "414 URI Too Long",
                reason: format!("the request line is over {MAX_HEAD_BYTES} bytes"),
            });
        }
        Err(_) => return Head::Gone,
    }
    let request = match parse_request_line(&line) {
        Ok(r) => r,
        Err(e) => return Head::Refused(e),
    };
    let mut header_bytes = 0;
    for _ in 0..=MAX_HEADERS {
        let mut h = Vec::new();
        match next_line(&mut h, MAX_HEAD_BYTES - header_bytes) {
            Ok(true) => {}
            Ok(false) => {
                return Head::Refused(Refusal {
                    status: "431 Request Header Fields Too Large",
                    reason: format!("the headers are over {MAX_HEAD_BYTES} bytes"),
                });
            }
            Err(_) => return Head::Gone,
        }
        header_bytes += h.len();
        let text = trim_eol(&h);
        if text.is_empty() {
            return Head::Request(request);
        }
        if !text.contains(&b':') || text[0] == b' ' || text[0] == b'\t' {
            return Head::Refused(Refusal::bad("a header line is not 'Name: value'"));
        }
    }
    Head::Refused(Refusal {
        status: "431 Request Header Fields Too Large",
        reason: format!("over {MAX_HEADERS} header lines"),
    })
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// `METHOD /target HTTP/1.x`, nothing else.
fn parse_request_line(line: &[u8]) -> Result<Request, Refusal> {
    let text = std::str::from_utf8(trim_eol(line))
        .map_err(|_| Refusal::bad("the request line is not UTF-8"))?;
    let parts: Vec<&str> = text.split(' ').collect();
    let [method, target, version] = parts[..] else {
        return Err(Refusal::bad(
            "the request line is not 'METHOD /path HTTP/1.1'",
        ));
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Refusal::bad("the method is not a token"));
    }
    if !target.starts_with('/') || target.bytes().any(|b| b.is_ascii_control()) {
        return Err(Refusal::bad("the target is not a path starting with '/'"));
    }
    if version != "HTTP/1.1" && version != "HTTP/1.0" {
        return Err(Refusal::bad("only HTTP/1.0 and HTTP/1.1"));
    }
    let path = target.split(['?', '#']).next().unwrap_or("/").to_owned();
    Ok(Request {
        method: method.to_owned(),
        path,
    })
}

/// Caps the connections answered at once; [`ConnectionLimit::try_enter`] hands out a permit
/// that frees its place when dropped.
#[derive(Clone, Debug)]
pub struct ConnectionLimit {
    open: Arc<AtomicUsize>,
    max: usize,
}

/// One place under a [`ConnectionLimit`], held while a connection is answered.
#[derive(Debug)]
pub struct Permit(Arc<AtomicUsize>);

impl Drop for Permit {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl ConnectionLimit {
    /// A limit of `max` connections at once.
    pub fn new(max: usize) -> Self {
        ConnectionLimit {
            open: Arc::new(AtomicUsize::new(0)),
            max,
        }
    }

    /// A permit, or `None` when `max` connections are already open.
    pub fn try_enter(&self) -> Option<Permit> {
        self.open
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.max).then_some(n + 1)
            })
            .ok()
            .map(|_| Permit(Arc::clone(&self.open)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Cursor, Read};

    fn head(bytes: &[u8]) -> Head {
        let far = Instant::now() + Duration::from_secs(60);
        read_head(
            &mut BufReader::new(Cursor::new(bytes.to_vec())),
            far,
            |_| Ok(()),
        )
    }

    fn status(bytes: &[u8]) -> &'static str {
        match head(bytes) {
            Head::Refused(r) => r.status,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_well_formed_get_gives_its_path_without_the_query() {
        let Head::Request(r) = head(b"GET /a/b.js?v=1 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n")
        else {
            panic!("not parsed")
        };
        assert_eq!(
            r,
            Request {
                method: "GET".into(),
                path: "/a/b.js".into()
            }
        );
        assert!(matches!(head(b"HEAD / HTTP/1.0\n\n"), Head::Request(_)));
    }

    #[test]
    fn over_long_request_lines_and_headers_are_refused_without_reading_them_whole() {
        let mut long_line = b"GET /".to_vec();
        long_line.extend(std::iter::repeat_n(b'a', MAX_HEAD_BYTES));
        long_line.extend(b" HTTP/1.1\r\n\r\n");
        assert_eq!(status(&long_line), "414 URI Too Long");

        // A 64 MiB header line: refused after reading at most the cap (plus one buffer).
        let mut big = b"GET / HTTP/1.1\r\nX: ".to_vec();
        big.extend(std::iter::repeat_n(b'b', 64 << 20));
        let mut reader = BufReader::new(Cursor::new(big));
        let far = Instant::now() + Duration::from_secs(60);
        let Head::Refused(r) = read_head(&mut reader, far, |_| Ok(())) else {
            panic!("not refused")
        };
        assert_eq!(r.status, "431 Request Header Fields Too Large");
        let read = reader.get_ref().position() as usize;
        assert!(read <= 2 * MAX_HEAD_BYTES + 8192, "read {read} bytes");

        // Many small headers add up to the same cap.
        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..90 {
            many.extend(format!("X-{i}: {}\r\n", "c".repeat(100)).bytes());
        }
        many.extend(b"\r\n");
        assert_eq!(status(&many), "431 Request Header Fields Too Large");
        // Just under the cap is fine.
        let mut fits = b"GET / HTTP/1.1\r\n".to_vec();
        fits.extend(format!("X: {}\r\n\r\n", "d".repeat(MAX_HEAD_BYTES - 8)).bytes());
        assert!(matches!(head(&fits), Head::Request(_)));
    }

    #[test]
    fn malformed_requests_are_bad_requests() {
        for bad in [
            &b"GET\r\n\r\n"[..],
            b"GET / HTTP/1.1 extra\r\n\r\n",
            b"get / HTTP/1.1\r\n\r\n",
            b"GET index.html HTTP/1.1\r\n\r\n",
            b"GET / HTTP/2.0\r\n\r\n",
            b"GET / SPDY\r\n\r\n",
            b"GET /\xff HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
            b"GET / HTTP/1.1\r\n folded: header\r\n\r\n",
        ] {
            assert_eq!(
                status(bad),
                "400 Bad Request",
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn a_closed_or_silent_connection_gets_no_answer() {
        assert!(matches!(head(b""), Head::Gone));
        assert!(matches!(head(b"GET / HTTP/1.1\r\nHost: x"), Head::Gone));
        // A deadline already past: nothing is read.
        let mut r = BufReader::new(Cursor::new(b"GET / HTTP/1.1\r\n\r\n".to_vec()));
        let past = Instant::now() - Duration::from_secs(1);
        assert!(matches!(read_head(&mut r, past, |_| Ok(())), Head::Gone));
        let mut rest = String::new();
        r.read_to_string(&mut rest).unwrap();
        assert!(rest.starts_with("GET"), "{rest}");
    }

    #[test]
    fn the_connection_limit_hands_out_at_most_max_permits_and_frees_them_on_drop() {
        let limit = ConnectionLimit::new(2);
        let a = limit.try_enter().unwrap();
        let b = limit.clone().try_enter().unwrap();
        assert!(limit.try_enter().is_none());
        drop(a);
        let c = limit.try_enter().unwrap();
        assert!(limit.try_enter().is_none());
        drop((b, c));
        assert!(limit.try_enter().is_some());
    }
}
