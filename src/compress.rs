//! PLACEHOLDER until the parallel compressor lands.
use std::io::{self, Write};
pub const BLOCK_SIZE: usize = 1 << 20;
pub struct ParallelGzEncoder<W: Write> {
    inner: flate2::write::GzEncoder<W>,
}
impl<W: Write> ParallelGzEncoder<W> {
    pub fn new(inner: W, level: u32, _threads: usize) -> Self {
        ParallelGzEncoder {
            inner: flate2::write::GzEncoder::new(inner, flate2::Compression::new(level)),
        }
    }
    pub fn finish(self) -> io::Result<W> {
        self.inner.finish()
    }
}
impl<W: Write> Write for ParallelGzEncoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}
