//! Parallel gzip compression for archive streams.
//!
//! The input is cut into fixed-size blocks; worker threads compress each block into an
//! independent gzip member with libdeflate, and the caller's thread writes the members to the
//! inner writer in input order. A sequence of gzip members is a valid gzip file (RFC 1952 §2.2),
//! read by `gzip -d`, GNU tar, Python's `gzip`/`tarfile` and flate2's `MultiGzDecoder`.
//!
//! Readers must use a multi-member decoder: flate2's plain `GzDecoder` stops silently after the
//! first member, i.e. after the first `BLOCK_SIZE` bytes.
//!
//! Why libdeflate and independent members rather than a pigz-style single member with zlib-rs:
//! on the 2-core target machine libdeflate level 6 needed about 25% less CPU than zlib-rs
//! level 6 and produced an archive about 2.5% smaller than `gzip -6`'s (zlib-rs's was 0.2% larger).
//! That CPU is needed for SHA-256 hashing alongside compression. libdeflate compresses only whole
//! buffers: it can neither take a preset dictionary nor sync-flush, so each block has to become
//! its own member.
//!
//! Levels: 1..=9 are passed unchanged to libdeflate, whose levels have roughly zlib's
//! speed/ratio meaning (default 6). Values outside that range are clamped. libdeflate's
//! levels 10..=12 are not reachable, because their near-optimal parsing is many times slower,
//! which defeats the purpose of a parallel compressor.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use libdeflater::{CompressionLvl, Compressor};

/// Uncompressed bytes per gzip member.
///
/// 1 MiB because, on generated backtest output, sizes from 128 KiB to 4 MiB were within 0.2% of
/// each other in output size, and their speeds were too close to tell apart. So the size was
/// chosen for memory: with two threads about 4 blocks (plus their outputs) are in flight, about
/// 12 MB RSS in total. The 18-byte header and trailer of each member and the lost back-reference
/// history cost less than 0.1%.
pub const BLOCK_SIZE: usize = 1 << 20;

struct Job {
    seq: u64,
    data: Vec<u8>,
    out: Vec<u8>,
}

/// A finished member. `data` comes back only so its allocation can be reused for a later block.
struct Member {
    data: Vec<u8>,
    out: Vec<u8>,
}

struct Done {
    seq: u64,
    result: io::Result<Member>,
}

/// Compresses one block into `out` as a complete gzip member.
///
/// The compressor is created lazily and dropped after a panic: libdeflater panics if libdeflate
/// cannot allocate, and a panic must become an error for the caller, not a hang or a dead worker
/// whose block never arrives.
fn compress_member(
    engine: &mut Option<Compressor>,
    level: u32,
    data: &[u8],
    out: &mut Vec<u8>,
) -> io::Result<()> {
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        let compressor = engine.get_or_insert_with(|| {
            // Infallible for 1..=9; the fallback only keeps this free of unwrap.
            let lvl = CompressionLvl::new(level as i32).unwrap_or_default();
            Compressor::new(lvl)
        });
        super::gzip_blocks::frame(compressor, data, out)
    }));
    match result {
        Ok(r) => r,
        Err(_) => {
            *engine = None;
            Err(io::Error::other("gzip compression panicked"))
        }
    }
}

fn worker(
    jobs: Arc<Mutex<Receiver<Job>>>,
    done: Sender<Done>,
    cancel: Arc<AtomicBool>,
    level: u32,
) {
    let mut engine = None;
    loop {
        // The lock is held only while waiting for a job, so idle workers queue here and a busy
        // one never blocks the others.
        let job = {
            let Ok(rx) = jobs.lock() else { return };
            match rx.recv() {
                Ok(job) => job,
                // The encoder dropped its sender: finished or abandoned.
                Err(_) => return,
            }
        };
        // Blocks still queued when the encoder is dropped are not worth compressing.
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        let Job { seq, data, mut out } = job;
        let result =
            compress_member(&mut engine, level, &data, &mut out).map(|()| Member { data, out });
        if done.send(Done { seq, result }).is_err() {
            return;
        }
    }
}

