//! Anonymous Bearer tokens, as clients get them: a `401` names a token
//! service in `WWW-Authenticate: Bearer realm=...,service=...,scope=...`,
//! which hands out a token for that scope without credentials.

use serde::Deserialize;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub service: Option<String>,
    pub scope: Option<String>,
}

/// The Bearer challenge of a `WWW-Authenticate` header, if it has one.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let rest = header.trim();
    let (scheme, params) = rest.split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut realm = None;
    let mut service = None;
    let mut scope = None;
    let mut rest = params.trim();
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let (value, tail) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"')?;
            (&quoted[..end], &quoted[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        match name.trim().to_ascii_lowercase().as_str() {
            "realm" => realm = Some(value.to_string()),
            "service" => service = Some(value.to_string()),
            "scope" => scope = Some(value.to_string()),
            _ => {}
        }
        rest = tail.trim_start().trim_start_matches(',').trim_start();
    }
    Some(Challenge {
        realm: realm?,
        service,
        scope,
    })
}

impl Challenge {
    /// The token request's URL.
    pub fn token_url(&self) -> Result<url::Url, String> {
        let mut url = url::Url::parse(&self.realm)
            .map_err(|e| format!("token realm {:?}: {e}", self.realm))?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = &self.service {
                query.append_pair("service", service);
            }
            if let Some(scope) = &self.scope {
                query.append_pair("scope", scope);
            }
        }
        Ok(url)
    }
}

#[derive(Deserialize)]
struct TokenBody {
    token: Option<String>,
    access_token: Option<String>,
}

/// The token of a token service's answer (`token`, or OAuth's `access_token`).
pub fn parse_token(body: &[u8]) -> Result<String, String> {
    let parsed: TokenBody =
        serde_json::from_slice(body).map_err(|e| format!("token answer: {e}"))?;
    parsed
        .token
        .or(parsed.access_token)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| "token answer has no token".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_as_registries_send_them() {
        let ar = r#"Bearer realm="https://us-central1-docker.pkg.dev/v2/token",service="us-central1-docker.pkg.dev",scope="repository:k8s-artifacts-prod/images/pause:pull""#;
        let c = parse_challenge(ar).unwrap();
        assert_eq!(c.service.as_deref(), Some("us-central1-docker.pkg.dev"));
        assert_eq!(
            c.token_url().unwrap().as_str(),
            "https://us-central1-docker.pkg.dev/v2/token?service=us-central1-docker.pkg.dev&scope=repository%3Ak8s-artifacts-prod%2Fimages%2Fpause%3Apull"
        );
        let bare =
            parse_challenge("bearer realm=http://127.0.0.1:1/token, scope=\"registry:catalog:*\"")
                .unwrap();
        assert_eq!(
            (bare.realm.as_str(), bare.service, bare.scope.as_deref()),
            ("http://127.0.0.1:1/token", None, Some("registry:catalog:*"))
        );
        assert_eq!(parse_challenge(r#"Basic realm="x""#), None);
        assert_eq!(parse_challenge("Bearer service=\"x\""), None);
    }

    #[test]
    fn tokens() {
        assert_eq!(
            parse_token(br#"{"token":"abc","expires_in":300}"#).unwrap(),
            "abc"
        );
        assert_eq!(parse_token(br#"{"access_token":"xyz"}"#).unwrap(), "xyz");
        assert!(parse_token(br#"{"token":""}"#).is_err());
    }
}
