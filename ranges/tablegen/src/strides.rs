//! Chooses the stride of every node below the root (the compiler asks for
//! one per group of siblings that share a parent word, since the layout
//! stores one stride per word).
//!
//! A wide stride takes an address further in one step but costs
//! `2^stride / 64` words whatever the node holds; a narrow one is small
//! but adds steps. The planner minimises, over the whole trie,
//!
//! ```text
//! bytes + LEVEL_COST * (steps summed over the published prefixes)
//! ```
//!
//! exactly, by dynamic programming over (start bit, prefixes below): each
//! prefix counts once for every node its addresses pass through, so
//! dense regions, where many prefixes share the steps, get wide strides,
//! and sparse chains get narrow ones that end where their prefixes end.
//! The byte count of a node uses an upper bound of its leaf runs (the
//! compiler stores the exact runs).

use crate::entry::Prefix;
use range_trie::trie::{node_words, Word};
use std::collections::HashMap;
use std::ops::Range;

/// The widest stride the planner gives a node below the root.
pub const MAX_CHILD_STRIDE: u32 = 16;

/// Bytes worth one step for one published prefix: how much table the
/// planner may spend to save a step. Measured on the committed data
/// against prefix-trie (benches/lookup_peers.rs): below 64 both families
/// get slower (more steps); above it IPv6 gains a few percent fewer steps
/// for 50-80 % more bytes and, with more cache misses, is no faster. At
/// 64 both tries together take about 520 KB of the 600 KB budget.
pub const LEVEL_COST: u64 = 64;

/// The best cost of a node for each stride (index = stride; `u64::MAX`
/// for strides the node cannot have).
type Costs = Vec<u64>;

pub struct Planner<'a> {
    width: u32,
    /// Sorted by (address, length).
    prefixes: &'a [(Prefix, u16)],
    level_cost: u64,
    /// Keyed by (start bit, index of the first prefix in the node's span).
    memo: HashMap<(u32, usize), Costs>,
}

impl<'a> Planner<'a> {
    /// `level_cost`: see [`LEVEL_COST`] (the build uses its value).
    pub fn new(width: u32, prefixes: &'a [(Prefix, u16)], level_cost: u64) -> Self {
        Planner {
            width,
            prefixes,
            level_cost,
            memo: HashMap::new(),
        }
    }

    /// The stride for sibling nodes starting at bit `start`, each given by
    /// the range of `prefixes` inside its span.
    pub fn group_stride(&mut self, start: u32, siblings: &[Range<usize>]) -> u32 {
        let mut best = (u64::MAX, 0);
        for stride in 1..=MAX_CHILD_STRIDE {
            let mut total = 0u64;
            for span in siblings {
                total = total.saturating_add(self.costs(start, span.clone())[stride as usize]);
            }
            if total < best.0 {
                best = (total, stride);
            }
        }
        assert!(best.1 > 0, "every node can have some stride");
        best.1
    }

    /// The widest stride a node starting at `start` may have: within the
    /// key, and not across bit 64 (the lookup reads a 128-bit key one half
    /// at a time).
    pub fn stride_limit(width: u32, start: u32) -> u32 {
        let mut limit = MAX_CHILD_STRIDE.min(width - start);
        if start < 64 {
            limit = limit.min(64 - start);
        }
        limit
    }

    /// `self.costs` for the node at `start` spanning `span`.
    fn costs(&mut self, start: u32, span: Range<usize>) -> Costs {
        if let Some(c) = self.memo.get(&(start, span.start)) {
            return c.clone();
        }
        let prefixes = self.prefixes;
        let inside = &prefixes[span.clone()];
        let weight = inside
            .iter()
            .filter(|(p, _)| u32::from(p.len) > start)
            .count() as u64;
        let limit = Self::stride_limit(self.width, start);
        let mut costs = vec![u64::MAX; MAX_CHILD_STRIDE as usize + 1];
        for stride in 1..=limit {
            let end = start + stride;
            let mut breaks = vec![0usize];
            // Children grouped by the word of this node that holds them.
            let mut groups: Vec<(usize, Vec<Range<usize>>)> = Vec::new();
            let mut i = span.start;
            while i < span.end {
                let slot = slot_of(prefixes[i].0.addr, start, stride, self.width);
                let j = i + prefixes[i..span.end]
                    .iter()
                    .take_while(|(p, _)| slot_of(p.addr, start, stride, self.width) == slot)
                    .count();
                let mut child = false;
                for (p, _) in &prefixes[i..j] {
                    let len = u32::from(p.len);
                    if len > end {
                        child = true;
                    } else if len > start {
                        breaks.push(slot);
                        breaks.push(slot + (1 << (end - len)));
                    }
                }
                if child {
                    breaks.extend([slot, slot + 1]);
                    match groups.last_mut() {
                        Some((word, members)) if *word == slot / 64 => members.push(i..j),
                        _ => groups.push((slot / 64, std::iter::once(i..j).collect())),
                    }
                }
                i = j;
            }
            breaks.retain(|b| *b < 1 << stride);
            breaks.sort_unstable();
            breaks.dedup();
            let children: usize = groups.iter().map(|(_, m)| m.len()).sum();
            let runs = breaks.len() - children;
            let bytes = node_words(stride) * size_of::<Word>() + runs * size_of::<u16>();
            let mut total = bytes as u64 + self.level_cost * weight;
            for (_, members) in &groups {
                let best = (1..=MAX_CHILD_STRIDE as usize)
                    .map(|s| {
                        members.iter().fold(0u64, |sum, m| {
                            sum.saturating_add(self.costs(end, m.clone())[s])
                        })
                    })
                    .min()
                    .expect("strides");
                total = total.saturating_add(best);
            }
            costs[stride as usize] = total;
        }
        self.memo.insert((start, span.start), costs.clone());
        costs
    }
}

/// The `stride` bits of `addr` (a `width`-bit key) starting at bit `start`.
pub fn slot_of(addr: u128, start: u32, stride: u32, width: u32) -> usize {
    ((addr << (128 - width + start)) >> (128 - stride)) as usize
}
