//! The S3 rows' server: moto's `moto_server` on a free loopback port with one bucket, stopped
//! when dropped. Nothing leaves this machine. The keys are made up: moto accepts any.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{BenchError, Context, Result};

pub const BUCKET: &str = "bench";
const ACCESS_KEY: &str = "bench-access-key";
const SECRET_KEY: &str = "bench-secret-key";
/// moto imports a lot of Python before it answers.
const START_TIMEOUT: Duration = Duration::from_secs(60);

pub struct MotoServer {
    child: Child,
    address: SocketAddr,
}

impl MotoServer {
    /// Starts moto and creates the bucket.
    pub fn start() -> Result<MotoServer> {
        let address = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .context(|| "finding a free loopback port".to_string())?;
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &address.port().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context(|| "starting moto_server".to_string())?;
        let mut server = MotoServer { child, address };
        server.wait_until_answering()?;
        server.create_bucket()?;
        Ok(server)
    }

    fn wait_until_answering(&mut self) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(BenchError::new(format!(
                    "moto_server exited early: {status}"
                )));
            }
            if TcpStream::connect_timeout(&self.address, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(BenchError::new(
                    "moto_server did not answer within a minute",
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// An unsigned `PUT /bucket` (moto checks no signatures).
    fn create_bucket(&self) -> Result<()> {
        let mut stream = TcpStream::connect(self.address)
            .context(|| format!("connecting to moto at {}", self.address))?;
        write!(
            stream,
            "PUT /{BUCKET} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.address
        )
        .context(|| "creating the bucket".to_string())?;
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .context(|| "creating the bucket".to_string())?;
        if !answer.starts_with("HTTP/1.1 200") {
            return Err(BenchError::new(format!(
                "moto refused to create the bucket: {}",
                answer.lines().next().unwrap_or("")
            )));
        }
        Ok(())
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Shell exports for our CLI (the AWS chain) and for rclone (a remote named `bench`), put
    /// in front of a row's script. A CA bundle named by the environment (`AWS_CA_BUNDLE`) is
    /// dropped: the server speaks plain HTTP, and rclone's S3 client refuses to start with one.
    pub fn exports(&self) -> String {
        format!(
            "unset AWS_CA_BUNDLE; export AWS_ACCESS_KEY_ID={ACCESS_KEY} AWS_SECRET_ACCESS_KEY={SECRET_KEY} \
             AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent \
             RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Other \
             RCLONE_CONFIG_BENCH_ENDPOINT={endpoint} RCLONE_CONFIG_BENCH_ACCESS_KEY_ID={ACCESS_KEY} \
             RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY={SECRET_KEY}; ",
            endpoint = self.endpoint()
        )
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
