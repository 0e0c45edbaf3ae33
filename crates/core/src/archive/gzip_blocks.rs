//! How our gzip members are framed, and how a reader uses that to inflate them in parallel.
//!
//! Every member we write carries its own total length in a gzip extra field (RFC 1952 FEXTRA,
//! subfield `RB`), the way BGZF does for genomics data. Any gzip reader skips the field; our
//! reader uses it to cut the stream into whole members without inflating them and to inflate
//! several at once with libdeflate. Anything without the field (archives from other tools, a
//! damaged header) is read the ordinary way: one streaming decoder to the end of the file.

use flate2::read::MultiGzDecoder;
use libdeflater::{Compressor, Decompressor};
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::mpsc::{channel, sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use crate::sys::pipe::{forward, pump, read_piece};

/// Header: magic, CM=8, FLG=FEXTRA, MTIME 0, XFL 0, OS unknown, XLEN=8, then the subfield
/// `R` `B`, its length 4, and the member's total length (little-endian u32).
const HEADER_LEN: usize = 20;
const SUBFIELD_ID: [u8; 2] = *b"RB";
const TRAILER_LEN: usize = 8;
/// Far above any member we write (1 MiB blocks); a length beyond it means damage.
const MAX_MEMBER_LEN: usize = 8 << 20;

/// Compresses `data` into `out` as one complete, length-framed gzip member.
pub fn frame(compressor: &mut Compressor, data: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
    let bound = compressor.deflate_compress_bound(data.len());
    out.clear();
    out.resize(HEADER_LEN + bound + TRAILER_LEN, 0);
    let written = compressor
        .deflate_compress(data, &mut out[HEADER_LEN..HEADER_LEN + bound])
        .map_err(|e| io::Error::other(format!("libdeflate: {e}")))?;
    let total = HEADER_LEN + written + TRAILER_LEN;
    out.truncate(total);
    out[..HEADER_LEN].copy_from_slice(&header(total as u32));
    let trailer = &mut out[HEADER_LEN + written..];
    trailer[..4].copy_from_slice(&libdeflater::crc32(data).to_le_bytes());
    trailer[4..].copy_from_slice(&(data.len() as u32).to_le_bytes());
    Ok(())
}

fn header(total: u32) -> [u8; HEADER_LEN] {
    let [a, b, c, d] = total.to_le_bytes();
    let [r, s] = SUBFIELD_ID;
    [
        0x1f, 0x8b, 8, 0x04, 0, 0, 0, 0, 0, 255, 8, 0, r, s, 4, 0, a, b, c, d,
    ]
}

/// The total length of the member these bytes start, when it is framed by us.
fn framed_length(head: &[u8]) -> Option<usize> {
    if head.len() < HEADER_LEN {
        return None;
    }
    let fixed = head[..3] == [0x1f, 0x8b, 8]
        && head[3] == 0x04
        && head[10..12] == [8, 0]
        && head[12..14] == SUBFIELD_ID
        && head[14..16] == [4, 0];
    let total = u32::from_le_bytes([head[16], head[17], head[18], head[19]]) as usize;
    (fixed && (HEADER_LEN + TRAILER_LEN..=MAX_MEMBER_LEN).contains(&total)).then_some(total)
}

/// A piece of the compressed file: a whole framed member, or raw bytes to stream-decode.
pub enum Unit {
    /// A whole member and its offset in the file (for error messages).
    Member(u64, Vec<u8>),
    Raw(Vec<u8>),
}

type Sent<T> = io::Result<T>;

/// Cuts the compressed stream into units. `Ok(true)` at the end of the file, `Ok(false)` when
/// the receiver stopped listening; read errors are forwarded and returned.
pub fn split(
    source: &mut dyn Read,
    sender: &SyncSender<Sent<Unit>>,
    raw_chunk: usize,
) -> io::Result<bool> {
    let mut offset = 0u64;
    loop {
        let head = match read_piece(source, HEADER_LEN) {
            Ok(head) => head,
            Err(e) => return Err(forward(sender, e)),
        };
        if head.is_empty() {
            return Ok(true);
        }
        let Some(total) = framed_length(&head) else {
            return split_raw(head, source, sender, raw_chunk);
        };
        let mut member = head;
        member.reserve(total - HEADER_LEN);
        if let Err(e) = source
            .take((total - HEADER_LEN) as u64)
            .read_to_end(&mut member)
        {
            return Err(forward(sender, e));
        }
        if member.len() < total {
            let e = io::Error::new(io::ErrorKind::UnexpectedEof, "the file ends inside a block");
            return Err(forward(sender, e));
        }
        let length = member.len() as u64;
        if sender.send(Ok(Unit::Member(offset, member))).is_err() {
            return Ok(false);
        }
        offset += length;
    }
}

/// From the first unframed byte on, everything goes as raw chunks.
fn split_raw(
    first: Vec<u8>,
    source: &mut dyn Read,
    sender: &SyncSender<Sent<Unit>>,
    raw_chunk: usize,
) -> io::Result<bool> {
    let mut chunk = first;
    loop {
        if chunk.is_empty() {
            return Ok(true);
        }
        if sender.send(Ok(Unit::Raw(chunk))).is_err() {
            return Ok(false);
        }
        chunk = match read_piece(source, raw_chunk) {
            Ok(chunk) => chunk,
            Err(e) => return Err(forward(sender, e)),
        };
    }
}

/// Inflates the units in order into `output`: framed members on `workers` threads at once
/// (re-ordered as they finish), raw bytes with one streaming decoder. Same return convention as
/// [`split`].
pub fn inflate(
    units: Receiver<Sent<Unit>>,
    output: &SyncSender<Sent<Vec<u8>>>,
    workers: usize,
    plain_chunk: usize,
) -> io::Result<bool> {
    std::thread::scope(|scope| {
        let (job_sender, job_receiver) = sync_channel::<(u64, u64, Vec<u8>)>(workers);
        let job_receiver = Arc::new(Mutex::new(job_receiver));
        let (done_sender, done_receiver) = channel::<(u64, io::Result<Vec<u8>>)>();
        for _ in 0..workers.max(1) {
            let jobs = Arc::clone(&job_receiver);
            let done = done_sender.clone();
            scope.spawn(move || loop {
                let job = match jobs.lock() {
                    Ok(jobs) => jobs.recv(),
                    Err(_) => return,
                };
                let Ok((seq, offset, member)) = job else {
                    return;
                };
                if done.send((seq, inflate_member(offset, &member))).is_err() {
                    return;
                }
            });
        }
        drop(done_sender);
        let mut order = InOrder {
            output,
            done: done_receiver,
            ready: BTreeMap::new(),
            next_out: 0,
            next_seq: 0,
        };
        let outcome = (|| loop {
            if !order.emit_finished()? {
                return Ok(false);
            }
            match units.recv() {
                Ok(Ok(Unit::Member(offset, member))) => {
                    while order.in_flight() >= 2 * workers.max(1) {
                        if !order.wait_one()? {
                            return Ok(false);
                        }
                    }
                    if job_sender.send((order.next_seq, offset, member)).is_err() {
                        return Err(io::Error::other("the inflating threads stopped"));
                    }
                    order.next_seq += 1;
                }
                Ok(Ok(Unit::Raw(first))) => {
                    if !order.drain()? {
                        return Ok(false);
                    }
                    let mut decoder = MultiGzDecoder::new(RawUnits {
                        current: io::Cursor::new(first),
                        units,
                    });
                    return pump(&mut decoder, output, plain_chunk);
                }
                Ok(Err(e)) => {
                    order.drain()?;
                    return Err(forward(output, e));
                }
                Err(_) => return order.drain(),
            }
        })();
        // Closing the job channel lets the workers finish before the scope joins them.
        drop(job_sender);
        outcome
    })
}

/// Hands inflated members to the output in file order, whatever order they finish in.
struct InOrder<'a> {
    output: &'a SyncSender<Sent<Vec<u8>>>,
    done: Receiver<(u64, io::Result<Vec<u8>>)>,
    ready: BTreeMap<u64, io::Result<Vec<u8>>>,
    next_out: u64,
    next_seq: u64,
}

