//! Feeding an upload's bytes to a blocking writer without a thread waiting for the client.
//!
//! An upload arrives as fast as its client sends it, which may be very slowly (a phone on a
//! bad connection, or an adversary that sends a byte a minute on purpose). The writers at the
//! end are blocking: files, fsync, the store. If each upload kept a blocking thread waiting
//! for its next chunk, a few hundred slow uploads would hold every thread of the runtime's
//! blocking pool, and with it every database read of every other request; and each thread
//! kept alive costs memory. So the chunks are gathered here, on the async side, into blocks
//! of [`BLOCK`] bytes, and a blocking thread is taken only to write a whole block. One block
//! is written while the next one fills, so reading from the network and writing to the disk
//! still overlap.

use tokio::task::JoinHandle;

use super::BLOCK;
use super::error::{UpErr, internal};

/// A blocking writer that takes an upload a block at a time.
pub(super) trait BlockWrite: Send + 'static {
    /// Writes `block` (which it may change in place, for example to encrypt it).
    fn write_block(&mut self, block: &mut Vec<u8>) -> Result<(), UpErr>;
}

type Written<W> = (W, Vec<u8>, Result<(), UpErr>);

/// Gathers chunks into blocks and hands each full block to `W` on a blocking thread.
pub(super) struct BlockSink<W: BlockWrite> {
    /// The writer, when no block is being written.
    writer: Option<W>,
    /// The block being written, which gives the writer back when it is done.
    pending: Option<JoinHandle<Written<W>>>,
    /// The block being filled.
    block: Vec<u8>,
    /// A written block's buffer, kept for the next one.
    spare: Vec<u8>,
}

impl<W: BlockWrite> BlockSink<W> {
    pub(super) fn new(writer: W) -> Self {
        Self {
            writer: Some(writer),
            pending: None,
            block: Vec::with_capacity(BLOCK),
            spare: Vec::new(),
        }
    }

    /// Adds `chunk`; starts writing the block once it is full (after the previous block is
    /// written: at most one block is in flight, so memory stays at two blocks per upload).
    pub(super) async fn push(&mut self, chunk: &[u8]) -> Result<(), UpErr> {
        self.block.extend_from_slice(chunk);
        if self.block.len() >= BLOCK {
            self.submit().await?;
        }
        Ok(())
    }

    /// Writes what is left and returns the writer with every byte pushed written.
    pub(super) async fn finish(mut self) -> Result<W, UpErr> {
        if !self.block.is_empty() {
            self.submit().await?;
        }
        self.settle().await?;
        self.writer
            .take()
            .ok_or_else(|| internal("the upload's writer was lost"))
    }

    /// Waits for the block in flight, if any, and takes its writer back.
    async fn settle(&mut self) -> Result<(), UpErr> {
        if let Some(task) = self.pending.take() {
            let (writer, mut buffer, result) = task.await.map_err(internal)?;
            buffer.clear();
            self.writer = Some(writer);
            self.spare = buffer;
            result?;
        }
        Ok(())
    }

    /// Starts writing the current block on a blocking thread.
    async fn submit(&mut self) -> Result<(), UpErr> {
        self.settle().await?;
        let mut writer = self
            .writer
            .take()
            .ok_or_else(|| internal("the upload's writer was lost"))?;
        let next = std::mem::take(&mut self.spare);
        let mut block = std::mem::replace(&mut self.block, next);
        self.pending = Some(tokio::task::spawn_blocking(move || {
            let result = writer.write_block(&mut block);
            (writer, block, result)
        }));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the blocks it is given, and fails on a block that starts with `b'!'`.
    struct Blocks(Vec<Vec<u8>>);

    impl BlockWrite for Blocks {
        fn write_block(&mut self, block: &mut Vec<u8>) -> Result<(), UpErr> {
            if block.first() == Some(&b'!') {
                return Err(internal("refused"));
            }
            self.0.push(block.clone());
            Ok(())
        }
    }

    #[tokio::test]
    async fn every_byte_arrives_in_order_in_blocks_of_at_least_block_size() {
        let data: Vec<u8> = (0..(3 * BLOCK + 12_345)).map(|i| (i % 251) as u8).collect();
        let mut sink = BlockSink::new(Blocks(Vec::new()));
        for chunk in data.chunks(10_007) {
            sink.push(chunk).await.unwrap();
        }
        let Blocks(blocks) = sink.finish().await.unwrap();
        assert_eq!(blocks.concat(), data);
        assert_eq!(blocks.len(), 4, "three full blocks and the rest");
        assert!(blocks[..3].iter().all(|b| b.len() >= BLOCK));
    }

    #[tokio::test]
    async fn nothing_pushed_writes_nothing() {
        let sink = BlockSink::new(Blocks(Vec::new()));
        assert!(sink.finish().await.unwrap().0.is_empty());
    }

    #[tokio::test]
    async fn a_failed_write_is_reported() {
        let mut sink = BlockSink::new(Blocks(Vec::new()));
        sink.push(b"!").await.unwrap();
        assert!(sink.finish().await.is_err());
        let mut sink = BlockSink::new(Blocks(Vec::new()));
        let mut failing = vec![0u8; BLOCK];
        failing[0] = b'!';
        sink.push(&failing).await.unwrap();
        // The failure of the block in flight surfaces at the next push that needs the writer.
        let next = sink.push(&vec![1u8; BLOCK]).await;
        assert!(next.is_err());
    }
}
