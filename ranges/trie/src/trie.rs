//! Longest-prefix lookup over a bitmap-compressed multibit trie.
//!
//! Layout (written by the compiler in range-tablegen, `compile.rs`):
//! - The root node has a stride of 16 bits, every other node a stride of 8.
//!   IPv4 is therefore a 16-8-8 trie (at most three steps); IPv6 walks 16
//!   bits and then a byte per step, and real prefixes (/32../64) end within
//!   a handful of steps.
//! - A node of stride `s` is a row of `2^s` slots. Consecutive slots holding
//!   the same answer form a run; the node stores only a bitmap with a 1 at
//!   each run start (64 slots per word) and one entry per run. Each word
//!   also holds its rank: the number of runs that start before it across
//!   the whole table, so the entry of slot `i` in word `w` is
//!   `entries[rank(w) + popcount(bits(w) & mask_up_to(i)) - 1]` (the
//!   Poptrie "leafvec" idea). This keeps the 2^16-slot root at ~12 KB and a
//!   child at 48 bytes plus its runs, instead of 128 KB and 512 bytes.
//! - A word is `[bits low 32, bits high 32, rank]`: the rank sits in the
//!   same cache line as its bitmap, and the array has no long zero runs,
//!   which the wasm data section would otherwise split into many segments
//!   that compress badly.
//! - An entry is either a location number (0 = no match, n = the n-th
//!   location of the table) or, with [`CHILD`] set, the index of a child
//!   node. Children are stored after the root, [`CHILD_WORDS`] words each.
//!
//! Why this shape: two dependent loads per step, no pointers, no allocation
//! and no initialisation at run time (the tables are plain static arrays),
//! and the whole thing fits comfortably under the 600 KB budget.

/// Bits consumed by the root node.
pub const ROOT_STRIDE: u32 = 16;
/// Bits consumed by every node below the root.
pub const CHILD_STRIDE: u32 = 8;
/// Bitmap words of the root node.
pub const ROOT_WORDS: usize = (1 << ROOT_STRIDE) / 64;
/// Bitmap words of a child node.
pub const CHILD_WORDS: usize = (1 << CHILD_STRIDE) / 64;
/// Entry flag: the low 15 bits are a child node index, not a location.
pub const CHILD: u16 = 0x8000;
/// Entry value meaning "no published prefix covers this address".
pub const NO_MATCH: u16 = 0;

/// A borrowed view of one compiled trie (one address family).
#[derive(Clone, Copy, Debug)]
pub struct Trie<'a> {
    /// `[bits low, bits high, rank]` per bitmap word.
    pub words: &'a [Word],
    pub entries: &'a [u16],
}

/// One bitmap word and its rank (see the module documentation).
pub type Word = [u32; 3];

/// An address as a fixed-width big-endian bit string.
pub trait Key: Copy {
    /// Width of the key in bits.
    const BITS: u32;
    /// The `stride` bits that start `start` bits from the most significant end.
    fn slot(self, start: u32, stride: u32) -> usize;
}

impl Key for u32 {
    const BITS: u32 = 32;
    #[inline(always)]
    fn slot(self, start: u32, stride: u32) -> usize {
        ((self << start) >> (32 - stride)) as usize
    }
}

impl Key for u128 {
    const BITS: u32 = 128;
    #[inline(always)]
    fn slot(self, start: u32, stride: u32) -> usize {
        // Work on the 64-bit half that holds the slot: u128 shifts are
        // several instructions on wasm32. Strides divide 64, so a slot
        // never straddles the halves.
        let half = if start < 64 {
            (self >> 64) as u64
        } else {
            self as u64
        };
        ((half << (start % 64)) >> (64 - stride)) as usize
    }
}

impl Trie<'_> {
    /// The location number of the longest prefix covering `key`
    /// ([`NO_MATCH`] if none).
    #[inline]
    pub fn lookup<K: Key>(&self, key: K) -> u16 {
        let mut word_base = 0usize;
        let mut start = 0u32;
        let mut stride = ROOT_STRIDE;
        loop {
            let slot = key.slot(start, stride);
            let [low, high, rank] = self.words[word_base + slot / 64];
            let bits = u64::from(high) << 32 | u64::from(low);
            let upto = bits & (u64::MAX >> (63 - slot % 64));
            let run = rank as usize + upto.count_ones() as usize - 1;
            let entry = self.entries[run];
            if entry & CHILD == 0 {
                return entry;
            }
            word_base = ROOT_WORDS + usize::from(entry & !CHILD) * CHILD_WORDS;
            start += stride;
            stride = CHILD_STRIDE;
        }
    }

    /// Bytes occupied by the two arrays.
    pub fn size_bytes(&self) -> usize {
        core::mem::size_of_val(self.words) + core::mem::size_of_val(self.entries)
    }
}
