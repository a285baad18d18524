//! Compiles a resolved prefix set into the trie layout that range-trie
//! reads (see the layout description in its `trie` module).

use crate::entry::Prefix;
use range_trie::trie::{Word, CHILD, CHILD_STRIDE, CHILD_WORDS, NO_MATCH, ROOT_STRIDE, ROOT_WORDS};
use range_trie::Trie;

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

/// Compiles `(prefix, location number)` pairs for keys of `width` bits
/// (32 or 128). Identical prefixes must already be resolved to one location.
pub fn compile(width: u32, prefixes: &[(Prefix, u16)]) -> Result<CompiledTrie, String> {
    let mut sorted = prefixes.to_vec();
    sorted.sort();
    for pair in sorted.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(format!("prefix {:?} listed twice", pair[0].0));
        }
    }
    if let Some((p, _)) = sorted
        .iter()
        .find(|(p, loc)| u32::from(p.len) > width || *loc & CHILD != 0)
    {
        return Err(format!("prefix {p:?} does not fit a {width}-bit trie"));
    }
    let mut nodes = Vec::new();
    build_node(&mut nodes, &sorted, 0, ROOT_STRIDE, NO_MATCH, width)?;
    Ok(flatten(&nodes))
}

/// The `stride` bits of `addr` (a `width`-bit key) starting at bit `start`.
fn slot_of(addr: u128, start: u32, stride: u32, width: u32) -> usize {
    ((addr << (128 - width + start)) >> (128 - stride)) as usize
}

/// Builds the node covering bits `start..start + stride` for `prefixes`
/// (all longer than `start` and inside this node's span, sorted by
/// address), where `default` is the answer of the longest shorter prefix.
fn build_node(
    nodes: &mut Vec<Vec<Slot>>,
    prefixes: &[(Prefix, u16)],
    start: u32,
    stride: u32,
    default: u16,
    width: u32,
) -> Result<usize, String> {
    let index = nodes.len();
    nodes.push(Vec::new());
    let end = start + stride;
    let mut slots = vec![Slot::Leaf(default); 1 << stride];

    // Paint prefixes that end in this node, shortest first, so that longer
    // (more specific) ones overwrite the shorter ones they sit in.
    let mut ending: Vec<&(Prefix, u16)> = prefixes
        .iter()
        .filter(|(p, _)| u32::from(p.len) <= end)
        .collect();
    ending.sort_by_key(|(p, _)| p.len);
    for (p, location) in ending {
        let first = slot_of(p.addr, start, stride, width);
        let count = 1usize << (end - u32::from(p.len));
        slots[first..first + count].fill(Slot::Leaf(*location));
    }

    // Prefixes longer than this node go to a child per slot; sorted by
    // address, each slot's prefixes are contiguous.
    let deeper: Vec<(Prefix, u16)> = prefixes
        .iter()
        .filter(|(p, _)| u32::from(p.len) > end)
        .copied()
        .collect();
    let mut i = 0;
    while i < deeper.len() {
        let slot = slot_of(deeper[i].0.addr, start, stride, width);
        let group = deeper[i..]
            .iter()
            .take_while(|(p, _)| slot_of(p.addr, start, stride, width) == slot)
            .count();
        let Slot::Leaf(inherited) = slots[slot] else {
            unreachable!("a slot gets one child")
        };
        let child = build_node(
            nodes,
            &deeper[i..i + group],
            end,
            CHILD_STRIDE,
            inherited,
            width,
        )?;
        if child > usize::from(!CHILD) {
            return Err(format!("more than {} trie nodes", !CHILD));
        }
        slots[slot] = Slot::Node(child);
        i += group;
    }
    nodes[index] = slots;
    Ok(index)
}

/// Lays the nodes out as bitmap words (with their ranks) and run entries.
fn flatten(nodes: &[Vec<Slot>]) -> CompiledTrie {
    let mut out = CompiledTrie::default();
    for node in nodes {
        for (w, chunk) in node.chunks(64).enumerate() {
            let rank = out.entries.len() as u32;
            let mut word = 0u64;
            for (b, slot) in chunk.iter().enumerate() {
                let i = w * 64 + b;
                let starts_run = i == 0 || matches!(slot, Slot::Node(_)) || *slot != node[i - 1];
                if starts_run {
                    word |= 1 << b;
                    out.entries.push(match *slot {
                        Slot::Leaf(location) => location,
                        // Children are numbered from 0 right after the root.
                        Slot::Node(n) => CHILD | (n - 1) as u16,
                    });
                }
            }
            out.words.push([word as u32, (word >> 32) as u32, rank]);
        }
    }
    debug_assert_eq!(
        out.words.len(),
        ROOT_WORDS + (nodes.len() - 1) * CHILD_WORDS
    );
    out
}
