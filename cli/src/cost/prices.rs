//! The price table (prices.toml, compiled in): one entry per meter, each
//! with where and when it was read. The model bills quantities by id.

use serde::{Deserialize, Serialize};

const TABLE: &str = include_str!("prices.toml");

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub id: String,
    pub what: String,
    pub unit: String,
    /// `usd` (or each tier's) is the price of this many units.
    pub per: f64,
    /// Units free each month.
    pub included: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usd: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<Tier>,
    pub link: String,
    pub read: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored: Option<String>,
    /// False when nothing is published and the price is assumed.
    pub published: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The next `first` units (after the tiers before it) at `usd` per `per`
/// units; unbounded without `first`.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<f64>,
    pub usd: f64,
}

#[derive(Deserialize)]
struct File {
    price: Vec<Price>,
}

impl Price {
    /// The monthly charge for `quantity` units.
    pub fn charge(&self, quantity: f64) -> f64 {
        let mut billable = (quantity - self.included).max(0.0);
        if let Some(usd) = self.usd {
            return billable / self.per * usd;
        }
        let mut total = 0.0;
        for tier in &self.tiers {
            let units = tier.first.map_or(billable, |first| billable.min(first));
            total += units / self.per * tier.usd;
            billable -= units;
            if billable <= 0.0 {
                break;
            }
        }
        total
    }
}

/// Every price, in the table's order.
pub fn table() -> Vec<Price> {
    let file: File = toml::from_str(TABLE).expect("cli/src/cost/prices.toml parses");
    file.price
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(id: &str) -> Price {
        table().into_iter().find(|p| p.id == id).unwrap()
    }

    #[test]
    fn every_price_is_cited_and_well_formed() {
        let prices = table();
        let mut ids: Vec<&str> = prices.iter().map(|p| p.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), prices.len(), "ids are unique");
        for p in &prices {
            assert!(p.link.starts_with("https://"), "{}", p.id);
            assert_eq!(p.read, "2026-12-07", "{}", p.id);
            assert!(p.per > 0.0 && p.included >= 0.0, "{}", p.id);
            // A flat price or tiers, not both; the last tier unbounded.
            assert!(p.usd.is_some() == p.tiers.is_empty(), "{}", p.id);
            if let Some(last) = p.tiers.last() {
                assert!(last.first.is_none(), "{}", p.id);
            }
            // An assumed price says what is assumed.
            assert!(p.published || p.note.is_some(), "{}", p.id);
        }
    }

    #[test]
    fn charges_by_hand() {
        // Workers requests: (1,000,000,000 - 10,000,000) / 1,000,000 * $0.30.
        assert!((find("workers_requests").charge(1e9) - 297.0).abs() < 1e-9);
        // Under the allowance: nothing.
        assert_eq!(find("workers_requests").charge(5e6), 0.0);
        // CloudFront, 61 TB: 1 TB free, 10 TB at $0.085, 40 TB at $0.08, 10
        // TB at $0.06 = 850 + 3,200 + 600.
        assert!((find("cloudfront_egress").charge(61_000.0) - 4_650.0).abs() < 1e-6);
        // Artifact Registry to the Internet, 2 TB: 1,000 GB at $0.12, 1,000 at $0.11.
        assert!((find("ar_egress_internet").charge(2_000.0) - 230.0).abs() < 1e-9);
        // S3 GETs: 2,500,000 at $0.0004 per 1,000.
        assert!((find("s3_get_requests").charge(2.5e6) - 1.0).abs() < 1e-12);
    }
}
