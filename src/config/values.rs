//! Parsers of the kinds of value variables hold: each takes the variable's
//! text and says what is wrong with it (the caller names the variable).

use crate::request::host::is_authority;
use crate::request::raw::is_path_byte;

/// A number from 0 to 1 (`0.25`).
pub fn fraction(text: &str) -> Result<f64, String> {
    match text.trim_matches('"').parse::<f64>() {
        Ok(n) if (0.0..=1.0).contains(&n) => Ok(n),
        _ => Err(format!("{text:?} is not a number from 0 to 1")),
    }
}

/// `true` or `false` (a TOML boolean arrives as its JSON text).
pub fn boolean(text: &str) -> Result<bool, String> {
    match text.trim_matches('"') {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(format!("{text:?} is not true or false")),
    }
}

/// A whole number within `range`.
pub fn number(text: &str, range: std::ops::RangeInclusive<u32>) -> Result<u32, String> {
    // A JSON string variable arrives quoted when given as "2000" in JSON.
    match text.trim_matches('"').parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(format!(
            "{text:?} is not a whole number from {} to {}",
            range.start(),
            range.end()
        )),
    }
}

/// `http(s)://host[:port][/path]` without query, fragment or user info;
/// a trailing `/` is dropped so paths can be appended.
pub fn base_url(text: &str) -> Result<String, String> {
    let url = page_url(text)?;
    if url.contains(['?', '#']) {
        return Err(format!("{text:?} must not have a query or fragment"));
    }
    Ok(url.trim_end_matches('/').to_string())
}

/// An absolute `http(s)` URL with a host, no spaces or control characters.
pub fn page_url(text: &str) -> Result<String, String> {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .ok_or_else(|| format!("{text:?} is not an absolute http:// or https:// URL"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if !is_authority(authority) {
        return Err(format!("{text:?} has no valid host"));
    }
    if !tail
        .bytes()
        .all(|b| is_path_byte(b) || b == b'?' || b == b'#')
    {
        return Err(format!(
            "{text:?} has characters that need percent-encoding"
        ));
    }
    Ok(text.to_string())
}

/// `a/b/c` of `[a-z0-9._-]` segments; leading and trailing `/` dropped.
pub fn repository_path(text: &str) -> Result<String, String> {
    let path = text.trim_matches('/');
    if path.is_empty() {
        return Ok(String::new());
    }
    let ok = path.split('/').all(|s| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
    });
    if ok {
        Ok(path.to_string())
    } else {
        Err(format!(
            "{text:?} is not a repository path like k8s-artifacts-prod/images"
        ))
    }
}
