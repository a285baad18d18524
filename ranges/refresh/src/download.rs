//! Downloads through curl, and finding Azure's rotating file link.

use std::process::Command;

/// GETs `url` with curl (fails on HTTP errors, bounded time, a few retries).
pub fn fetch_text(url: &str) -> Result<String, String> {
    let output = Command::new("curl")
        .args(["--fail", "--silent", "--show-error", "--location"])
        .args([
            "--max-time",
            "180",
            "--retry",
            "2",
            "--user-agent",
            "registry-edge-ranges-refresh",
        ])
        .arg(url)
        .output()
        .map_err(|e| format!("cannot run curl (is it installed?): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{url}: download failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8(output.stdout).map_err(|_| format!("{url}: not UTF-8 text"))
}

/// The first `http(s)://…` link in `page` matching `pattern` (`*` matches
/// any run of characters except quotes, spaces and angle brackets).
pub fn find_link(page: &str, pattern: &str) -> Option<String> {
    let scheme = if pattern.starts_with("https://") {
        "https://"
    } else {
        "http://"
    };
    page.match_indices(scheme).find_map(|(start, _)| {
        let rest = &page[start..];
        let end = rest
            .find(['"', '\'', ' ', '<', '>', '\n'])
            .unwrap_or(rest.len());
        let link = &rest[..end];
        glob_match(pattern, link).then(|| link.to_string())
    })
}

fn glob_match(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(rest) = text.strip_prefix(head) else {
                return false;
            };
            (0..=rest.len())
                .filter(|&i| rest.is_char_boundary(i))
                .any(|i| glob_match(tail, &rest[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATTERN: &str = "https://download.microsoft.com/download/*/ServiceTags_Public_*.json";

    #[test]
    fn finds_the_weekly_service_tags_link() {
        let page = r#"<a href="https://www.microsoft.com/x">x</a>
            <a href="https://download.microsoft.com/download/7/1/d/71d86715/ServiceTags_Public_20261123.json" class="dl">Download</a>
            <a href="https://download.microsoft.com/download/7/1/d/71d86715/ServiceTags_Public_20261116.json">old</a>"#;
        assert_eq!(
            find_link(page, PATTERN).as_deref(),
            Some("https://download.microsoft.com/download/7/1/d/71d86715/ServiceTags_Public_20261123.json")
        );
    }

    #[test]
    fn no_matching_link() {
        let page = r#"<a href="https://download.microsoft.com/download/1/ServiceTags_AzureGovernment_20261123.json">"#;
        assert_eq!(find_link(page, PATTERN), None);
        assert_eq!(find_link("", PATTERN), None);
    }

    #[test]
    fn glob() {
        assert!(glob_match("a*c", "abc"));
        assert!(glob_match("a*c", "ac"));
        assert!(glob_match("a*b*c", "axxbyyc"));
        assert!(!glob_match("a*c", "abd"));
        assert!(!glob_match("abc", "abcd"));
    }
}
