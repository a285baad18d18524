//! Longest-prefix lookup over a multibit trie with bitmap-compressed nodes.
//!
//! Layout (written by the compiler in range-tablegen, `compile.rs`):
//! - The root node has a stride of 16 bits. Every other node has the
//!   stride (1 to 16 bits) that the compiler's planner (range-tablegen
//!   `strides.rs`) chose for its group of siblings: wide where many
//!   prefixes share the steps, narrow in sparse chains and where the
//!   prefixes end. No node crosses bit 64 of an IPv6 key. A node of stride
//!   `s` is a row of `2^s` slots; each slot holds a child node or a leaf (a
//!   location number: 0 = no match, n = the n-th location of the table),
//!   and every slot carries the full answer (shorter prefixes painted in).
//! - The row is stored as `max(1, 2^s / 64)` [`Word`]s of 64 slots:
//!   `[children, leaves, meta]`. `children` has a 1 for each slot that
//!   holds a child. Consecutive leaf slots holding the same answer form a
//!   run and `leaves` has a 1 at each run start, so only one entry per run
//!   is stored (the 2^16-slot root is 24 KB, not 128 KB).
//! - `meta` holds the word's two bases (the Poptrie idea, Asai and Ohara,
//!   SIGCOMM 2015) and how its children read the key (see [`meta`]): the
//!   index in `entries` of its first run, and the index in `words` of its
//!   first child. A word's children are stored one after the other in slot
//!   order and share a stride, so the `k`-th starts at
//!   `base + k * max(1, 2^stride / 64)`, and their slot is
//!   `(half << shift_left) >> shift_right` of one 64-bit half of the key,
//!   with both shifts stored ready to use.
//!
//! So a step is one dependent load (the word): the slot's bit in `children`
//! says whether to descend, and the popcount of the bits up to the slot
//! gives either the child's position or the run's entry, which is loaded
//! once, at the end. An address inside a published prefix takes 3 to 5
//! steps for the /40../64 IPv6 prefixes that dominate the data (4.4 on
//! average), and 2.3 for IPv4. No pointers, no allocation
//! and no initialisation at run time (the tables are plain static arrays).

/// Bits consumed by the root node.
pub const ROOT_STRIDE: u32 = 16;
/// Entry value meaning "no published prefix covers this address".
pub const NO_MATCH: u16 = 0;

/// `[children, leaves, meta]` for 64 slots (see the module documentation).
pub type Word = [u64; 3];

/// The fields of a word's `meta`: `(shift, bits)`.
pub mod meta {
    /// Index in `entries` of the word's first leaf run.
    pub const LEAF_BASE: (u32, u32) = (0, 20);
    /// Index in `words` of the word's first child, minus the words of
    /// one child (so that the k-th child, counting from 1, starts at
    /// `base + k * words`).
    pub const CHILD_BASE: (u32, u32) = (20, 20);
    /// The children's first bit within their 64-bit half of the key.
    pub const CHILD_SHIFT_LEFT: (u32, u32) = (40, 6);
    /// 64 minus the children's stride.
    pub const CHILD_SHIFT_RIGHT: (u32, u32) = (46, 6);
    /// log2 of the children's words (stride - 6, at least 0).
    pub const CHILD_WORDS_LOG2: (u32, u32) = (52, 4);
    /// Which 64-bit half of the key the children read (1: the low one).
    pub const CHILD_HALF: (u32, u32) = (56, 1);

    /// The largest value `field` can hold.
    pub const fn max(field: (u32, u32)) -> u64 {
        (1 << field.1) - 1
    }

    /// `field` of `meta`.
    #[inline(always)]
    pub const fn get(meta: u64, field: (u32, u32)) -> u64 {
        (meta >> field.0) & max(field)
    }

    /// `value` placed in `field` (the caller checks it fits).
    pub const fn put(field: (u32, u32), value: u64) -> u64 {
        value << field.0
    }
}

/// Words of a node of `stride` bits.
pub const fn node_words(stride: u32) -> usize {
    if stride <= 6 {
        1
    } else {
        1 << (stride - 6)
    }
}

/// A borrowed view of one compiled trie (one address family).
#[derive(Clone, Copy, Debug)]
pub struct Trie<'a> {
    pub words: &'a [Word],
    /// The location number of each leaf run.
    pub entries: &'a [u16],
}

/// An address as a fixed-width big-endian bit string.
pub trait Key: Copy {
    /// Width of the key in bits.
    const BITS: u32;
    /// The key left-aligned in two 64-bit halves, most significant first.
    fn halves(self) -> [u64; 2];
}

impl Key for u32 {
    const BITS: u32 = 32;
    #[inline(always)]
    fn halves(self) -> [u64; 2] {
        [u64::from(self) << 32, 0]
    }
}

impl Key for u128 {
    const BITS: u32 = 128;
    #[inline(always)]
    fn halves(self) -> [u64; 2] {
        [(self >> 64) as u64, self as u64]
    }
}

impl Trie<'_> {
    /// The location number of the longest prefix covering `key`
    /// ([`NO_MATCH`] if none).
    #[inline]
    pub fn lookup<K: Key>(&self, key: K) -> u16 {
        // 64-bit halves: u128 shifts are several instructions on wasm32,
        // and no node straddles the halves.
        let halves = key.halves();
        let mut slot = (halves[0] >> (64 - ROOT_STRIDE)) as usize;
        let mut base = 0usize;
        loop {
            let [children, leaves, meta] = self.words[base + slot / 64];
            let bit = slot % 64;
            let upto = u64::MAX >> (63 - bit);
            if children & (1 << bit) == 0 {
                let run = meta::get(meta, meta::LEAF_BASE) as usize
                    + (leaves & upto).count_ones() as usize
                    - 1;
                return self.entries[run];
            }
            // The child is the word's k-th (from 1); all its children
            // have the stride and position in the key that `meta` records.
            let k = (children & upto).count_ones() as usize;
            // Not `halves[i]`: indexing spills the halves to memory, and
            // the reload would sit on the critical path of every step.
            let half = if meta::get(meta, meta::CHILD_HALF) == 0 {
                halves[0]
            } else {
                halves[1]
            };
            slot = ((half << meta::get(meta, meta::CHILD_SHIFT_LEFT))
                >> meta::get(meta, meta::CHILD_SHIFT_RIGHT)) as usize;
            base = meta::get(meta, meta::CHILD_BASE) as usize
                + (k << meta::get(meta, meta::CHILD_WORDS_LOG2));
        }
    }

    /// Bytes occupied by the two arrays.
    pub fn size_bytes(&self) -> usize {
        core::mem::size_of_val(self.words) + core::mem::size_of_val(self.entries)
    }
}