/// Compresses to a standard gzip stream using `threads` worker threads.
///
/// Output is a sequence of gzip members, one per `BLOCK_SIZE` bytes of input, in input order.
/// At most `2 * threads` blocks are queued, being compressed, or waiting to be written at any
/// time, so memory does not grow with the input. The inner writer is used only on the thread
/// that calls `write`/`flush`/`finish`.
///
/// Dropping the encoder without `finish` discards unwritten data and joins the workers. The
/// output is then incomplete, which is what an aborted backup should leave behind, rather than
/// a trailer that makes truncated input look whole.
pub struct ParallelGzEncoder<W: Write> {
    inner: Option<W>,
    level: u32,
    /// The block being filled by `write`.
    buf: Vec<u8>,
    jobs: Option<SyncSender<Job>>,
    results: Receiver<Done>,
    cancel: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
    /// Set only if no worker thread could be spawned: then blocks are compressed inline, which
    /// is slower but still correct.
    inline: Option<Option<Compressor>>,
    max_in_flight: u64,
    /// Sequence number of the next block handed out.
    next_seq: u64,
    /// Sequence number of the next block to write; blocks finished early wait in `ready`.
    next_write: u64,
    ready: BTreeMap<u64, Member>,
    /// Allocations returned by finished blocks, reused so steady state allocates nothing.
    free_in: Vec<Vec<u8>>,
    free_out: Vec<Vec<u8>>,
    /// After any error the output is unusable; later calls report that instead of writing a
    /// stream with a hole in it.
    broken: Option<(io::ErrorKind, String)>,
    /// Highest number of blocks in flight seen, kept so tests can check the memory bound.
    peak_in_flight: u64,
    /// Uncompressed bytes accepted by `write` so far: where the next byte will sit in the
    /// inflated stream (what the archive index records for each entry).
    plain_position: u64,
    /// Where each member written so far starts: in the inflated stream and in the file. Kept
    /// for the archive index; 16 bytes per MiB of input.
    member_starts: Vec<MemberStart>,
    /// Uncompressed and compressed bytes of the members written so far.
    plain_written: u64,
    compressed_written: u64,
}

/// Where one gzip member starts: its first byte's offset in the inflated stream (`plain`) and
/// its own offset in the compressed file (`compressed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberStart {
    pub plain: u64,
    pub compressed: u64,
}

impl<W: Write> ParallelGzEncoder<W> {
    pub fn new(inner: W, level: u32, threads: usize) -> Self {
        let level = level.clamp(1, 9);
        let threads = threads.max(1);
        // Two blocks per worker: one compressing and one queued or waiting to be written. That
        // keeps workers busy while the caller writes, with memory proportional to `threads`.
        let max_in_flight = 2 * threads;
        // Capacity equals the in-flight limit, so `send` never blocks: the limit is enforced
        // before sending, by writing out finished blocks.
        let (job_tx, job_rx) = mpsc::sync_channel::<Job>(max_in_flight);
        let (done_tx, done_rx) = mpsc::channel::<Done>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let cancel = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::with_capacity(threads);
        for i in 0..threads {
            let rx = Arc::clone(&job_rx);
            let tx = done_tx.clone();
            let stop = Arc::clone(&cancel);
            // If spawning fails (thread limit, memory), the workers that did start carry on.
            match thread::Builder::new()
                .name(format!("gzip-worker-{i}"))
                .spawn(move || worker(rx, tx, stop, level))
            {
                Ok(handle) => workers.push(handle),
                Err(_) => break,
            }
        }
        let inline = if workers.is_empty() { Some(None) } else { None };
        ParallelGzEncoder {
            inner: Some(inner),
            level,
            buf: Vec::with_capacity(BLOCK_SIZE),
            jobs: Some(job_tx),
            results: done_rx,
            cancel,
            workers,
            inline,
            max_in_flight: max_in_flight as u64,
            next_seq: 0,
            next_write: 0,
            ready: BTreeMap::new(),
            free_in: Vec::new(),
            free_out: Vec::new(),
            broken: None,
            peak_in_flight: 0,
            plain_position: 0,
            member_starts: Vec::new(),
            plain_written: 0,
            compressed_written: 0,
        }
    }

