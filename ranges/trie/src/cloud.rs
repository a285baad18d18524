//! The clouds whose published address ranges the tables know.

/// A cloud provider whose published ranges are compiled into the tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cloud {
    Aws,
    Gcp,
    Azure,
}

impl Cloud {
    /// Every cloud, in the order used to break ties between identical
    /// prefixes published by different providers.
    pub const ALL: [Cloud; 3] = [Cloud::Aws, Cloud::Gcp, Cloud::Azure];

    /// The label used in ranges/sources.json, the snapshot, CLI output and logs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Cloud::Aws => "AWS",
            Cloud::Gcp => "GCP",
            Cloud::Azure => "Azure",
        }
    }

    /// Parses a label as written by [`Cloud::as_str`].
    pub fn from_label(label: &str) -> Option<Cloud> {
        Cloud::ALL.into_iter().find(|c| c.as_str() == label)
    }
}

impl core::fmt::Display for Cloud {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}
