//! Compiles a resolved prefix set into the trie layout that range-trie
//! reads (see the layout description in its `trie` module).

use crate::entry::Prefix;
use crate::strides::{slot_of, Planner, LEVEL_COST};
use range_trie::trie::{node_words, Word, NO_MATCH, ROOT_STRIDE};
use range_trie::Trie;
use std::ops::Range;

/// The two arrays of one trie, owned.
#[derive(Debug, Default)]
pub struct CompiledTrie {
    pub words: Vec<Word>,
    pub entries: Vec<u16>,
}

impl CompiledTrie {
    pub fn view(&self) -> Trie<'_> {
        Trie {
            words: &self.words,
            entries: &self.entries,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Leaf(u16),
    /// Index into the node list (the root is node 0).
    Node(usize),
}

struct Node {
    start: u32,
    stride: u32,
    slots: Vec<Slot>,
}

/// Compiles `(prefix, location number)` pairs for keys of `width` bits
/// (32 or 128). Identical prefixes must already be resolved to one location.
pub fn compile(width: u32, prefixes: &[(Prefix, u16)]) -> Result<CompiledTrie, String> {
    compile_with_level_cost(width, prefixes, LEVEL_COST)
}

/// [`compile`] with another trade-off between bytes and steps (see
/// [`crate::strides`]), for measuring the layout.
pub fn compile_with_level_cost(
    width: u32,
    prefixes: &[(Prefix, u16)],
    level_cost: u64,
) -> Result<CompiledTrie, String> {
    let mut sorted = prefixes.to_vec();
    sorted.sort();
    for pair in sorted.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(format!("prefix {:?} listed twice", pair[0].0));
        }
    }
    if let Some((p, _)) = sorted.iter().find(|(p, _)| u32::from(p.len) > width) {
        return Err(format!("prefix {p:?} does not fit a {width}-bit trie"));
    }
    let mut builder = Builder {
        width,
        prefixes: &sorted,
        planner: Planner::new(width, &sorted, level_cost),
        nodes: Vec::new(),
    };
    builder.node(0..sorted.len(), 0, ROOT_STRIDE, NO_MATCH);
    flatten(&builder.nodes)
}

struct Builder<'a> {
    width: u32,
    /// Sorted by (address, length).
    prefixes: &'a [(Prefix, u16)],
    planner: Planner<'a>,
    nodes: Vec<Node>,
}

impl Builder<'_> {
    /// Builds the node covering bits `start..start + stride` whose span
    /// holds `span` of the prefixes (those not longer than `start` cover
    /// the whole span and are already painted above), where `default` is
    /// the answer of the longest prefix covering the span.
    fn node(&mut self, span: Range<usize>, start: u32, stride: u32, default: u16) -> usize {
        let index = self.nodes.len();
        self.nodes.push(Node {
            start,
            stride,
            slots: Vec::new(),
        });
        let end = start + stride;
        let width = self.width;
        let mut slots = vec![Slot::Leaf(default); 1 << stride];

        // Paint prefixes that end in this node, shortest first, so that longer
        // (more specific) ones overwrite the shorter ones they sit in. Those
        // not longer than `start` cover the whole node (the /0 at the root;
        // below it they are the default again).
        let mut ending: Vec<&(Prefix, u16)> = self.prefixes[span.clone()]
            .iter()
            .filter(|(p, _)| u32::from(p.len) <= end)
            .collect();
        ending.sort_by_key(|(p, _)| p.len);
        for (p, location) in ending {
            let first = slot_of(p.addr, start, stride, width);
            let count = 1usize << (end - u32::from(p.len).max(start));
            slots[first..first + count].fill(Slot::Leaf(*location));
        }

        // A slot holding prefixes longer than this node gets a child, whose
        // span is that slot's run of the (address-sorted) prefixes.
        let mut children: Vec<(usize, Range<usize>)> = Vec::new();
        let mut i = span.start;
        while i < span.end {
            let slot = slot_of(self.prefixes[i].0.addr, start, stride, width);
            let j = i + self.prefixes[i..span.end]
                .iter()
                .take_while(|(p, _)| slot_of(p.addr, start, stride, width) == slot)
                .count();
            if self.prefixes[i..j]
                .iter()
                .any(|(p, _)| u32::from(p.len) > end)
            {
                children.push((slot, i..j));
            }
            i = j;
        }
        // Children under one word share a stride (the layout stores one).
        for word in children.chunk_by(|a, b| a.0 / 64 == b.0 / 64) {
            let spans: Vec<Range<usize>> = word.iter().map(|(_, s)| s.clone()).collect();
            let child_stride = self.planner.group_stride(end, &spans);
            for (slot, child_span) in word {
                let Slot::Leaf(inherited) = slots[*slot] else {
                    unreachable!("a slot gets one child")
                };
                let child = self.node(child_span.clone(), end, child_stride, inherited);
                slots[*slot] = Slot::Node(child);
            }
        }
        self.nodes[index].slots = slots;
        index
    }
}

