//! The audit's comparison: what a copy holds against what the upstream
//! names. An object is present when its size is the descriptor's, "wrong"
//! when its size differs (a truncated upload) or `--verify` found other
//! bytes, missing when absent.

use super::walk::Inventory;
use std::collections::HashMap;

/// What one look at a copy's object said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observation {
    Present {
        size: u64,
        e_tag: Option<String>,
    },
    Absent,
    /// The look failed (a 5xx, a timeout): neither present nor missing.
    Unknown(String),
}

/// An object under a blob's key that is not the blob.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct WrongObject {
    pub digest: String,
    pub size: u64,
    pub found_size: u64,
    /// The digest of the bytes found, when `--verify` read them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_digest: Option<String>,
    /// What a replacing write is conditional on.
    #[serde(skip)]
    pub e_tag: Option<String>,
}

/// One copy against the inventory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CopyState {
    /// Digests present with the right size (verified, with `--verify`).
    pub present: Vec<String>,
    pub missing: Vec<String>,
    pub wrong: Vec<WrongObject>,
    /// Digests whose look failed, with why.
    pub unknown: Vec<(String, String)>,
}

impl CopyState {
    pub fn missing_bytes(&self, inventory: &Inventory) -> u64 {
        let missing: u64 = self.missing.iter().map(|d| inventory.blobs[d].size).sum();
        missing + self.wrong.iter().map(|w| w.size).sum::<u64>()
    }

    /// `--verify` read `digest` and found other bytes.
    pub fn mark_corrupt(
        &mut self,
        digest: &str,
        found_digest: String,
        e_tag: Option<String>,
        size: u64,
    ) {
        self.present.retain(|d| d != digest);
        self.wrong.push(WrongObject {
            digest: digest.to_string(),
            size,
            found_size: size,
            found_digest: Some(found_digest),
            e_tag,
        });
        self.wrong.sort_by(|a, b| a.digest.cmp(&b.digest));
    }
}

/// Compares every blob of `inventory` with what `observe` says of it.
pub fn compare(inventory: &Inventory, mut observe: impl FnMut(&str) -> Observation) -> CopyState {
    let mut state = CopyState::default();
    for (digest, blob) in &inventory.blobs {
        match observe(digest) {
            Observation::Present { size, .. } if size == blob.size => {
                state.present.push(digest.clone())
            }
            Observation::Present { size, e_tag } => state.wrong.push(WrongObject {
                digest: digest.clone(),
                size: blob.size,
                found_size: size,
                found_digest: None,
                e_tag,
            }),
            Observation::Absent => state.missing.push(digest.clone()),
            Observation::Unknown(why) => state.unknown.push((digest.clone(), why)),
        }
    }
    state
}

/// A bucket listing as observations: every listed blob key's size and ETag.
pub fn from_listing(
    listed: &HashMap<String, (u64, Option<String>)>,
) -> impl FnMut(&str) -> Observation + '_ {
    |digest| match listed.get(digest) {
        Some((size, e_tag)) => Observation::Present {
            size: *size,
            e_tag: e_tag.clone(),
        },
        None => Observation::Absent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mirrors::walk::Blob;

    fn inventory(blobs: &[(&str, u64)]) -> Inventory {
        Inventory {
            blobs: blobs
                .iter()
                .map(|(d, size)| {
                    (
                        d.to_string(),
                        Blob {
                            size: *size,
                            repository: "r".into(),
                        },
                    )
                })
                .collect(),
            ..Inventory::default()
        }
    }

    #[test]
    fn counts_present_missing_wrong_and_unknown() {
        let inv = inventory(&[("a", 10), ("b", 20), ("c", 30), ("d", 40)]);
        let listed: HashMap<String, (u64, Option<String>)> = [
            ("a".to_string(), (10, None)),
            ("b".to_string(), (7, Some("\"e\"".to_string()))),
            ("z".to_string(), (1, None)),
        ]
        .into();
        let state = compare(&inv, from_listing(&listed));
        assert_eq!(state.present, ["a"]);
        assert_eq!(state.missing, ["c", "d"]);
        assert_eq!(state.wrong.len(), 1);
        assert_eq!(
            (
                state.wrong[0].size,
                state.wrong[0].found_size,
                state.wrong[0].e_tag.as_deref()
            ),
            (20, 7, Some("\"e\""))
        );
        // Missing bytes count what a sync would write: the missing and the wrong.
        assert_eq!(state.missing_bytes(&inv), 30 + 40 + 20);

        let unknown = compare(&inv, |d| {
            if d == "a" {
                Observation::Unknown("503".into())
            } else {
                Observation::Present {
                    size: inv.blobs[d].size,
                    e_tag: None,
                }
            }
        });
        assert_eq!(unknown.unknown, [("a".to_string(), "503".to_string())]);
    }

    #[test]
    fn a_verified_mismatch_turns_present_into_wrong() {
        let inv = inventory(&[("a", 10)]);
        let mut state = compare(&inv, |_| Observation::Present {
            size: 10,
            e_tag: Some("x".into()),
        });
        assert_eq!(state.present, ["a"]);
        state.mark_corrupt("a", "sha256:other".into(), Some("x".into()), 10);
        assert!(state.present.is_empty());
        assert_eq!(state.wrong[0].found_digest.as_deref(), Some("sha256:other"));
        assert_eq!(state.missing_bytes(&inv), 10);
    }
}
