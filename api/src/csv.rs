//! CSV renderings: one quoting rule for every CSV artflow writes.

use std::fmt::Write as _;

use crate::read::IssuePage;

/// A CSV field, quoted when it holds a comma, a quote or a line break.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// One line of fields.
pub fn line(out: &mut String, cells: &[String]) {
    let cells: Vec<String> = cells.iter().map(|c| field(c)).collect();
    let _ = writeln!(out, "{}", cells.join(","));
}

/// The columns of [`issues`]: the page's `art` and `config`, then every field of a JSON issue
/// row ([`crate::read::IssueRow`]) under its JSON name, in its JSON order.
pub const ISSUE_COLUMNS: [&str; 13] = [
    "art",
    "config",
    "key",
    "type",
    "outcome",
    "start",
    "end",
    "lead_days",
    "active_days",
    "reopens",
    "backward_moves",
    "first_end",
    "note",
];

/// A page of issues, one line per JSON row (see [`ISSUE_COLUMNS`]); null is an empty cell.
pub fn issues(page: &IssuePage) -> String {
    let mut out = ISSUE_COLUMNS.join(",");
    out.push('\n');
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for i in &page.issues {
        let cells: [String; ISSUE_COLUMNS.len()] = [
            page.art.clone(),
            page.config.clone(),
            i.key.clone(),
            opt(&i.issue_type),
            i.outcome.clone(),
            opt(&i.start),
            opt(&i.end),
            num(i.lead_days),
            num(i.active_days),
            i.reopens.to_string(),
            i.backward_moves.to_string(),
            opt(&i.first_end),
            opt(&i.note),
        ];
        line(&mut out, &cells);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::IssueRow;

    #[test]
    fn the_issue_columns_are_the_json_fields_in_their_order() {
        let row = IssueRow {
            key: "PAY-1".into(),
            issue_type: Some("Story".into()),
            outcome: "counted".into(),
            start: Some("2026-01-01T00:00:00.000Z".into()),
            end: Some("2026-01-09T00:00:00.000Z".into()),
            lead_days: Some(8.0),
            active_days: Some(2.5),
            reopens: 1,
            backward_moves: 2,
            first_end: Some("2026-01-05T00:00:00.000Z".into()),
            note: Some("odd, \"quoted\"".into()),
        };
        let json = serde_json::to_string(&row).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let mut fields: Vec<&String> = value.as_object().unwrap().keys().collect();
        fields.sort_by_key(|k| json.find(&format!("\"{k}\":")).unwrap());
        assert_eq!(fields, ISSUE_COLUMNS[2..].iter().collect::<Vec<_>>());
        let page = IssuePage {
            art: "PAY".into(),
            config: "PAY-FLOW".into(),
            issues: vec![row],
            next_cursor: None,
        };
        assert_eq!(
            issues(&page),
            "art,config,key,type,outcome,start,end,lead_days,active_days,reopens,backward_moves,first_end,note\n\
             PAY,PAY-FLOW,PAY-1,Story,counted,2026-01-01T00:00:00.000Z,2026-01-09T00:00:00.000Z,8,2.5,1,2,\
             2026-01-05T00:00:00.000Z,\"odd, \"\"quoted\"\"\"\n"
        );
    }
}
