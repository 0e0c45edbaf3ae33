//! The bytes are a raw (uncompressed) tar stream. The reader must never panic and never allocate
//! what a header merely claims (libFuzzer's -malloc_limit_mb catches that); every header passes
//! through the layout rules; each member's content is read to its end, and the content reader
//! yields exactly the size the header promised. The stream is read twice, once whole and once in
//! small, uneven pieces (as a decompressor hands it over): both readings must agree exactly.

#![no_main]

use std::io::{self, Read};

use libfuzzer_sys::fuzz_target;
use results_backup::format::Layout;
use results_backup::format::MAX_PATH_BYTES;
use results_backup::format::{MemberHeader, TarError, TarReader};

/// Hands out at most a few bytes per read, varying with the position.
struct Trickle<'a> {
    data: &'a [u8],
    at: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = &self.data[self.at..];
        let n = rest.len().min(buf.len()).min(1 + self.at % 13);
        buf[..n].copy_from_slice(&rest[..n]);
        self.at += n;
        Ok(n)
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Event {
    Member(MemberHeader, Result<(), String>),
    Content(Vec<u8>),
    Skipped(u64),
    End,
    Truncated,
    Malformed(String),
    Io(String),
}

fn tar_error(error: TarError) -> Event {
    match error {
        TarError::Truncated => Event::Truncated,
        TarError::Malformed(detail) => Event::Malformed(detail),
        TarError::Io(err) => Event::Io(err.kind().to_string()),
    }
}

fn read_all(reader: impl Read) -> Vec<Event> {
    let mut tar = TarReader::new(reader);
    let mut layout = Layout::new(None);
    let mut events = Vec::new();
    let mut buf = vec![0u8; 4096];
    // Every member takes at least one 512-byte block, so the stream bounds the loop.
    for index in 0usize.. {
        let header = match tar.next_header() {
            Ok(Some(header)) => header,
            Ok(None) => {
                // The end stays the end.
                assert!(matches!(tar.next_header(), Ok(None)));
                events.push(Event::End);
                break;
            }
            Err(error) => {
                events.push(tar_error(error));
                break;
            }
        };
        assert!(header.raw_path.len() <= MAX_PATH_BYTES, "{header:?}");
        assert!(
            header
                .link_target
                .as_ref()
                .is_none_or(|t| t.len() <= MAX_PATH_BYTES),
            "{header:?}"
        );
        assert!(header.mode <= 0o7777, "{header:?}");
        assert_eq!(tar.remaining(), header.size, "{header:?}");
        let admitted = layout.admit(&header).map(|_| ());
        let size = header.size;
        events.push(Event::Member(header, admitted));
        if index % 2 == 0 {
            // Read the content through the content reader.
            let mut content = Vec::new();
            let failed = loop {
                match tar.content().read(&mut buf) {
                    Ok(0) => break None,
                    Ok(n) => content.extend_from_slice(&buf[..n]),
                    Err(error) => break Some(error),
                }
            };
            assert!(content.len() as u64 <= size);
            events.push(Event::Content(content.clone()));
            if let Some(error) = failed {
                events.push(Event::Io(error.kind().to_string()));
                break;
            }
            assert_eq!(content.len() as u64, size);
            assert_eq!(tar.remaining(), 0);
        } else {
            // Skip it in odd-sized steps, as read_members does after a visitor.
            let mut skipped = 0u64;
            let mut failed = None;
            while tar.remaining() > 0 {
                let before = tar.remaining();
                match tar.skip_content(777) {
                    Ok(n) => {
                        assert!(n <= 777 && n == before - tar.remaining());
                        skipped += n;
                    }
                    Err(error) => {
                        failed = Some(error);
                        break;
                    }
                }
            }
            events.push(Event::Skipped(skipped));
            if let Some(error) = failed {
                events.push(tar_error(error));
                break;
            }
            assert_eq!(skipped, size);
        }
    }
    events
}

fuzz_target!(|data: &[u8]| {
    let whole = read_all(data);
    let trickled = read_all(Trickle { data, at: 0 });
    assert_eq!(whole, trickled);
});
