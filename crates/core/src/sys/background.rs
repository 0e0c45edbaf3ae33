//! Work that check and restore hand to threads of their own so the thread parsing the archive
//! never waits for it: hashing each file's content, and flushing restored files to disk. Both
//! take input through bounded channels, so memory stays small whatever the archive's size.

use std::collections::BTreeMap;
use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

use super::hashing::Sha256;

/// How many pieces may wait for a worker; with 256 KiB pieces, about 4 MiB.
const QUEUE_DEPTH: usize = 16;

enum Piece {
    Begin(String),
    Bytes(Vec<u8>),
    End,
}

/// Computes the SHA-256 of each file's content, in archive order, on its own thread.
pub struct ContentHasher {
    sender: Option<SyncSender<Piece>>,
    worker: Option<JoinHandle<BTreeMap<String, String>>>,
}

impl ContentHasher {
    /// Starts the worker thread.
    pub fn start() -> Self {
        let (sender, receiver) = sync_channel::<Piece>(QUEUE_DEPTH);
        let worker = std::thread::spawn(move || {
            let mut digests = BTreeMap::new();
            let mut current: Option<(String, Sha256)> = None;
            for piece in receiver {
                match piece {
                    Piece::Begin(path) => current = Some((path, Sha256::new())),
                    Piece::Bytes(bytes) => {
                        if let Some((_, hasher)) = current.as_mut() {
                            hasher.update(&bytes);
                        }
                    }
                    Piece::End => {
                        if let Some((path, hasher)) = current.take() {
                            digests.insert(path, hasher.finish_hex());
                        }
                    }
                }
            }
            digests
        });
        ContentHasher {
            sender: Some(sender),
            worker: Some(worker),
        }
    }

    fn send(&self, piece: Piece) {
        // The worker only stops when the sender is dropped, so a failed send cannot happen
        // while `self` lives; were it to, the missing digest shows up as a mismatch.
        if let Some(sender) = &self.sender {
            let _ = sender.send(piece);
        }
    }

    /// Starts the file at `path` (its canonical archive path).
    pub fn begin(&self, path: &str) {
        self.send(Piece::Begin(path.to_string()));
    }

    pub fn bytes(&self, bytes: Vec<u8>) {
        self.send(Piece::Bytes(bytes));
    }

    pub fn end(&self) {
        self.send(Piece::End);
    }

    /// Waits for every digest: canonical path -> SHA-256 hex.
    pub fn finish(&mut self) -> BTreeMap<String, String> {
        self.sender = None;
        self.worker
            .take()
            .and_then(|w| w.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for ContentHasher {
    fn drop(&mut self) {
        self.sender = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// Flushes finished files to disk on its own thread, so writing the next file overlaps with the
/// disk catching up on the previous ones. The first failure is kept and reported by `finish`.
pub struct FileSyncer {
    sender: Option<SyncSender<(File, PathBuf)>>,
    worker: Option<JoinHandle<Result<(), (PathBuf, io::Error)>>>,
}

impl FileSyncer {
    /// Starts the worker thread.
    pub fn start() -> Self {
        let (sender, receiver) = sync_channel::<(File, PathBuf)>(QUEUE_DEPTH);
        let worker = std::thread::spawn(move || {
            let mut first_failure = Ok(());
            for (file, path) in receiver {
                if first_failure.is_ok() {
                    if let Err(e) = file.sync_all() {
                        first_failure = Err((path, e));
                    }
                }
            }
            first_failure
        });
        FileSyncer {
            sender: Some(sender),
            worker: Some(worker),
        }
    }

    pub fn sync(&self, file: File, path: PathBuf) {
        if let Some(sender) = &self.sender {
            let _ = sender.send((file, path));
        }
    }

    /// Waits until every file handed over is on disk.
    pub fn finish(&mut self) -> Result<(), (PathBuf, io::Error)> {
        self.sender = None;
        match self.worker.take().map(|w| w.join()) {
            Some(Ok(outcome)) => outcome,
            _ => Err((
                PathBuf::new(),
                io::Error::other("the disk-flushing thread stopped unexpectedly"),
            )),
        }
    }
}

impl Drop for FileSyncer {
    fn drop(&mut self) {
        self.sender = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}
