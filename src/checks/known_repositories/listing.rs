//! Reading the upstream's listing: `GET <endpoint>/v2/<path>/tags/list`
//! answers `{"name": …, "child": [<top-level names>], "tags": […], …}`
//! (Artifact Registry; archeio reads the same array), possibly over pages
//! linked by `Link: <next URL>; rel="next"` (distribution-spec, "Listing
//! Tags").

use super::{RepositoryList, MAX_PAGES, MAX_PAGE_BYTES, MAX_REPOSITORIES};
use crate::request::raw::{is_path_text, is_query_text};
use serde::Deserialize;
use std::fmt;

/// One page as the runtime fetched it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingPage {
    pub status: u16,
    /// The `Link` header, if any.
    pub link: Option<String>,
    pub body: String,
}

/// Why a listing gave no list (the last good one is kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListingFailure {
    /// No answer within `LISTING_TIMEOUT_MS`.
    Timeout,
    /// Refused, reset, DNS or TLS.
    Network,
    /// Any answer but 200 (redirects are not followed).
    Status(u16),
    /// A body longer than [`MAX_PAGE_BYTES`].
    TooLarge,
    /// Not a JSON object whose `child` is an array of strings.
    NotJson,
    /// No top-level name in any page.
    NoRepositories,
    /// More than [`MAX_REPOSITORIES`] names or [`MAX_PAGES`] pages, or a
    /// page linking back to one already read: what was read is not the
    /// whole list.
    TooMany,
    /// A next page on another origin, or not a URL: not followed, so the
    /// list would be partial.
    ForeignNextPage,
}

impl fmt::Display for ListingFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListingFailure::Timeout => f.write_str("timeout"),
            ListingFailure::Network => f.write_str("network error"),
            ListingFailure::Status(status) => write!(f, "status {status}"),
            ListingFailure::TooLarge => write!(f, "a page over {MAX_PAGE_BYTES} bytes"),
            ListingFailure::NotJson => f.write_str("not a JSON listing with a child array"),
            ListingFailure::NoRepositories => f.write_str("no repositories"),
            ListingFailure::TooMany => write!(
                f,
                "over {MAX_REPOSITORIES} repositories or {MAX_PAGES} pages"
            ),
            ListingFailure::ForeignNextPage => f.write_str("a next page on another host"),
        }
    }
}

#[derive(Deserialize)]
struct Page {
    child: Vec<String>,
}

/// The `child` array of one page's body.
pub fn page_children(body: &str) -> Result<Vec<String>, ListingFailure> {
    if body.len() > MAX_PAGE_BYTES {
        return Err(ListingFailure::TooLarge);
    }
    serde_json::from_str::<Page>(body)
        .map(|page| page.child)
        .map_err(|_| ListingFailure::NotJson)
}

/// `scheme://authority` of an absolute URL.
pub fn origin(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")? + 3;
    let authority_end = url[scheme_end..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| scheme_end + i);
    (authority_end > scheme_end).then_some(&url[..authority_end])
}

/// The next page a `Link` header names (`rel="next"`), as an absolute URL
/// on `origin`: `Ok(None)` when there is none, an error when it is on
/// another origin or is no URL path (a partial list is no list).
pub fn next_page(link: &str, origin: &str) -> Result<Option<String>, ListingFailure> {
    let mut rest = link;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>').map(|i| open + i) else {
            break;
        };
        let target = &rest[open + 1..close];
        let params_end = rest[close..].find('<').map_or(rest.len(), |i| close + i);
        let params = &rest[close + 1..params_end];
        if is_next(params) {
            return resolve(target, origin).map(Some);
        }
        rest = &rest[params_end..];
    }
    Ok(None)
}

/// Whether a link's parameters (`; rel="next"`) make it the next page.
fn is_next(params: &str) -> bool {
    params.split(';').any(|param| {
        let Some((key, value)) = param.split_once('=') else {
            return false;
        };
        key.trim().eq_ignore_ascii_case("rel")
            && value
                .trim()
                .trim_end_matches(',')
                .trim()
                .trim_matches('"')
                .split_ascii_whitespace()
                .any(|rel| rel.eq_ignore_ascii_case("next"))
    })
}