    /// Uncompressed bytes accepted so far: the offset in the inflated stream of the next byte
    /// written.
    pub fn plain_position(&self) -> u64 {
        self.plain_position
    }

    /// Like [`finish`](Self::finish), and also returns where every member starts, in order.
    pub fn finish_with_members(mut self) -> io::Result<(W, Vec<MemberStart>)> {
        self.check()?;
        if let Err(e) = self.finish_blocks() {
            return Err(self.fail(e));
        }
        self.shutdown();
        let members = std::mem::take(&mut self.member_starts);
        let inner = self
            .inner
            .take()
            .ok_or_else(|| io::Error::other("gzip encoder has no inner writer"))?;
        Ok((inner, members))
    }

    /// Flushes every pending block (each member carries its own gzip trailer), joins workers,
    /// returns the inner writer.
    #[cfg(test)]
    pub fn finish(self) -> io::Result<W> {
        self.finish_with_members().map(|(inner, _)| inner)
    }

    fn finish_blocks(&mut self) -> io::Result<()> {
        // An empty input still needs one (empty) member: zero bytes is not a gzip file.
        if !self.buf.is_empty() || self.next_seq == 0 {
            self.dispatch()?;
        }
        self.drain()?;
        self.inner_mut()?.flush()
    }

    fn check(&self) -> io::Result<()> {
        match &self.broken {
            Some((kind, msg)) => Err(io::Error::new(
                *kind,
                format!("gzip encoder unusable after an earlier error: {msg}"),
            )),
            None => Ok(()),
        }
    }

    fn fail(&mut self, e: io::Error) -> io::Error {
        if self.broken.is_none() {
            self.broken = Some((e.kind(), e.to_string()));
        }
        e
    }

    fn inner_mut(&mut self) -> io::Result<&mut W> {
        self.inner
            .as_mut()
            .ok_or_else(|| io::Error::other("gzip encoder has no inner writer"))
    }

    /// Hands the current block to a worker, first writing out finished blocks to stay within
    /// the in-flight limit.
    fn dispatch(&mut self) -> io::Result<()> {
        while self.next_seq - self.next_write >= self.max_in_flight {
            self.wait_one()?;
        }
        let fresh = self
            .free_in
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(BLOCK_SIZE));
        let data = std::mem::replace(&mut self.buf, fresh);
        let out = self.free_out.pop().unwrap_or_default();
        let seq = self.next_seq;
        self.next_seq += 1;
        self.peak_in_flight = self.peak_in_flight.max(self.next_seq - self.next_write);

        if let Some(engine) = self.inline.as_mut() {
            let mut out = out;
            let result =
                compress_member(engine, self.level, &data, &mut out).map(|()| Member { data, out });
            return self.accept(Done { seq, result });
        }