impl InOrder<'_> {
    fn in_flight(&self) -> usize {
        (self.next_seq - self.next_out) as usize
    }

    /// Sends every member that is next in line; `Ok(false)` when the output stopped listening.
    fn send_ready(&mut self) -> io::Result<bool> {
        while let Some(result) = self.ready.remove(&self.next_out) {
            self.next_out += 1;
            match result {
                Ok(plain) => {
                    if self.output.send(Ok(plain)).is_err() {
                        return Ok(false);
                    }
                }
                Err(e) => return Err(forward(self.output, e)),
            }
        }
        Ok(true)
    }

    /// Collects what has finished without waiting, and sends what it can.
    fn emit_finished(&mut self) -> io::Result<bool> {
        while let Ok((seq, result)) = self.done.try_recv() {
            self.ready.insert(seq, result);
        }
        self.send_ready()
    }

    /// Waits for one more member to finish, and sends what it can.
    fn wait_one(&mut self) -> io::Result<bool> {
        match self.done.recv() {
            Ok((seq, result)) => {
                self.ready.insert(seq, result);
                self.send_ready()
            }
            Err(_) => Err(io::Error::other("the inflating threads stopped")),
        }
    }

    /// Waits for every member in flight and sends them all.
    fn drain(&mut self) -> io::Result<bool> {
        while self.in_flight() > 0 {
            if !self.wait_one()? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

fn inflate_member(offset: u64, member: &[u8]) -> io::Result<Vec<u8>> {
    // Where, in words a person can act on: the damage is somewhere in this block, and its
    // start alone ("byte 0") would point at the wrong place.
    let last = offset + (member.len() as u64).saturating_sub(1);
    let damaged = |what: &str| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "the archive is damaged between bytes {} and {}: that block {what}",
                grouped(offset),
                grouped(last)
            ),
        )
    };
    let size_field: [u8; 4] = member[member.len() - 4..]
        .try_into()
        .map_err(|_| damaged("is too short"))?;
    let size = u32::from_le_bytes(size_field) as usize;
    if size > MAX_MEMBER_LEN {
        return Err(damaged("claims an impossible size"));
    }
    let mut plain = vec![0u8; size];
    let written = Decompressor::new()
        .gzip_decompress(member, &mut plain)
        .map_err(|_| damaged("no longer decompresses (its checksum fails)"))?;
    if written != size {
        return Err(damaged("does not match the size in its trailer"));
    }
    Ok(plain)
}