/// `target` (a path, or an absolute URL on `origin`) as an absolute URL
/// on `origin`.
fn resolve(target: &str, origin: &str) -> Result<String, ListingFailure> {
    let path_and_query = if target.starts_with('/') && !target.starts_with("//") {
        target
    } else {
        match target.strip_prefix(origin) {
            Some(rest) if rest.starts_with('/') => rest,
            _ => return Err(ListingFailure::ForeignNextPage),
        }
    };
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    if !is_path_text(path) || !is_query_text(query) {
        return Err(ListingFailure::ForeignNextPage);
    }
    Ok(format!("{origin}{path_and_query}"))
}

/// Every page's names together, as a list listed at `listed_ms`.
pub fn list_of(names: Vec<String>, listed_ms: u64) -> Result<RepositoryList, ListingFailure> {
    RepositoryList::new(names, listed_ms).ok_or(ListingFailure::NoRepositories)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_child_array_of_an_artifact_registry_listing() {
        let body = r#"{"child":["pause","sig-storage"],"manifest":{},"name":"k8s-artifacts-prod/images","tags":[]}"#;
        assert_eq!(
            page_children(body),
            Ok(vec!["pause".into(), "sig-storage".into()])
        );
        assert_eq!(page_children(r#"{"child":[]}"#), Ok(vec![]));
        for junk in [
            "",
            "<html>",
            "null",
            "[]",
            r#"{"name":"x","tags":["a"]}"#,
            r#"{"child":"pause"}"#,
            r#"{"child":[1,2]}"#,
            r#"{"child":["pause"]"#,
        ] {
            assert_eq!(page_children(junk), Err(ListingFailure::NotJson), "{junk}");
        }
        let huge = format!(r#"{{"child":["{}"]}}"#, "a".repeat(MAX_PAGE_BYTES));
        assert_eq!(page_children(&huge), Err(ListingFailure::TooLarge));
    }

    #[test]
    fn origins() {
        assert_eq!(origin("https://a.example/v2/x"), Some("https://a.example"));
        assert_eq!(
            origin("http://127.0.0.1:5000"),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(origin("http:///x"), None);
        assert_eq!(origin("nothing"), None);
    }

    #[test]
    fn next_pages_stay_on_the_origin() {
        let o = "https://up.example";
        let next = |link: &str| next_page(link, o);
        assert_eq!(next(""), Ok(None));
        assert_eq!(
            next(r#"</v2/p/tags/list?n=2&last=b>; rel="next""#),
            Ok(Some("https://up.example/v2/p/tags/list?n=2&last=b".into()))
        );
        assert_eq!(
            next("<https://up.example/v2/p/tags/list?last=b>;rel=next"),
            Ok(Some("https://up.example/v2/p/tags/list?last=b".into()))
        );
        // The next one among several links.
        assert_eq!(
            next(r#"</v2/p/tags/list?last=a>; rel="prev", </v2/p/tags/list?last=c>; rel="next""#),
            Ok(Some("https://up.example/v2/p/tags/list?last=c".into()))
        );
        assert_eq!(next(r#"</v2/p/tags/list?last=a>; rel="prev""#), Ok(None));
        for foreign in [
            r#"<https://evil.example/v2/p/tags/list>; rel="next""#,
            r#"<https://up.example.evil.example/v2/x>; rel="next""#,
            r#"<https://up.example@evil.example/v2/x>; rel="next""#,
            r#"<//evil.example/v2/x>; rel="next""#,
            r#"<tags/list?last=b>; rel="next""#,
            r#"<http://up.example/v2/x>; rel="next""#,
            "</v2/a b>; rel=\"next\"",
            "</v2/a\r\nX: y>; rel=\"next\"",
        ] {
            assert_eq!(
                next(foreign),
                Err(ListingFailure::ForeignNextPage),
                "{foreign}"
            );
        }
        // Unterminated or parameterless links are no next page.
        assert_eq!(next("</v2/x"), Ok(None));
        assert_eq!(next("</v2/x>"), Ok(None));
    }

    #[test]
    fn failures_say_why() {
        assert_eq!(ListingFailure::Status(500).to_string(), "status 500");
        assert_eq!(
            ListingFailure::NotJson.to_string(),
            "not a JSON listing with a child array"
        );
    }
}
