//! Where the database is: `DATABASE_URL`, or a Secrets Manager secret (`DB_SECRET_ARN`) in the
//! shape RDS-managed secrets have (`host`, `port`, `username`, `password`, `dbname`), read once
//! per cold start. The password never reaches a log.

use anyhow::Context;
use serde::Deserialize;

#[derive(Deserialize)]
struct RdsSecret {
    host: String,
    #[serde(default)]
    port: Option<serde_json::Value>,
    username: String,
    password: String,
    #[serde(default, alias = "dbInstanceIdentifier")]
    dbname: Option<String>,
}

/// The database URL from the environment.
pub async fn database_url_from_env() -> anyhow::Result<String> {
    if let Ok(url) = std::env::var("DATABASE_URL") {
        return Ok(url);
    }
    let arn =
        std::env::var("DB_SECRET_ARN").context("neither DATABASE_URL nor DB_SECRET_ARN is set")?;
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let secret = aws_sdk_secretsmanager::Client::new(&config)
        .get_secret_value()
        .secret_id(&arn)
        .send()
        .await
        .with_context(|| format!("cannot read the database secret {arn}"))?;
    let text = secret
        .secret_string()
        .with_context(|| format!("the database secret {arn} has no string value"))?;
    url_from_secret(text).with_context(|| format!("the database secret {arn}"))
}

/// `mysql://user:password@host:port/dbname` from an RDS-shaped secret.
pub fn url_from_secret(json: &str) -> anyhow::Result<String> {
    let s: RdsSecret = serde_json::from_str(json)
        .map_err(|e| anyhow::anyhow!("is not JSON with host, username and password: {e}"))?;
    let port = match s.port {
        None => 3306,
        Some(serde_json::Value::Number(n)) => n.as_u64().context("port is not a number")?,
        Some(serde_json::Value::String(p)) => p.parse().context("port is not a number")?,
        Some(_) => anyhow::bail!("port is not a number"),
    };
    let db = s.dbname.unwrap_or_else(|| "artflow".into());
    Ok(format!(
        "mysql://{}:{}@{}:{port}/{}",
        encode(&s.username),
        encode(&s.password),
        s.host,
        encode(&db)
    ))
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn rds_secrets_become_urls_with_encoded_passwords() {
        let url = super::url_from_secret(
            r#"{"engine":"mysql","host":"db.example.internal","port":3306,"username":"artflow","password":"p@ss:w/rd","dbname":"flow"}"#,
        )
        .unwrap();
        assert_eq!(
            url,
            "mysql://artflow:p%40ss%3Aw%2Frd@db.example.internal:3306/flow"
        );
        let url =
            super::url_from_secret(r#"{"host":"h","port":"3307","username":"u","password":"p"}"#)
                .unwrap();
        assert_eq!(url, "mysql://u:p@h:3307/artflow");
        let err = super::url_from_secret(r#"{"host":"h"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("username"), "{err}");
    }
}
