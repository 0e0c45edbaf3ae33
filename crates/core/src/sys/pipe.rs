//! The pieces a streaming pipeline of threads is made of: reading bounded pieces, a reader of
//! the chunks another thread sends, and handing chunks (or a read error) downstream.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender};

use crate::error::Error;

/// Reads up to `max` bytes into a new buffer, empty at the end of the input. The buffer is not
/// zeroed first (`read_to_end` fills spare capacity), which matters at a gigabyte a run.
pub fn read_piece(reader: &mut dyn Read, max: usize) -> io::Result<Vec<u8>> {
    let mut piece = Vec::with_capacity(max);
    reader.take(max as u64).read_to_end(&mut piece)?;
    Ok(piece)
}

/// A piece of a stream, or the error that ended it.
pub type Chunk = io::Result<Vec<u8>>;

/// Reads, as a stream, the chunks another thread sends.
pub struct ChunkReader {
    chunks: Option<Receiver<Chunk>>,
    current: Vec<u8>,
    offset: usize,
}

impl ChunkReader {
    /// Stops listening: the sending thread's next send fails, which tells it to stop.
    pub fn close(&mut self) {
        self.chunks = None;
    }

    pub fn new(chunks: Receiver<Chunk>) -> Self {
        ChunkReader {
            chunks: Some(chunks),
            current: Vec::new(),
            offset: 0,
        }
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.offset == self.current.len() {
            let Some(chunks) = &self.chunks else {
                return Ok(0);
            };
            match chunks.recv() {
                Ok(Ok(chunk)) => {
                    self.current = chunk;
                    self.offset = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    self.chunks = None;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.current.len() - self.offset);
        buf[..n].copy_from_slice(&self.current[self.offset..self.offset + n]);
        self.offset += n;
        Ok(n)
    }
}

/// Hands a read error to the stage downstream (which reports it where the data was wanted) and
/// returns a copy for the stage's own outcome. A store's failure carried inside the error stays
/// typed in the copy too (see [`Error::carried_by`]), so neither side mistakes it for damage.
pub fn forward<T>(sender: &SyncSender<io::Result<T>>, error: io::Error) -> io::Error {
    let returned = match Error::carried_by(&error) {
        Some(carried) => io::Error::other(carried),
        None => io::Error::new(error.kind(), error.to_string()),
    };
    let _ = sender.send(Err(error));
    returned
}

/// Moves `source` into the channel chunk by chunk. `Ok(true)` at the end of the source,
/// `Ok(false)` when the receiving side stopped listening (an error or cancel there); a read
/// error is forwarded to the receiver and returned.
pub fn pump(
    source: &mut dyn Read,
    sender: &SyncSender<Chunk>,
    chunk_size: usize,
) -> io::Result<bool> {
    loop {
        let chunk = match read_piece(source, chunk_size) {
            Ok(chunk) => chunk,
            Err(e) => return Err(forward(sender, e)),
        };
        if chunk.is_empty() {
            return Ok(true);
        }
        if sender.send(Ok(chunk)).is_err() {
            return Ok(false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::RemoteReason;
    use std::sync::mpsc::sync_channel;

    #[test]
    fn a_stores_failure_stays_typed_on_both_sides_of_a_forward() {
        let lost = Error::Remote {
            store: "s3://bucket/team".into(),
            action: "download",
            object: "\"alpha_20261130_101500.tar.gz\"".into(),
            reason: RemoteReason::ConnectionLost,
        };
        let (sender, receiver) = sync_channel::<Chunk>(1);
        let returned = forward(&sender, io::Error::other(lost));
        let downstream = match receiver.recv() {
            Ok(Err(error)) => error,
            _ => panic!("the error went downstream"),
        };
        for error in [returned, downstream] {
            let carried = Error::carried_by(&error).expect("still the store's failure");
            assert_eq!(carried.code(), "store_unreachable");
            // Wherever it surfaces as an I/O failure, it is reported as the store's.
            let surfaced = Error::io("read", "s3://bucket/team/alpha.tar.gz", error);
            assert!(matches!(surfaced, Error::Remote { .. }), "{surfaced:?}");
        }
        let plain = forward(&sender, io::Error::other("inflate failed"));
        assert!(Error::carried_by(&plain).is_none());
    }
}
