//! Who artflow is to Jira. Jira Cloud takes Basic authentication with an account's email and an
//! API token; Jira Data Center takes a personal access token as a Bearer token. They come from
//! the environment (`JIRA_EMAIL` + `JIRA_API_TOKEN`, or `JIRA_PAT`) or from a Secrets Manager
//! secret named by `JIRA_AUTH_SECRET_ARN` whose JSON is `{"email", "api_token"}` or `{"pat"}`.
//! No token ever reaches a log or an error message.

use base64::Engine;
use serde::Deserialize;

use crate::Error;

#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// Jira Cloud: `Authorization: Basic base64(email:api_token)`.
    ApiToken { email: String, token: String },
    /// Jira Data Center: `Authorization: Bearer <personal access token>`.
    Pat(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::ApiToken { email, .. } => write!(f, "ApiToken({email}, <redacted>)"),
            Credentials::Pat(_) => write!(f, "Pat(<redacted>)"),
        }
    }
}

const HOW: &str = "set JIRA_EMAIL and JIRA_API_TOKEN (Jira Cloud), JIRA_PAT (Jira Data Center), \
                   or JIRA_AUTH_SECRET_ARN (a Secrets Manager secret)";

#[derive(Deserialize)]
struct Secret {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    api_token: Option<String>,
    #[serde(default)]
    pat: Option<String>,
}

impl Credentials {
    /// The `Authorization` header value.
    pub fn header(&self) -> String {
        match self {
            Credentials::ApiToken { email, token } => format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{email}:{token}"))
            ),
            Credentials::Pat(pat) => format!("Bearer {pat}"),
        }
    }

    /// From variables read through `var` (the environment in production, a map in tests):
    /// `JIRA_EMAIL` + `JIRA_API_TOKEN`, or `JIRA_PAT`. `None` when none of them is set.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<Credentials>, Error> {
        let get = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let (email, token, pat) = (get("JIRA_EMAIL"), get("JIRA_API_TOKEN"), get("JIRA_PAT"));
        match (email, token, pat) {
            (None, None, None) => Ok(None),
            (Some(_), Some(_), Some(_)) => Err(Error::Credentials(
                "both JIRA_EMAIL/JIRA_API_TOKEN and JIRA_PAT are set: set one kind only".into(),
            )),
            (Some(email), Some(token), None) => Ok(Some(Credentials::ApiToken { email, token })),
            (None, None, Some(pat)) => Ok(Some(Credentials::Pat(pat))),
            (Some(_), None, _) => Err(Error::Credentials(
                "JIRA_EMAIL is set but JIRA_API_TOKEN is not".into(),
            )),
            (None, Some(_), _) => Err(Error::Credentials(
                "JIRA_API_TOKEN is set but JIRA_EMAIL is not".into(),
            )),
        }
    }

    /// From a secret's JSON: `{"email": "...", "api_token": "..."}` or `{"pat": "..."}`.
    pub fn from_secret_json(text: &str) -> Result<Credentials, Error> {
        let s: Secret = serde_json::from_str(text).map_err(|e| {
            Error::Credentials(format!(
                "the secret is not JSON with email and api_token, or pat: {e}"
            ))
        })?;
        let nonempty = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        match (nonempty(s.email), nonempty(s.api_token), nonempty(s.pat)) {
            (_, _, Some(pat)) => Ok(Credentials::Pat(pat)),
            (Some(email), Some(token), None) => Ok(Credentials::ApiToken { email, token }),
            _ => Err(Error::Credentials(
                "the secret has neither `email` and `api_token` nor `pat`".into(),
            )),
        }
    }

    /// From the environment: the secret named by `JIRA_AUTH_SECRET_ARN` when it is set (read
    /// once), else the variables of [`Credentials::from_vars`].
    pub async fn from_env() -> Result<Credentials, Error> {
        if let Some(arn) = std::env::var("JIRA_AUTH_SECRET_ARN")
            .ok()
            .filter(|a| !a.is_empty())
        {
            let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
            let secret = aws_sdk_secretsmanager::Client::new(&config)
                .get_secret_value()
                .secret_id(&arn)
                .send()
                .await
                .map_err(|e| {
                    Error::Credentials(format!(
                        "cannot read the Jira secret {arn}: {}",
                        aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
                    ))
                })?;
            let text = secret.secret_string().ok_or_else(|| {
                Error::Credentials(format!("the Jira secret {arn} has no string value"))
            })?;
            return Credentials::from_secret_json(text).map_err(|e| match e {
                Error::Credentials(why) => Error::Credentials(format!("{arn}: {why}")),
                other => other,
            });
        }
        Credentials::from_vars(|name| std::env::var(name).ok())?
            .ok_or_else(|| Error::Credentials(format!("no Jira credentials: {HOW}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn cloud_sends_basic_email_and_token_data_center_a_bearer_token() {
        let cloud = Credentials::from_vars(vars(&[
            ("JIRA_EMAIL", "rte@example.com"),
            ("JIRA_API_TOKEN", "s3cret"),
        ]))
        .unwrap()
        .unwrap();
        // base64("rte@example.com:s3cret"), computed independently.
        assert_eq!(cloud.header(), "Basic cnRlQGV4YW1wbGUuY29tOnMzY3JldA==");
        let dc = Credentials::from_vars(vars(&[("JIRA_PAT", "NjQ1")]))
            .unwrap()
            .unwrap();
        assert_eq!(dc.header(), "Bearer NjQ1");
        assert_eq!(Credentials::from_vars(vars(&[])).unwrap(), None);
    }

    #[test]
    fn half_set_or_doubly_set_variables_are_named() {
        let err = Credentials::from_vars(vars(&[("JIRA_EMAIL", "a@b")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("JIRA_API_TOKEN is not"), "{err}");
        let err = Credentials::from_vars(vars(&[("JIRA_API_TOKEN", "t")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("JIRA_EMAIL is not"), "{err}");
        let err = Credentials::from_vars(vars(&[
            ("JIRA_EMAIL", "a@b"),
            ("JIRA_API_TOKEN", "t"),
            ("JIRA_PAT", "p"),
        ]))
        .unwrap_err()
        .to_string();
        assert!(err.contains("set one kind only"), "{err}");
    }

    #[test]
    fn secrets_hold_either_kind_and_tokens_never_print() {
        let c = Credentials::from_secret_json(r#"{"email":"a@b.c","api_token":"tok"}"#).unwrap();
        assert_eq!(
            c,
            Credentials::ApiToken {
                email: "a@b.c".into(),
                token: "tok".into()
            }
        );
        assert!(!format!("{c:?}").contains("tok"));
        let c = Credentials::from_secret_json(r#"{"pat":"xyz"}"#).unwrap();
        assert_eq!(c, Credentials::Pat("xyz".into()));
        assert!(!format!("{c:?}").contains("xyz"));
        let err = Credentials::from_secret_json(r#"{"email":"a@b.c"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("neither"), "{err}");
        let err = Credentials::from_secret_json("not json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not JSON"), "{err}");
    }
}
