//! A misbehaving network between the app and the test S3 server: a TCP proxy on loopback that
//! forwards to the server and can be told to
//!
//! - cut every connection once it has carried N bytes (both directions counted),
//! - go down for good once N bytes have passed in all (a cable pulled mid-transfer: retries,
//!   which resume a download where it stopped, get nowhere),
//! - answer the next K requests itself with S3's `503 Slow Down` (a throttling storm),
//! - hold back each response for a while (a slow server),
//! - accept connections and never answer (a blackholed server),
//! - refuse every request but GET and HEAD with S3's `403 AccessDenied` (a key that may read
//!   the bucket but not write it, which moto cannot express),
//! - run something just before the next GET goes on (another writer acting between two of
//!   the client's requests).
//!
//! Plain std threads; every thread notices within [`POLL`] that the proxy was dropped. A
//! request is recognised by its head; bodies are skipped by their `Content-Length` (what the
//! S3 client sends), so a storm hits requests on reused connections too.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often a waiting thread looks whether the proxy is gone.
const POLL: Duration = Duration::from_millis(100);
/// A request head longer than this is not one the S3 client sends; the connection is dropped.
const MAX_HEAD_BYTES: usize = 64 * 1024;
const NEVER: u64 = u64::MAX;

/// S3's answer when it throttles, word for word but the request id.
const SLOW_DOWN: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>proxy</RequestId></Error>";
/// S3's answer to a request the key's policy does not allow, word for word but the request id.
const ACCESS_DENIED: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>proxy</RequestId></Error>";

#[derive(Default)]
struct Behaviour {
    /// Bytes a connection may carry before it is cut; [`NEVER`] for no cut.
    cut_after: AtomicU64,
    /// Bytes all connections together may carry before the proxy cuts everything, for good.
    down_after: AtomicU64,
    carried: AtomicU64,
    /// Requests still to be answered with 503 Slow Down.
    throttle_left: AtomicUsize,
    /// Milliseconds to hold back each response.
    delay_ms: AtomicU64,
    blackhole: AtomicBool,
    /// Only GET and HEAD go through; anything else is refused with 403 AccessDenied.
    read_only: AtomicBool,
    /// Runs once, just before the next GET is forwarded.
    before_next_get: Mutex<Option<Box<dyn FnOnce() + Send>>>,
    stopped: AtomicBool,
    /// What happened, for assertions.
    connections_accepted: AtomicUsize,
    connections_cut: AtomicUsize,
    requests_throttled: AtomicUsize,
    writes_refused: AtomicUsize,
}

