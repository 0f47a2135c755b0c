//! The progress of a backfill on stderr: one line redrawn in place on a terminal, one line per
//! page otherwise (a log file, CI).

use std::io::{IsTerminal, Write};

use crate::run::Counts;

/// The progress line for `counts`, e.g. `page 3: 150 of 1234 issues, 1520 events: 1400 applied,
/// 120 duplicates`.
pub fn line(counts: &Counts) -> String {
    let d = &counts.delivered;
    let issues = match counts.total {
        Some(total) => format!("{} of {total} issues", counts.issues),
        None => format!("{} issues", counts.issues),
    };
    let mut parts = Vec::new();
    if d.queued == 0 || d.applied + d.duplicates > 0 {
        parts.push(format!(
            "{} applied, {} duplicates",
            d.applied, d.duplicates
        ));
    }
    if d.queued > 0 {
        parts.push(format!("{} queued", d.queued));
    }
    if d.failed > 0 {
        parts.push(format!("{} failed", d.failed));
    }
    let changelogs = match counts.changelogs {
        0 => String::new(),
        1 => " (1 changelog completed)".into(),
        n => format!(" ({n} changelogs completed)"),
    };
    format!(
        "page {}: {issues}{changelogs}, {} events: {}",
        counts.pages,
        counts.events,
        parts.join(", ")
    )
}

/// Draws [`line`] on stderr after each page.
pub struct Progress {
    terminal: bool,
    drawn: bool,
}

impl Progress {
    pub fn stderr() -> Progress {
        Progress {
            terminal: std::io::stderr().is_terminal(),
            drawn: false,
        }
    }

    pub fn update(&mut self, counts: &Counts) {
        let mut err = std::io::stderr().lock();
        if self.terminal {
            // Back to the start of the line, the new text, then clear what the old one left.
            let _ = write!(err, "\r{}\x1b[K", line(counts));
            let _ = err.flush();
            self.drawn = true;
        } else {
            let _ = writeln!(err, "{}", line(counts));
        }
    }

    /// Ends the redrawn line, so that what follows starts on a line of its own.
    pub fn finish(&mut self) {
        if self.drawn {
            eprintln!();
            self.drawn = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::Delivered;

    #[test]
    fn lines_say_what_is_known() {
        let mut c = Counts {
            pages: 3,
            issues: 150,
            total: Some(1234),
            changelogs: 0,
            events: 1520,
            delivered: Delivered {
                applied: 1400,
                duplicates: 120,
                ..Delivered::default()
            },
        };
        assert_eq!(
            line(&c),
            "page 3: 150 of 1234 issues, 1520 events: 1400 applied, 120 duplicates"
        );
        c.total = None;
        c.changelogs = 2;
        c.delivered = Delivered {
            queued: 1520,
            ..Delivered::default()
        };
        assert_eq!(
            line(&c),
            "page 3: 150 issues (2 changelogs completed), 1520 events: 1520 queued"
        );
    }
}