        let sent = match &self.jobs {
            Some(tx) => tx.send(Job { seq, data, out }).is_ok(),
            None => false,
        };
        if !sent {
            return Err(workers_gone());
        }
        // Write whatever is already finished, so output streams out instead of lagging until the
        // in-flight limit forces it.
        loop {
            match self.results.try_recv() {
                Ok(done) => self.accept(done)?,
                Err(TryRecvError::Empty) => return Ok(()),
                Err(TryRecvError::Disconnected) => return Err(workers_gone()),
            }
        }
    }

    fn wait_one(&mut self) -> io::Result<()> {
        match self.results.recv() {
            Ok(done) => self.accept(done),
            Err(_) => Err(workers_gone()),
        }
    }

    /// Takes one finished block and writes every block that is now next in order.
    fn accept(&mut self, done: Done) -> io::Result<()> {
        let member = done.result?;
        self.ready.insert(done.seq, member);
        while let Some(mut member) = self.ready.remove(&self.next_write) {
            self.inner_mut()?.write_all(&member.out)?;
            self.member_starts.push(MemberStart {
                plain: self.plain_written,
                compressed: self.compressed_written,
            });
            self.plain_written += member.data.len() as u64;
            self.compressed_written += member.out.len() as u64;
            self.next_write += 1;
            member.data.clear();
            member.out.clear();
            self.free_in.push(member.data);
            self.free_out.push(member.out);
        }
        Ok(())
    }

    fn drain(&mut self) -> io::Result<()> {
        while self.next_write < self.next_seq {
            self.wait_one()?;
        }
        Ok(())
    }

    /// Closing the job channel makes idle workers return, and the cancel flag makes busy ones skip
    /// queued blocks, so joining waits at most one block's compression time. After `finish` the
    /// queue is empty, so the flag changes nothing there.
    fn shutdown(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
        self.jobs.take();
        for handle in self.workers.drain(..) {
            let _ = handle.join();
        }
    }
}

fn workers_gone() -> io::Error {
    io::Error::other("gzip compression workers exited unexpectedly")
}

impl<W: Write> Write for ParallelGzEncoder<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.check()?;
        if data.is_empty() {
            return Ok(0);
        }
        // A full block is sent only when more data arrives, so `finish` never has to emit a
        // trailing empty member.
        if self.buf.len() >= BLOCK_SIZE {
            if let Err(e) = self.dispatch() {
                return Err(self.fail(e));
            }
        }
        let n = data.len().min(BLOCK_SIZE - self.buf.len());
        self.buf.extend_from_slice(&data[..n]);
        self.plain_position += n as u64;
        Ok(n)
    }

    /// Ends the current member early and writes everything, so the inner writer then holds a
    /// complete, decodable gzip file. Each call costs a short member, so don't call it per record.
    fn flush(&mut self) -> io::Result<()> {
        self.check()?;
        let result = self.flush_blocks();
        result.map_err(|e| self.fail(e))
    }
}

impl<W: Write> ParallelGzEncoder<W> {
    fn flush_blocks(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.dispatch()?;
        }
        self.drain()?;
        self.inner_mut()?.flush()
    }
}

impl<W: Write> Drop for ParallelGzEncoder<W> {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::{GzDecoder, MultiGzDecoder};
    use std::io::Read;
    use std::path::Path;
    use std::process::{Command, Stdio};

    /// Mixed test data: compressible text and float-like bytes plus incompressible noise, so
    /// members vary in cost and finish out of order.
    fn sample(len: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut v = Vec::with_capacity(len + 128);
        while v.len() < len {
            let r = next();
            match r % 4 {
                0 => v.extend_from_slice(
                    format!(
                        "2024-01-02T10:{:02}:00Z,AAPL,BUY,{}.{:02},100\n",
                        r % 60,
                        100 + r % 50,
                        r % 100
                    )
                    .as_bytes(),
                ),
                1 => v.extend_from_slice(&((r % 1000) as f64 * 0.01).to_le_bytes()),
                2 => {
                    for _ in 0..64 {
                        v.extend_from_slice(&next().to_le_bytes());
                    }
                }
                _ => v.extend_from_slice(b"INFO [engine] heartbeat ok\n"),
            }
        }
        v.truncate(len);
        v
    }

    fn compress(data: &[u8], level: u32, threads: usize, chunk: usize) -> Vec<u8> {
        let mut enc = ParallelGzEncoder::new(Vec::new(), level, threads);
        for piece in data.chunks(chunk.max(1)) {
            enc.write_all(piece).expect("write");
        }
        enc.finish().expect("finish")
    }

