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

/// A page of issues: key, type, outcome, start, end, lead and active days, reopens, note.
pub fn issues(page: &IssuePage) -> String {
    let mut out =
        String::from("art,config,key,type,outcome,start,end,lead_days,active_days,reopens,note\n");
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for i in &page.issues {
        line(
            &mut out,
            &[
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
                opt(&i.note),
            ],
        );
    }
    out
}