pub struct Proxy {
    address: SocketAddr,
    behaviour: Arc<Behaviour>,
    acceptor: Option<JoinHandle<()>>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards every connection to `target`.
    pub fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let address = listener.local_addr().expect("local address");
        let behaviour = Arc::new(Behaviour {
            cut_after: AtomicU64::new(NEVER),
            down_after: AtomicU64::new(NEVER),
            ..Behaviour::default()
        });
        let shared = Arc::clone(&behaviour);
        let acceptor = std::thread::spawn(move || {
            for client in listener.incoming() {
                if shared.stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                shared.connections_accepted.fetch_add(1, Ordering::SeqCst);
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || serve(client, target, shared));
            }
        });
        Proxy {
            address,
            behaviour,
            acceptor: Some(acceptor),
        }
    }

    /// `http://127.0.0.1:PORT`, to give the app as its endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Cuts every connection (new or open) once it has carried `bytes`, counting both directions.
    pub fn cut_after(&self, bytes: u64) {
        self.behaviour.cut_after.store(bytes, Ordering::SeqCst);
    }

    /// Once `bytes` more have passed (all connections, both directions), cuts every connection
    /// and every new one at its first byte.
    pub fn go_down_after(&self, bytes: u64) {
        let so_far = self.behaviour.carried.load(Ordering::SeqCst);
        self.behaviour
            .down_after
            .store(so_far.saturating_add(bytes), Ordering::SeqCst);
    }

    /// Answers the next `requests` requests with `503 Slow Down`, closing their connections.
    pub fn throttle(&self, requests: usize) {
        self.behaviour
            .throttle_left
            .store(requests, Ordering::SeqCst);
    }

    /// Holds back each response by `delay` before its first byte.
    pub fn delay(&self, delay: Duration) {
        self.behaviour
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// New connections are accepted and never answered.
    pub fn blackhole(&self) {
        self.behaviour.blackhole.store(true, Ordering::SeqCst);
    }

    /// From now on the key "may only read": every request but GET and HEAD is answered with
    /// 403 AccessDenied and never reaches the server.
    pub fn refuse_writes(&self) {
        self.behaviour.read_only.store(true, Ordering::SeqCst);
    }

    /// Runs `action` once, just before the next GET request is forwarded to the server.
    pub fn before_next_get(&self, action: impl FnOnce() + Send + 'static) {
        *lock(&self.behaviour.before_next_get) = Some(Box::new(action));
    }

    /// Back to forwarding faithfully.
    pub fn heal(&self) {
        self.cut_after(NEVER);
        self.behaviour.down_after.store(NEVER, Ordering::SeqCst);
        self.throttle(0);
        self.delay(Duration::ZERO);
        self.behaviour.blackhole.store(false, Ordering::SeqCst);
        self.behaviour.read_only.store(false, Ordering::SeqCst);
    }

    pub fn connections_accepted(&self) -> usize {
        self.behaviour.connections_accepted.load(Ordering::SeqCst)
    }

    pub fn connections_cut(&self) -> usize {
        self.behaviour.connections_cut.load(Ordering::SeqCst)
    }

    pub fn requests_throttled(&self) -> usize {
        self.behaviour.requests_throttled.load(Ordering::SeqCst)
    }

    /// Bytes carried so far, all connections and both directions.
    pub fn bytes_carried(&self) -> u64 {
        self.behaviour.carried.load(Ordering::SeqCst)
    }

    pub fn writes_refused(&self) -> usize {
        self.behaviour.writes_refused.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.behaviour.stopped.store(true, Ordering::SeqCst);
        // Wakes the acceptor, which then sees the flag.
        let _ = TcpStream::connect_timeout(&self.address, POLL);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

/// The lock, even after a panic elsewhere (a test's assertion failing in a hook).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One client connection, to its end.
fn serve(client: TcpStream, target: SocketAddr, behaviour: Arc<Behaviour>) {
    if client.set_read_timeout(Some(POLL)).is_err() {
        return;
    }
    if behaviour.blackhole.load(Ordering::SeqCst) {
        swallow(client, &behaviour);
        return;
    }
    let Ok(server) = TcpStream::connect(target) else {
        return;
    };
    if server.set_read_timeout(Some(POLL)).is_err() {
        return;
    }
    let connection = Arc::new(Connection {
        client,
        server,
        carried: AtomicU64::new(0),
        awaiting_response: AtomicBool::new(false),
        closed: AtomicBool::new(false),
        behaviour,
    });
    let down = {
        let connection = Arc::clone(&connection);
        std::thread::spawn(move || connection.responses())
    };
    connection.requests();
    connection.close();
    let _ = down.join();
}

/// Reads and drops whatever the client sends, answering nothing, until it gives up.
fn swallow(mut client: TcpStream, behaviour: &Behaviour) {
    let mut buffer = [0u8; 16 * 1024];
    while !behaviour.stopped.load(Ordering::SeqCst) {
        match client.read(&mut buffer) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if waiting(&e) => {}
            Err(_) => return,
        }
    }
}

fn waiting(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
    )
}

struct Connection {
    client: TcpStream,
    server: TcpStream,
    /// Bytes carried so far, both directions.
    carried: AtomicU64,
    /// A request went up and its response has not started yet (for the delay).
    awaiting_response: AtomicBool,
    closed: AtomicBool,
    behaviour: Arc<Behaviour>,
}