    fn multi_decode(gz: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        MultiGzDecoder::new(gz)
            .read_to_end(&mut out)
            .expect("decode");
        out
    }

    /// Runs an interop tool; a missing tool fails the test (scripts/test installs them all).
    fn run(program: &str, args: &[&str], stdin: Option<&[u8]>) -> std::process::Output {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                panic!("{program} could not be started ({e}); run scripts/test, which installs it")
            }
        };
        // Write stdin from another thread so a large input can't deadlock against a full
        // stdout pipe.
        let feeder = stdin.map(|bytes| {
            let bytes = bytes.to_vec();
            let mut pipe = child.stdin.take().expect("stdin pipe");
            thread::spawn(move || pipe.write_all(&bytes))
        });
        let output = child.wait_with_output().expect("wait");
        if let Some(f) = feeder {
            f.join().expect("feeder thread").expect("write stdin");
        }
        output
    }

    #[test]
    fn roundtrip_sizes_levels_threads() {
        let sizes = [
            0,
            1,
            1000,
            BLOCK_SIZE - 1,
            BLOCK_SIZE,
            BLOCK_SIZE + 1,
            3 * BLOCK_SIZE + 12345,
        ];
        for (i, &len) in sizes.iter().enumerate() {
            let data = sample(len, 7 + i as u64);
            for &(level, threads) in &[(1, 1), (6, 2), (9, 3), (6, 8)] {
                let gz = compress(&data, level, threads, 65536);
                assert_eq!(
                    multi_decode(&gz),
                    data,
                    "len {len} level {level} threads {threads}"
                );
            }
        }
    }

    #[test]
    fn members_match_block_count_and_order() {
        let data = sample(5 * BLOCK_SIZE / 2, 3);
        let gz = compress(&data, 6, 4, 7777);
        // The first member alone is exactly the first block: proves the cut points and order.
        let mut first = Vec::new();
        GzDecoder::new(&gz[..])
            .read_to_end(&mut first)
            .expect("first member");
        assert_eq!(first, &data[..BLOCK_SIZE]);
        assert_eq!(multi_decode(&gz), data);
    }

    #[test]
    fn member_starts_locate_every_block() {
        let data = sample(5 * BLOCK_SIZE / 2, 41);
        let mut enc = ParallelGzEncoder::new(Vec::new(), 6, 2);
        for piece in data.chunks(9999) {
            enc.write_all(piece).expect("write");
        }
        assert_eq!(enc.plain_position(), data.len() as u64);
        let (gz, members) = enc.finish_with_members().expect("finish");
        assert_eq!(members.len(), 3);
        for (i, start) in members.iter().enumerate() {
            assert_eq!(start.plain, (i * BLOCK_SIZE) as u64);
            let mut plain = Vec::new();
            GzDecoder::new(&gz[start.compressed as usize..])
                .read_to_end(&mut plain)
                .expect("one member");
            let end = ((i + 1) * BLOCK_SIZE).min(data.len());
            assert_eq!(plain, &data[i * BLOCK_SIZE..end]);
        }
    }

    #[test]
    fn empty_input_is_valid_gzip() {
        let gz = compress(&[], 6, 2, 1);
        assert!(gz.len() >= 18 && gz[0] == 0x1f && gz[1] == 0x8b);
        assert!(multi_decode(&gz).is_empty());
    }

    #[test]
    fn odd_levels_and_zero_threads_are_clamped() {
        let data = sample(BLOCK_SIZE + 10, 9);
        for &(level, threads) in &[(0, 0), (42, 1)] {
            let gz = compress(&data, level, threads, 4096);
            assert_eq!(multi_decode(&gz), data);
        }
    }

    #[test]
    fn deterministic_output() {
        let data = sample(4 * BLOCK_SIZE + 99, 11);
        assert_eq!(compress(&data, 6, 2, 100_000), compress(&data, 6, 4, 3_000));
    }

    #[test]
    fn in_flight_is_bounded() {
        let data = sample(16 * BLOCK_SIZE, 5);
        for threads in [1, 2, 3] {
            let mut enc = ParallelGzEncoder::new(std::io::sink(), 1, threads);
            for piece in data.chunks(BLOCK_SIZE / 3) {
                enc.write_all(piece).expect("write");
            }
            assert!(
                enc.peak_in_flight <= 2 * threads as u64,
                "peak {}",
                enc.peak_in_flight
            );
            enc.finish().expect("finish");
        }
    }

    #[test]
    fn flush_leaves_a_complete_stream() {
        let a = sample(BLOCK_SIZE / 2, 21);
        let b = sample(BLOCK_SIZE + 5, 22);
        let mut enc = ParallelGzEncoder::new(Vec::new(), 6, 2);
        enc.write_all(&a).expect("write a");
        enc.flush().expect("flush");
        let gz_a = enc.inner.as_ref().expect("inner").clone();
        assert_eq!(multi_decode(&gz_a), a);
        enc.write_all(&b).expect("write b");
        let gz = enc.finish().expect("finish");
        assert_eq!(multi_decode(&gz), [a, b].concat());
    }

    /// Fails every write after `limit` bytes.
    struct FailingWriter {
        written: usize,
        limit: usize,
    }
    impl Write for FailingWriter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.written >= self.limit {
                return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
            }
            let n = buf.len().min(self.limit - self.written);
            self.written += n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn inner_write_error_surfaces_and_sticks() {
        let data = sample(12 * BLOCK_SIZE, 13);
        let mut enc = ParallelGzEncoder::new(
            FailingWriter {
                written: 0,
                limit: 100_000,
            },
            6,
            2,
        );
        let mut first_err = None;
        for piece in data.chunks(64 * 1024) {
            if let Err(e) = enc.write_all(piece) {
                first_err = Some(e);
                break;
            }
        }
        let err = first_err.expect("the inner writer fills up long before 12 blocks are written");
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
        // The stream now has a hole; nothing may pretend otherwise.
        assert!(enc.write(b"more").is_err());
        assert!(enc.flush().is_err());
        assert!(enc.finish().is_err());
    }

    #[test]
    fn error_during_finish_is_reported() {
        // Small enough that nothing reaches the inner writer before finish.
        let data = sample(BLOCK_SIZE / 2, 17);
        let mut enc = ParallelGzEncoder::new(
            FailingWriter {
                written: 0,
                limit: 10,
            },
            6,
            2,
        );
        enc.write_all(&data).expect("buffered write");
        let err = enc.finish().err().expect("finish must fail");
        assert_eq!(err.kind(), io::ErrorKind::StorageFull);
    }

    #[test]
    fn drop_without_finish_returns_promptly() {
        let data = sample(6 * BLOCK_SIZE, 19);
        let start = std::time::Instant::now();
        for threads in [1, 2, 4] {
            let mut enc = ParallelGzEncoder::new(Vec::new(), 9, threads);
            enc.write_all(&data).expect("write");
            drop(enc);
        }
        // Drop joins the workers; a hang would show up as a test timeout, this guards a
        // gross regression such as draining the whole queue on drop.
        assert!(start.elapsed() < std::time::Duration::from_secs(60));
    }

    #[test]
    fn encoder_is_send_when_writer_is() {
        fn assert_send<T: Send>() {}
        assert_send::<ParallelGzEncoder<std::fs::File>>();
    }

    #[test]
    fn worker_threads_is_positive() {
        assert!(crate::sys::worker_threads() >= 1);
    }

    #[test]
    fn gzip_cli_accepts_output() {
        let data = sample(3 * BLOCK_SIZE + 777, 23);
        let gz = compress(&data, 6, 2, 50_000);
        let t = run("gzip", &["-t"], Some(&gz));
        assert!(
            t.status.success(),
            "gzip -t: {}",
            String::from_utf8_lossy(&t.stderr)
        );
        let d = run("gzip", &["-dc"], Some(&gz));
        assert!(
            d.status.success(),
            "gzip -dc: {}",
            String::from_utf8_lossy(&d.stderr)
        );
        assert_eq!(d.stdout, data);
    }

    #[test]
    fn python_gzip_accepts_output() {
        let data = sample(2 * BLOCK_SIZE + 3, 29);
        let gz = compress(&data, 6, 2, 50_000);
        let script =
            "import gzip,sys; sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))";
        let out = run("python3", &["-c", script], Some(&gz));
        assert!(
            out.status.success(),
            "python gzip: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, data);
    }

    /// A tar.gz built the way the app builds one: `tar::Builder` writing into the encoder.
    fn make_tar_gz(dir: &Path) -> (Vec<u8>, Vec<(String, Vec<u8>)>) {
        let files = vec![
            (
                "results/trades.csv".to_string(),
                sample(2 * BLOCK_SIZE + 100, 31),
            ),
            ("results/empty.txt".to_string(), Vec::new()),
            (
                "results/plots/equity.png".to_string(),
                sample(BLOCK_SIZE / 3, 37),
            ),
        ];
        let archive = dir.join("out.tar.gz");
        let file = std::fs::File::create(&archive).expect("create archive");
        let mut builder = tar::Builder::new(ParallelGzEncoder::new(file, 6, 2));
        for (name, bytes) in &files {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, name, &bytes[..])
                .expect("append");
        }
        let encoder = builder.into_inner().expect("tar finish");
        encoder.finish().expect("gzip finish");
        (std::fs::read(&archive).expect("read archive"), files)
    }

    #[test]
    fn gnu_tar_extracts_output() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, files) = make_tar_gz(dir.path());
        let dest = dir.path().join("x");
        std::fs::create_dir(&dest).expect("mkdir");
        let archive = dir.path().join("out.tar.gz");
        let (Some(a), Some(d)) = (archive.to_str(), dest.to_str()) else {
            panic!("non-UTF-8 temp path")
        };
        let out = run("tar", &["xzf", a, "-C", d], None);
        assert!(
            out.status.success(),
            "tar xzf: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for (name, bytes) in &files {
            assert_eq!(
                &std::fs::read(dest.join(name)).expect("extracted file"),
                bytes,
                "{name}"
            );
        }
    }

    #[test]
    fn python_tarfile_reads_output() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, files) = make_tar_gz(dir.path());
        let archive = dir.path().join("out.tar.gz");
        let Some(a) = archive.to_str() else {
            panic!("non-UTF-8 temp path")
        };
        // Python prints each member as "name\nsize\n" followed by its bytes.
        let script = [
            "import tarfile, sys",
            "out = sys.stdout.buffer",
            "with tarfile.open(sys.argv[1], 'r:gz') as t:",
            "    for m in t.getmembers():",
            "        out.write(('%s\\n%d\\n' % (m.name, m.size)).encode())",
            "        out.write(t.extractfile(m).read())",
        ]
        .join("\n");
        let out = run("python3", &["-c", &script, a], None);
        assert!(
            out.status.success(),
            "python tarfile: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut expected = Vec::new();
        for (name, bytes) in &files {
            expected.extend_from_slice(format!("{name}\n{}\n", bytes.len()).as_bytes());
            expected.extend_from_slice(bytes);
        }
        assert!(
            out.stdout == expected,
            "python tarfile saw different members or contents"
        );
    }

    #[test]
    fn flate2_multi_decoder_reads_tar() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (gz, files) = make_tar_gz(dir.path());
        let mut archive = tar::Archive::new(MultiGzDecoder::new(&gz[..]));
        let mut seen = Vec::new();
        for entry in archive.entries().expect("entries") {
            let mut entry = entry.expect("entry");
            let name = entry.path().expect("path").to_string_lossy().into_owned();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).expect("read entry");
            seen.push((name, bytes));
        }
        assert_eq!(seen, files);
    }
}
