//! A real S3 server on loopback for the S3 store's tests: moto's `moto_server` (installed by
//! `scripts/test`, `ensure_moto_server`), started on 127.0.0.1 and a free port, with one bucket,
//! and killed when dropped. Nothing talks to anything off this machine.
//!
//! What the tests check against it goes through plain HTTP here, not through the app's client,
//! so the app is not its own oracle. moto checks no signatures by default, so these requests are
//! unsigned (they carry an `Authorization` header naming the test key, without which moto refuses
//! to delete anything).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Credentials the tests hand to the CLI: moto accepts any, and a test can look for them in
/// output to prove they never appear.
pub const TEST_ACCESS_KEY: &str = "AKIATESTKEYDONOTSHOW";
pub const TEST_SECRET_KEY: &str = "secret-never-shown-Zq8wX2";

/// What the kit's requests say in their `Authorization` header: the shape of a SigV4 one, no
/// real signature (moto does not check them unless started with auth).
const UNSIGNED: &str = "AWS4-HMAC-SHA256 Credential=AKIATESTKEYDONOTSHOW/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";

/// How long moto may take to answer after starting (it imports a lot of Python).
const START_TIMEOUT: Duration = Duration::from_secs(60);

pub struct S3Server {
    child: Child,
    address: SocketAddr,
    bucket: String,
}

impl S3Server {
    /// Starts moto with the bucket `results-test`; panics (the test fails) when it cannot.
    pub fn start() -> S3Server {
        Self::start_with_bucket("results-test")
    }

    pub fn start_with_bucket(bucket: &str) -> S3Server {
        Self::start_with(bucket, &[])
    }

    /// Starts moto checking every request's credentials (its IAM emulation): creating the
    /// bucket is the one request let through unchecked. Keys moto never issued, like the test
    /// keys, are then refused (`InvalidAccessKeyId`), so the unsigned checks below do not work
    /// against this server.
    pub fn start_with_auth() -> S3Server {
        Self::start_with("results-test", &[("INITIAL_NO_AUTH_ACTION_COUNT", "1")])
    }

    fn start_with(bucket: &str, env: &[(&str, &str)]) -> S3Server {
        let address = free_loopback_port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &address.port().to_string()])
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server runs (scripts/test installs it: pip install 'moto[server]')");
        let mut server = S3Server {
            child,
            address,
            bucket: bucket.to_string(),
        };
        server.wait_until_answering();
        let (status, _) = server.request("PUT", &format!("/{bucket}"));
        assert_eq!(status, 200, "moto created the bucket");
        server
    }

    fn wait_until_answering(&mut self) {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("moto_server exited early: {status}");
            }
            if TcpStream::connect_timeout(&self.address, Duration::from_millis(200)).is_ok() {
                return;
            }
            assert!(
                started.elapsed() < START_TIMEOUT,
                "moto_server did not answer"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Where moto listens, for a proxy in front of it.
    pub fn socket_address(&self) -> SocketAddr {
        self.address
    }

    /// Deletes every object in the bucket, then the bucket itself (S3 refuses to delete a
    /// bucket that is not empty).
    pub fn delete_bucket(&self) {
        for key in self.object_keys("") {
            let (status, body) = self.request("DELETE", &format!("/{}/{key}", self.bucket));
            assert_eq!(status, 204, "deleting {key}: {body}");
        }
        let (status, body) = self.request("DELETE", &format!("/{}", self.bucket));
        assert_eq!(status, 204, "deleting the bucket: {body}");
    }

    /// Starts a multipart upload of `key` the way a process killed mid-upload leaves one:
    /// started, never completed or aborted.
    pub fn leave_upload_open(&self, key: &str) {
        let (status, body) = self.request("POST", &format!("/{}/{key}?uploads", self.bucket));
        assert_eq!(status, 200, "starting an upload of {key}: {body}");
    }

    /// `s3://bucket/prefix`.
    pub fn address(&self, prefix: &str) -> String {
        format!("s3://{}/{prefix}", self.bucket)
    }

    /// The environment a CLI run against this server needs: test credentials only, and no
    /// profile files from the real home (`AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`
    /// point at nothing).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", TEST_ACCESS_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY", TEST_SECRET_KEY.into()),
            ("AWS_CONFIG_FILE", "/nonexistent/aws-config".into()),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/aws-credentials".into(),
            ),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    /// Keys of the objects under `prefix`, read with a plain ListObjectsV2.
    pub fn object_keys(&self, prefix: &str) -> Vec<String> {
        let (status, body) = self.request(
            "GET",
            &format!("/{}?list-type=2&prefix={prefix}", self.bucket),
        );
        assert_eq!(status, 200, "listing objects: {body}");
        xml_values(&body, "Key")
    }

    /// Keys of the multipart uploads started and neither completed nor aborted.
    pub fn open_uploads(&self) -> Vec<String> {
        let (status, body) = self.request("GET", &format!("/{}?uploads", self.bucket));
        assert_eq!(status, 200, "listing uploads: {body}");
        xml_values(&body, "Key")
    }

    /// How many parts the open upload of `key` has stored (0 when there is no such upload).
    pub fn open_upload_parts(&self, key: &str) -> usize {
        let (status, body) = self.request("GET", &format!("/{}?uploads", self.bucket));
        assert_eq!(status, 200, "listing uploads: {body}");
        let keys = xml_values(&body, "Key");
        let ids = xml_values(&body, "UploadId");
        let Some(id) = keys.iter().position(|k| k == key).and_then(|i| ids.get(i)) else {
            return 0;
        };
        let (status, body) = self.request("GET", &format!("/{}/{key}?uploadId={id}", self.bucket));
        assert_eq!(status, 200, "listing parts: {body}");
        xml_values(&body, "PartNumber").len()
    }

    /// An object's bytes, read with a plain unsigned GET (not through the app's client); the
    /// status comes first, so a test can say what went wrong.
    pub fn get_object(&self, key: &str) -> (u16, Vec<u8>) {
        let mut stream =
            TcpStream::connect_timeout(&self.address, Duration::from_secs(10)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        write!(
            stream,
            "GET /{}/{key} HTTP/1.1\r\nHost: {}\r\nAuthorization: {UNSIGNED}\r\nConnection: close\r\n\r\n",
            self.bucket, self.address
        )
        .expect("send");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("read");
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("an HTTP answer");
        let head = String::from_utf8_lossy(&response[..split]).to_lowercase();
        // Reading to the end of the connection gives the body as is, unless it came in chunks.
        assert!(
            !head.contains("transfer-encoding: chunked"),
            "a chunked answer: {head}"
        );
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        (status, response[split + 4..].to_vec())
    }

    /// One unsigned HTTP/1.1 request; returns the status and the body as text.
    pub fn request(&self, method: &str, path: &str) -> (u16, String) {
        let mut stream =
            TcpStream::connect_timeout(&self.address, Duration::from_secs(10)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: {UNSIGNED}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.address
        )
        .expect("send");
        let _ = stream.shutdown(Shutdown::Write);
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .unwrap_or(0);
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_string())
            .unwrap_or_default();
        (status, body)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on now (the OS picks it); moto binds it right after.
pub fn free_loopback_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("local address")
}

/// Every `<tag>value</tag>` in a small XML answer, in order (no entities in our keys).
fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split_once(&close).map(|(value, _)| value.to_string()))
        .collect()
}