/// Lays the nodes out as words. The root comes first; then, word by word
/// in layout order, each word's children one after the other (so a word
/// needs only the position of its first child).
fn flatten(nodes: &[Node]) -> Result<CompiledTrie, String> {
    let mut order = vec![0usize];
    let mut offset = vec![0usize; nodes.len()];
    let mut next = node_words(nodes[0].stride);
    let mut i = 0;
    while i < order.len() {
        for slot in &nodes[order[i]].slots {
            if let Slot::Node(child) = *slot {
                offset[child] = next;
                next += node_words(nodes[child].stride);
                order.push(child);
            }
        }
        i += 1;
    }

    let mut out = CompiledTrie::default();
    for &n in &order {
        let node = &nodes[n];
        for (w, chunk) in node.slots.chunks(64).enumerate() {
            let leaf_base = out.entries.len();
            let (mut children, mut leaves) = (0u64, 0u64);
            // (word index, start bit, stride) of the word's first child.
            let mut first_child: Option<(usize, u32, u32)> = None;
            for (b, slot) in chunk.iter().enumerate() {
                let i = w * 64 + b;
                match *slot {
                    Slot::Node(child) => {
                        children |= 1 << b;
                        let (start, stride) = (nodes[child].start, nodes[child].stride);
                        match first_child {
                            None => first_child = Some((offset[child], start, stride)),
                            Some((_, _, s)) => {
                                assert_eq!(s, stride, "a word's children share a stride")
                            }
                        }
                    }
                    Slot::Leaf(location) => {
                        if i == 0 || node.slots[i - 1] != *slot {
                            leaves |= 1 << b;
                            out.entries.push(location);
                        }
                    }
                }
            }
            out.words
                .push([children, leaves, word_meta(leaf_base, first_child)?]);
        }
    }
    debug_assert_eq!(out.words.len(), next);
    Ok(out)
}

/// The `meta` of a word whose runs start at `leaf_base` and whose children
/// start at `first_child` (word index, start bit, stride).
fn word_meta(leaf_base: usize, first_child: Option<(usize, u32, u32)>) -> Result<u64, String> {
    use range_trie::trie::meta::{self, *};
    let fits = |value: usize, field: (u32, u32), what: &str| {
        if value as u64 > meta::max(field) {
            Err(format!("{value} {what} do not fit the trie layout"))
        } else {
            Ok(meta::put(field, value as u64))
        }
    };
    let mut word = fits(leaf_base, LEAF_BASE, "leaf runs")?;
    if let Some((base, start, stride)) = first_child {
        debug_assert!(start % 64 + stride <= 64, "a node within one half");
        // The first child comes after the root, which is at least as
        // large as any node: this does not underflow.
        word |= fits(base - node_words(stride), CHILD_BASE, "trie words")?
            | meta::put(CHILD_SHIFT_LEFT, u64::from(start % 64))
            | meta::put(CHILD_SHIFT_RIGHT, u64::from(64 - stride))
            | meta::put(CHILD_WORDS_LOG2, u64::from(stride.saturating_sub(6)))
            | meta::put(CHILD_HALF, u64::from(start / 64));
    }
    Ok(word)
}
