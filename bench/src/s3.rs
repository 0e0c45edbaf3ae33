//! The S3 rows' server on a free loopback port with one bucket, stopped when dropped: `s3s-fs`
//! (a Rust S3 server over a folder) when it is installed, else moto's `moto_server`. moto is a
//! Python server: on a two-core machine its own CPU and its per-request cost become part of what
//! is measured, so s3s-fs is the fairer stand-in for a real store. Nothing leaves this machine;
//! the keys are made up (s3s-fs checks signatures with them, moto accepts any).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::{BenchError, Context, Result};

pub const BUCKET: &str = "bench";
const ACCESS_KEY: &str = "bench-access-key";
const SECRET_KEY: &str = "bench-secret-key";
/// moto imports a lot of Python before it answers.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Which server the S3 rows run against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerKind {
    S3sFs,
    Moto,
}

impl ServerKind {
    /// s3s-fs when installed, else moto; `None` when neither is.
    pub fn available(on_path: impl Fn(&str) -> bool) -> Option<ServerKind> {
        if on_path("s3s-fs") {
            Some(ServerKind::S3sFs)
        } else if on_path("moto_server") {
            Some(ServerKind::Moto)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ServerKind::S3sFs => "s3s-fs",
            ServerKind::Moto => "moto_server",
        }
    }
}

pub struct S3Server {
    child: Child,
    address: SocketAddr,
    /// s3s-fs keeps its objects here; removed on drop.
    root: Option<PathBuf>,
}

impl S3Server {
    /// Starts the server and creates the bucket.
    pub fn start(kind: ServerKind) -> Result<S3Server> {
        let address = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .context(|| "finding a free loopback port".to_string())?;
        let port = address.port().to_string();
        let (mut command, root) = match kind {
            ServerKind::S3sFs => {
                let root = std::env::temp_dir().join(format!(
                    "results-backup-bench-s3s-{}-{port}",
                    std::process::id()
                ));
                // s3s-fs's buckets are the folders of its root.
                std::fs::create_dir_all(root.join(BUCKET))
                    .context(|| format!("creating the bucket in {}", root.display()))?;
                let mut command = Command::new("s3s-fs");
                command
                    .args(["--host", "127.0.0.1", "--port", &port])
                    .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
                    .arg(&root);
                (command, Some(root))
            }
            ServerKind::Moto => {
                let mut command = Command::new("moto_server");
                command.args(["-H", "127.0.0.1", "-p", &port]);
                (command, None)
            }
        };
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context(|| format!("starting {}", kind.name()))?;
        let mut server = S3Server {
            child,
            address,
            root,
        };
        server.wait_until_answering()?;
        if kind == ServerKind::Moto {
            server.create_bucket()?;
        }
        Ok(server)
    }

    fn wait_until_answering(&mut self) -> Result<()> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(BenchError::new(format!(
                    "the S3 server exited early: {status}"
                )));
            }
            if TcpStream::connect_timeout(&self.address, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(BenchError::new(
                    "the S3 server did not answer within a minute",
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

    /// The CPU time (user plus system) the server has used so far, from `/proc`: it runs on
    /// the same cores as the tool measured, so its share belongs in the picture. `None` where
    /// `/proc` does not tell.
    pub fn cpu_secs(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        cpu_secs_of_stat(&stat)
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

/// Linux reports a process's times in clock ticks of 1/100 s (USER_HZ) in `/proc`.
const TICKS_PER_SECOND: f64 = 100.0;

/// User and system time from a `/proc/<pid>/stat` line: fields 14 and 15, counted after the
/// command name (in parentheses, and free to hold spaces).
fn cpu_secs_of_stat(stat: &str) -> Option<f64> {
    let (_, after_name) = stat.rsplit_once(')')?;
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some((user + system) as f64 / TICKS_PER_SECOND)
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(root) = &self.root {
            let _ = std::fs::remove_dir_all(root);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_is_read_after_the_command_name() {
        let stat = "4242 (s3s fs) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 3 0";
        assert_eq!(cpu_secs_of_stat(stat), Some(3.25));
        assert_eq!(cpu_secs_of_stat("4242 (short) S 1"), None);
        assert_eq!(cpu_secs_of_stat("no name here"), None);
    }
}