/// 1234567 as "1,234,567".
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Reads the framed member that starts at the reader's position (`offset` in the file, for
/// messages): its total length and its inflated bytes, checked like every member we inflate.
/// Anything that is not a whole member of ours is refused.
pub fn read_member_at(source: &mut dyn Read, offset: u64) -> io::Result<(u64, Vec<u8>)> {
    let not_ours = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("the bytes at {offset} are not a compressed block of this archive"),
        )
    };
    let head = read_piece(source, HEADER_LEN)?;
    let total = framed_length(&head).ok_or_else(not_ours)?;
    let mut member = head;
    member.reserve(total - HEADER_LEN);
    source
        .take((total - HEADER_LEN) as u64)
        .read_to_end(&mut member)?;
    if member.len() < total {
        return Err(not_ours());
    }
    let plain = inflate_member(offset, &member)?;
    Ok((total as u64, plain))
}

/// The raw units, read as one stream by the fallback decoder.
struct RawUnits {
    current: io::Cursor<Vec<u8>>,
    units: Receiver<Sent<Unit>>,
}

impl Read for RawUnits {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.current.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            match self.units.recv() {
                Ok(Ok(Unit::Raw(chunk))) => self.current = io::Cursor::new(chunk),
                Ok(Ok(Unit::Member(..))) => {
                    return Err(io::Error::other("a framed block after unframed data"))
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framed_members_are_ordinary_gzip_with_their_length_inside() {
        let data = b"time,price\n1,100.5\n2,101.25\n".repeat(1000);
        let mut out = Vec::new();
        frame(&mut Compressor::new(Default::default()), &data, &mut out).unwrap();
        assert_eq!(framed_length(&out), Some(out.len()));
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&out[..])
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(plain, data);
        assert_eq!(inflate_member(0, &out).unwrap(), data);
    }

    #[test]
    fn a_flipped_bit_in_a_framed_member_is_caught() {
        let data = b"equity\n".repeat(5000);
        let mut out = Vec::new();
        frame(&mut Compressor::new(Default::default()), &data, &mut out).unwrap();
        let middle = out.len() / 2;
        out[middle] ^= 0x04;
        let error = inflate_member(1_000_000, &out).unwrap_err();
        let last = 1_000_000 + out.len() - 1;
        let expected = format!("between bytes 1,000,000 and {}", grouped(last as u64));
        assert!(error.to_string().contains(&expected), "{error}");
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn unframed_gzip_is_not_mistaken_for_ours() {
        let mut plain_gzip = Vec::new();
        let mut encoder = flate2::write::GzEncoder::new(&mut plain_gzip, Default::default());
        std::io::Write::write_all(&mut encoder, b"hello").unwrap();
        encoder.finish().unwrap();
        assert_eq!(framed_length(&plain_gzip), None);
    }
}