impl Connection {
    fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.server.shutdown(Shutdown::Both);
    }

    fn done(&self) -> bool {
        self.closed.load(Ordering::SeqCst) || self.behaviour.stopped.load(Ordering::SeqCst)
    }

    /// Reads into `buffer`; `None` at the end of the stream, on an error or when done.
    fn read(&self, mut from: &TcpStream, buffer: &mut [u8]) -> Option<usize> {
        loop {
            if self.done() {
                return None;
            }
            match from.read(buffer) {
                Ok(0) => return None,
                Ok(n) => return Some(n),
                Err(e) if waiting(&e) => {}
                Err(_) => return None,
            }
        }
    }

    /// Writes `bytes` on, counting them; cuts the connection at the budget. `false` once cut.
    fn carry(&self, mut to: &TcpStream, bytes: &[u8]) -> bool {
        let length = bytes.len() as u64;
        let budget = self.behaviour.cut_after.load(Ordering::SeqCst);
        let before = self.carried.fetch_add(length, Ordering::SeqCst);
        let total_budget = self.behaviour.down_after.load(Ordering::SeqCst);
        let total_before = self.behaviour.carried.fetch_add(length, Ordering::SeqCst);
        let allowed = budget
            .saturating_sub(before)
            .min(total_budget.saturating_sub(total_before))
            .min(length) as usize;
        if to.write_all(&bytes[..allowed]).is_err() {
            return false;
        }
        if allowed < bytes.len() {
            self.behaviour
                .connections_cut
                .fetch_add(1, Ordering::SeqCst);
            self.close();
            return false;
        }
        true
    }

    /// Client to server, request by request: a head, then `Content-Length` bytes of body.
    fn requests(&self) {
        let mut buffer = vec![0u8; 64 * 1024];
        let mut head: Vec<u8> = Vec::new();
        let mut body_left = 0u64;
        while let Some(n) = self.read(&self.client, &mut buffer) {
            let mut input = &buffer[..n];
            while !input.is_empty() {
                if body_left > 0 {
                    let take = body_left.min(input.len() as u64) as usize;
                    if !self.carry(&self.server, &input[..take]) {
                        return;
                    }
                    body_left -= take as u64;
                    input = &input[take..];
                    continue;
                }
                head.extend_from_slice(input);
                input = &[];
                let Some(end) = find(&head, b"\r\n\r\n") else {
                    if head.len() > MAX_HEAD_BYTES {
                        return;
                    }
                    continue;
                };
                let rest = head.split_off(end + 4);
                let request = std::mem::take(&mut head);
                let length = content_length(&request);
                if request.starts_with(b"GET ") {
                    let action = lock(&self.behaviour.before_next_get).take();
                    if let Some(action) = action {
                        action();
                    }
                }
                if self.take_throttle() {
                    self.answer_instead("503 Slow Down", SLOW_DOWN, rest.len() as u64, length);
                    return;
                }
                if self.refused_write(&request) {
                    self.answer_instead("403 Forbidden", ACCESS_DENIED, rest.len() as u64, length);
                    return;
                }
                self.awaiting_response.store(true, Ordering::SeqCst);
                if !self.carry(&self.server, &request) {
                    return;
                }
                body_left = length;
                // What followed the head is body (or the next request): handled next round.
                let take = body_left.min(rest.len() as u64) as usize;
                if !self.carry(&self.server, &rest[..take]) {
                    return;
                }
                body_left -= take as u64;
                head = rest[take..].to_vec();
                if !head.is_empty() && find(&head, b"\r\n\r\n").is_some() {
                    // A pipelined request: the S3 client never sends one; not supported.
                    return;
                }
            }
        }
    }

    fn take_throttle(&self) -> bool {
        let left = &self.behaviour.throttle_left;
        let taken = left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if taken {
            self.behaviour
                .requests_throttled
                .fetch_add(1, Ordering::SeqCst);
        }
        taken
    }

    fn refused_write(&self, request: &[u8]) -> bool {
        let reads = request.starts_with(b"GET ") || request.starts_with(b"HEAD ");
        let refused = !reads && self.behaviour.read_only.load(Ordering::SeqCst);
        if refused {
            self.behaviour.writes_refused.fetch_add(1, Ordering::SeqCst);
        }
        refused
    }

    /// Reads the request's body away (closing on unread data would reset the connection
    /// before the client reads the answer), then answers with `status` and the S3 error
    /// document `body` itself, and closes.
    fn answer_instead(&self, status: &str, body: &str, already: u64, length: u64) {
        let mut left = length.saturating_sub(already);
        let mut buffer = vec![0u8; 64 * 1024];
        while left > 0 {
            let Some(n) = self.read(&self.client, &mut buffer) else {
                return;
            };
            left = left.saturating_sub(n as u64);
        }
        let answer = format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = (&self.client).write_all(answer.as_bytes());
        let _ = (&self.client).flush();
    }

    /// Server to client, holding back the start of each response by the delay.
    fn responses(&self) {
        let mut buffer = vec![0u8; 64 * 1024];
        while let Some(n) = self.read(&self.server, &mut buffer) {
            if self.awaiting_response.swap(false, Ordering::SeqCst) {
                let delay = self.behaviour.delay_ms.load(Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(delay));
            }
            if !self.carry(&self.client, &buffer[..n]) {
                return;
            }
        }
        self.close();
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// The head's `Content-Length`, 0 when absent or unreadable.
fn content_length(head: &[u8]) -> u64 {
    String::from_utf8_lossy(head)
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0)
}
