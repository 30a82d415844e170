//! Standard output written by a thread of its own: for commands that print
//! hundreds of MB (`transactions --rows`), the `write` system calls run
//! beside the decoding instead of between its steps.

use std::io::{self, Write};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::thread::JoinHandle;

/// Bytes gathered before they are handed to the writing thread.
const CHUNK: usize = 1 << 20;

pub struct ThreadedStdout {
    buf: Vec<u8>,
    chunks: Option<SyncSender<Vec<u8>>>,
    writer: Option<JoinHandle<io::Result<()>>>,
}

impl ThreadedStdout {
    pub fn new() -> Self {
        // A few chunks in flight at most: memory stays bounded.
        let (chunks, received) = sync_channel::<Vec<u8>>(4);
        let writer = std::thread::spawn(move || -> io::Result<()> {
            let stdout = io::stdout();
            let mut out = stdout.lock();
            for chunk in received {
                out.write_all(&chunk)?;
            }
            out.flush()
        });
        Self {
            buf: Vec::with_capacity(CHUNK),
            chunks: Some(chunks),
            writer: Some(writer),
        }
    }

    /// The buffer the next bytes go to, to write into directly (a `Vec`'s
    /// writes inline; serde_json's many small writes through [`Write`]
    /// cost more than the formatting). Call [`Self::written`] after.
    pub fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Hands the buffer to the writing thread once it holds a chunk.
    pub fn written(&mut self) -> io::Result<()> {
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(())
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        let sent = self.chunks.as_ref().map(|c| c.send(chunk));
        match sent {
            Some(Ok(())) => Ok(()),
            // The writer stopped (a closed pipe): say so as the write would.
            _ => Err(self
                .finish()
                .err()
                .unwrap_or_else(|| io::ErrorKind::BrokenPipe.into())),
        }
    }

    /// Writes what is left and waits for the writing thread.
    pub fn finish(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            if let Some(c) = &self.chunks {
                let _ = c.send(std::mem::take(&mut self.buf));
            }
        }
        self.chunks = None;
        match self.writer.take() {
            Some(w) => w
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the output thread panicked"))),
            None => Ok(()),
        }
    }
}

impl Write for ThreadedStdout {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        self.written()?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

impl Drop for ThreadedStdout {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}
