//! The JQL a backfill runs: the user's query, narrowed to recent updates (`--since`, or the
//! reconciliation's last N minutes), in a stable order so that offset paging (Data Center's
//! `startAt`) neither skips nor repeats an issue that is updated while the backfill runs.

use chrono::NaiveDate;

/// Splits `jql` into its condition and its `ORDER BY` clause (with the keywords), if any. The
/// keywords count only outside quoted strings.
fn split_order(jql: &str) -> (&str, Option<&str>) {
    let bytes = jql.as_bytes();
    let mut quote: Option<u8> = None;
    let mut found = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            // A backslash escapes the next character inside a string.
            Some(_) if b == b'\\' => i += 1,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None => {
                let boundary = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
                if boundary && jql[i..].len() >= 5 && jql[i..i + 5].eq_ignore_ascii_case("order") {
                    let rest = &jql[i + 5..];
                    let trimmed = rest.trim_start();
                    if trimmed.len() < rest.len()
                        && trimmed.len() >= 2
                        && trimmed[..2].eq_ignore_ascii_case("by")
                        && !trimmed[2..]
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_ascii_alphanumeric())
                    {
                        found = Some(i);
                    }
                }
            }
        }
        i += 1;
    }
    match found {
        Some(at) => (jql[..at].trim_end(), Some(jql[at..].trim())),
        None => (jql.trim(), None),
    }
}

/// `jql` with `AND updated >= "<bound>"`, its own `ORDER BY` kept last.
fn and_updated(jql: &str, bound: &str) -> String {
    let (condition, order) = split_order(jql);
    let mut out = if condition.is_empty() {
        format!("updated >= \"{bound}\"")
    } else {
        format!("({condition}) AND updated >= \"{bound}\"")
    };
    if let Some(order) = order {
        out.push(' ');
        out.push_str(order);
    }
    out
}

/// `artflow backfill --since DATE`: only issues updated on or after that day.
pub fn since(jql: &str, day: NaiveDate) -> String {
    and_updated(jql, &day.format("%Y-%m-%d").to_string())
}

/// The reconciliation's query: every issue of these projects updated in the last `minutes`.
pub fn recent(project_keys: &[String], minutes: u32) -> String {
    let keys: Vec<String> = project_keys
        .iter()
        .map(|k| format!("\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    format!(
        "project in ({}) AND updated >= \"-{minutes}m\"",
        keys.join(", ")
    )
}

/// Whether `jql` has an `ORDER BY` of its own (outside quoted text).
pub fn has_order(jql: &str) -> bool {
    split_order(jql).1.is_some()
}

/// `jql` as it is sent: with `ORDER BY created ASC` when it has no order of its own (creation
/// times never change, so pages stay put while issues are updated).
pub fn ordered(jql: &str) -> String {
    match split_order(jql) {
        (_, Some(_)) => jql.trim().to_owned(),
        (condition, None) => format!("{condition} ORDER BY created ASC"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn since_narrows_the_condition_and_keeps_the_order_last() {
        assert_eq!(
            since("project in (PAY, PAYT)", day("2024-03-01")),
            r#"(project in (PAY, PAYT)) AND updated >= "2024-03-01""#
        );
        assert_eq!(
            since(
                "project = PAY OR labels = x order  by key DESC",
                day("2024-03-01")
            ),
            r#"(project = PAY OR labels = x) AND updated >= "2024-03-01" order  by key DESC"#
        );
        // Quoted text that looks like ORDER BY is text.
        assert_eq!(
            since(r#"summary ~ "order by" "#, day("2024-03-01")),
            r#"(summary ~ "order by") AND updated >= "2024-03-01""#
        );
        assert_eq!(
            since("ORDER BY rank", day("2024-03-01")),
            r#"updated >= "2024-03-01" ORDER BY rank"#
        );
    }

    #[test]
    fn queries_without_an_order_are_ordered_by_creation() {
        assert_eq!(
            ordered("project = PAY"),
            "project = PAY ORDER BY created ASC"
        );
        assert_eq!(
            ordered("project = PAY ORDER BY key"),
            "project = PAY ORDER BY key"
        );
        assert!(has_order("project = PAY order by updated DESC"));
        assert!(!has_order(r#"summary ~ "order by""#));
        // `reorder` and `orderly` are not the keyword.
        assert_eq!(
            ordered("labels = reorder or labels = orderly"),
            "labels = reorder or labels = orderly ORDER BY created ASC"
        );
    }

    #[test]
    fn the_reconciliation_query_quotes_every_key() {
        assert_eq!(
            recent(&["PAY".into(), "PAYT".into()], 90),
            r#"project in ("PAY", "PAYT") AND updated >= "-90m""#
        );
    }
}
