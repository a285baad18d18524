//! Part sizing for multipart uploads. R2 requires every part but the last
//! to be the same size, from 5 MiB to 5 GiB, and at most 10,000 parts; S3,
//! GCS and Azure accept the same. A blob no larger than the part size is
//! one plain write.

use bytes::{Bytes, BytesMut};

pub const MIB: u64 = 1024 * 1024;
pub const DEFAULT_PART_SIZE: u64 = 16 * MIB;
pub const MIN_PART_SIZE: u64 = 5 * MIB;
pub const MAX_PART_SIZE: u64 = 5 * 1024 * MIB;
pub const MAX_PARTS: u64 = 10_000;

/// How a blob of `size` bytes is written with parts of `part_size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upload {
    /// One plain write (the blob fits in one part).
    Single,
    /// Parts of this size; the last one smaller or equal.
    Multipart { part_size: u64 },
}

/// The way to upload `size` bytes: parts of `part_size`, or larger equal
/// parts where `part_size` would need more than 10,000 of them.
pub fn plan(size: u64, part_size: u64) -> Upload {
    if size <= part_size {
        return Upload::Single;
    }
    let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    Upload::Multipart {
        part_size: part_size.max(needed),
    }
}

/// Checks a `--part-size` in MiB.
pub fn part_size_from_mib(mib: u64) -> Result<u64, String> {
    let bytes = mib.saturating_mul(MIB);
    if (MIN_PART_SIZE..=MAX_PART_SIZE).contains(&bytes) {
        Ok(bytes)
    } else {
        Err(format!("--part-size {mib}: parts are 5 to 5120 MiB"))
    }
}

/// Cuts a stream of chunks into parts of exactly `part_size` bytes (the
/// last one the rest), holding at most one part.
pub struct Chunker {
    part_size: usize,
    buffer: BytesMut,
}

impl Chunker {
    pub fn new(part_size: u64) -> Chunker {
        let part_size = usize::try_from(part_size).expect("a part fits in memory");
        Chunker {
            part_size,
            buffer: BytesMut::with_capacity(part_size),
        }
    }

    /// Adds `chunk`; returns every part it completed.
    pub fn push(&mut self, mut chunk: Bytes) -> Vec<Bytes> {
        let mut parts = Vec::new();
        while !chunk.is_empty() {
            let room = self.part_size - self.buffer.len();
            let take = room.min(chunk.len());
            self.buffer.extend_from_slice(&chunk.split_to(take));
            if self.buffer.len() == self.part_size {
                let full =
                    std::mem::replace(&mut self.buffer, BytesMut::with_capacity(self.part_size));
                parts.push(full.freeze());
            }
        }
        parts
    }

    /// The last part, if any bytes are left.
    pub fn finish(self) -> Option<Bytes> {
        (!self.buffer.is_empty()).then(|| self.buffer.freeze())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_up_to_the_part_size_are_one_write() {
        assert_eq!(plan(0, DEFAULT_PART_SIZE), Upload::Single);
        assert_eq!(plan(DEFAULT_PART_SIZE, DEFAULT_PART_SIZE), Upload::Single);
        assert_eq!(
            plan(DEFAULT_PART_SIZE + 1, DEFAULT_PART_SIZE),
            Upload::Multipart {
                part_size: DEFAULT_PART_SIZE
            }
        );
    }

    #[test]
    fn huge_blobs_get_larger_equal_parts_within_ten_thousand() {
        let size = 400 * 1024 * MIB; // 400 GiB
        let Upload::Multipart { part_size } = plan(size, DEFAULT_PART_SIZE) else {
            panic!()
        };
        assert!(part_size > DEFAULT_PART_SIZE && part_size % MIB == 0);
        assert!(size.div_ceil(part_size) <= MAX_PARTS);
    }

    #[test]
    fn part_size_bounds() {
        assert_eq!(part_size_from_mib(5).unwrap(), MIN_PART_SIZE);
        assert!(part_size_from_mib(4).is_err() && part_size_from_mib(5121).is_err());
    }

    #[test]
    fn every_part_but_the_last_is_exactly_the_part_size() {
        let part = 8;
        let mut chunker = Chunker::new(part);
        let mut parts = Vec::new();
        let mut fed = Vec::new();
        // Chunks of awkward sizes, as a network delivers them.
        for (i, len) in [3usize, 13, 1, 8, 0, 20, 2].into_iter().enumerate() {
            let chunk: Vec<u8> = (0..len).map(|j| (i * 31 + j) as u8).collect();
            fed.extend_from_slice(&chunk);
            parts.extend(chunker.push(Bytes::from(chunk)));
        }
        parts.extend(chunker.finish());
        let sizes: Vec<usize> = parts.iter().map(Bytes::len).collect();
        assert_eq!(sizes, [8, 8, 8, 8, 8, 7]);
        assert_eq!(parts.concat(), fed);
        assert!(Chunker::new(4).finish().is_none());
    }
}
