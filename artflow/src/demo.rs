//! The demo data set behind `artflow demo`: a fictional Jira Cloud site,
//! `demo-train.atlassian.net`, with four Agile Release Trains and one project that no train owns,
//! generated deterministically from a seed.
//!
//! What a Release Train Engineer will recognise in it:
//! - Payments (`PAY`, teams `PAYT`, Berlin), Mobile (`MOB`, Los Angeles), Data Platform (`DATA`,
//!   teams `DATAT`, Kolkata) and Operations (`OPS`, New York, its own workflow with other stage
//!   names), plus Facilities (`FAC`, London), which belongs to no train.
//! - Features and enablers flow Funnel → Analyzing → Backlog → Implementing → Validating →
//!   Releasing → Done; stories and bugs start in the team backlog. Stages are skipped, cards are
//!   dragged to the wrong column and back within a minute, work goes on hold, comes back from
//!   validation, is reopened after Done, is rejected straight from the Funnel, or is created
//!   directly in Done.
//! - The old job's date fields: Analysis Start (`customfield_10050`, a date) and Release Date
//!   (`customfield_10051`, a datetime), sometimes forgotten, sometimes planned ahead, sometimes
//!   mistyped so that the release precedes the analysis.
//! - Issues moved between projects (their `Key` changes, their id does not), changelogs that
//!   Jira returns newest-first, times in the viewer's zone with daylight-saving changes, and a
//!   handful of issues deleted after the import (as `jira:issue_deleted` webhooks).
//!
//! Only `serde_json` and `std`: the pseudo-random numbers come from splitmix64 and the few
//! floating-point functions needed are computed with basic arithmetic, so a seed gives the same
//! bytes everywhere.

use serde_json::{Map, Value, json};

/// Everything `artflow demo` loads: a configuration, an import and the webhooks that follow it.
pub struct DemoData {
    /// The pipeline configuration, in artflow's TOML format.
    pub config_toml: String,
    /// Jira REST search responses (`{"expand","startAt","maxResults","total","issues":[...]}`),
    /// with a file-like name each.
    pub search_responses: Vec<(String, Value)>,
    /// Webhook bodies applied after the import (issue deletions), in Jira Cloud's shape.
    pub webhooks: Vec<Value>,
}

/// Generates the demo data set for `seed`. The same seed always gives the same data.
pub fn generate(seed: u64) -> DemoData {
    let mut rng = Rng::new(seed);
    let first = utc(2026, 1, 5, 7, 0);
    let last_created = utc(2026, 11, 20, 17, 0);
    let now = export_time();

    let mut plans = Vec::new();
    for (project, &base) in PROJECT_SIZES.iter().enumerate() {
        let n = if project == FAC {
            base + rng.below(3) as usize
        } else {
            base - 4 + rng.below(9) as usize
        };
        let zone = GROUPS[PROJECTS[project].group].zone;
        for _ in 0..n {
            let itype = rng.weighted(&PROJECT_TYPES[project]);
            let big = itype == FEATURE || itype == ENABLER;
            let created = created_time(&mut rng, first, last_created, zone, big);
            plans.push(plan_issue(&mut rng, project, itype, created, now));
        }
    }
    plans.sort_by_key(|p| p.created);
    add_moves(&mut rng, &mut plans, now);
    let deletions = choose_deletions(&mut rng, &plans, now);

    // Jira numbers issues site-wide in creation order; a few numbers went to issues deleted
    // long ago, so there are gaps.
    let mut ids = Vec::with_capacity(plans.len());
    let mut next_id = 18_000 + rng.below(700);
    for _ in &plans {
        ids.push(next_id);
        next_id += 1 + rng.below(3);
    }
    let keys = allocate_keys(&plans);
    let mut built: Vec<Built> = plans
        .iter()
        .enumerate()
        .map(|(i, p)| build_issue(p, &keys[i], ids[i], &mut rng, now))
        .collect();
    assign_history_ids(&mut rng, &mut built);

    let mut search_responses = Vec::new();
    for (g, group) in GROUPS.iter().enumerate() {
        let mut issues: Vec<&Built> = built
            .iter()
            .filter(|b| PROJECTS[b.project].group == g)
            .collect();
        // `ORDER BY created DESC`, as the export's JQL asked.
        issues.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
        let issues: Vec<Value> = issues
            .iter()
            .map(|b| issue_json(b, group.zone, group.newest_first))
            .collect();
        let response = json!({
            "expand": "names,schema",
            "startAt": 0,
            "maxResults": 1000,
            "total": issues.len(),
            "issues": issues,
        });
        search_responses.push((group.file.to_string(), response));
    }

    let mut webhooks: Vec<(i64, Value)> = deletions
        .iter()
        .map(|&(i, at, user)| (at, deletion_webhook(&built[i], at, user)))
        .collect();
    webhooks.sort_by_key(|(at, _)| *at);

    DemoData {
        config_toml: config_toml(seed),
        search_responses,
        webhooks: webhooks.into_iter().map(|(_, w)| w).collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration

fn config_toml(seed: u64) -> String {
    format!(
        "# artflow demo: four Agile Release Trains on the fictional Jira Cloud site\n\
         # https://demo-train.atlassian.net (generated by `artflow demo`, seed {seed}).\n\
         # Project FAC (Facilities) belongs to no train.\n{CONFIG_BODY}"
    )
}

const CONFIG_BODY: &str = r#"# One [[art]] per Agile Release Train; each [[art.pipeline]] is one way of measuring its lead time.
# "On Hold" (program and team workflow) and "Blocked" (Operations) are deliberately not stages:
# time spent there belongs to the stage before.

[[art]]
abbreviation = "PAY"
name = "Payments"
jira_program_key = "PAY"
jira_team_key = "PAYT"

[[art.pipeline]]
code = "PAY-FLOW"
name = "Features and enablers: Analyzing to Done"
rule = "status"
issue_types = ["Feature", "Enabler"]
stages = ["Funnel", "Analyzing", "Backlog", "Implementing", "Validating", "Releasing", "Done"]
start = "Analyzing"
done = ["Done"]
active = ["Analyzing", "Implementing", "Releasing"]

[[art.pipeline]]
code = "PAY-FIELDS"
name = "Analysis Start to Release Date (date fields)"
rule = "field"
issue_types = ["Feature", "Enabler"]
start_field = "customfield_10050"
end_field = "customfield_10051"

[[art.pipeline]]
code = "PAY-TEAM"
name = "Stories and bugs: Implementing to Done"
rule = "status"
issue_types = ["Story", "Bug"]
stages = ["Funnel", "Analyzing", "Backlog", "Implementing", "Validating", "Releasing", "Done"]
start = "Implementing"
done = ["Done"]
active = ["Implementing"]

[[art]]
abbreviation = "MOB"
name = "Mobile"
jira_program_key = "MOB"

[[art.pipeline]]
code = "MOB-FLOW"
name = "Features and enablers: Analyzing to Done"
rule = "status"
issue_types = ["Feature", "Enabler"]
stages = ["Funnel", "Analyzing", "Backlog", "Implementing", "Validating", "Releasing", "Done"]
start = "Analyzing"
done = ["Done"]
active = ["Analyzing", "Implementing", "Releasing"]

[[art.pipeline]]
code = "MOB-DELIVERY"
name = "Stories and bugs: Implementing to Done"
rule = "status"
issue_types = ["Story", "Bug"]
stages = ["Funnel", "Analyzing", "Backlog", "Implementing", "Validating", "Releasing", "Done"]
start = "Implementing"
done = ["Done"]
active = ["Implementing", "Releasing"]

[[art.pipeline]]
code = "MOB-FIELDS"
name = "Features: Analysis Start to Release Date (date fields)"
rule = "field"
issue_types = ["Feature"]
start_field = "customfield_10050"
end_field = "customfield_10051"

[[art]]
abbreviation = "DATA"
name = "Data Platform"
jira_program_key = "DATA"
jira_team_key = "DATAT"

[[art.pipeline]]
code = "DATA-FLOW"
name = "Features and enablers: Analyzing to Done"
rule = "status"
issue_types = ["Feature", "Enabler"]
stages = ["Funnel", "Analyzing", "Backlog", "Implementing", "Validating", "Releasing", "Done"]
start = "Analyzing"
done = ["Done"]
active = ["Analyzing", "Implementing", "Releasing"]

[[art.pipeline]]
code = "DATA-FIELDS"
name = "As the old nightly job: date fields, lead times over 5 days"
rule = "field"
start_field = "customfield_10050"
end_field = "customfield_10051"
min_lead_time_days = 5

[[art]]
abbreviation = "OPS"
name = "Operations"
jira_program_key = "OPS"

# Jira's status is "In Progress"; OPS-FLOW spells it as its RTE typed it (names match
# case-insensitively).
[[art.pipeline]]
code = "OPS-FLOW"
name = "Triage to Closed"
rule = "status"
stages = ["Intake", "Triage", "Ready", "In progress", "Verification", "Deploying", "Closed", "Won't Do"]
start = "Triage"
done = ["Closed", "Won't Do"]
active = ["Triage", "In progress", "Deploying"]

[[art.pipeline]]
code = "OPS-ENABLERS"
name = "Enablers: In Progress to Closed"
rule = "status"
issue_types = ["Enabler"]
stages = ["Intake", "Triage", "Ready", "In Progress", "Verification", "Deploying", "Closed"]
start = "In Progress"
done = ["Closed"]
active = ["In Progress", "Deploying"]
"#;

// ---------------------------------------------------------------------------------------------
// Pseudo-random numbers (splitmix64) and the little floating-point arithmetic needed.

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x6A09_E667_F3BC_C909)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.index(xs.len())]
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Approximately standard normal (Irwin–Hall: the sum of twelve uniforms, less six).
    fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }

    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut r = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if r < u64::from(w) {
                return i;
            }
            r -= u64::from(w);
        }
        weights.len() - 1
    }
}

/// `e^x` from basic arithmetic only (exact operations are the same on every platform).
fn exp(x: f64) -> f64 {
    let x = x.clamp(-30.0, 30.0);
    let k = (x / std::f64::consts::LN_2).round();
    let r = x - k * std::f64::consts::LN_2;
    let (mut term, mut sum) = (1.0, 1.0);
    for i in 1..=14 {
        term *= r / f64::from(i);
        sum += term;
    }
    let (factor, n) = if k >= 0.0 { (2.0, k) } else { (0.5, -k) };
    for _ in 0..n as u32 {
        sum *= factor;
    }
    sum
}

// ---------------------------------------------------------------------------------------------
// Time: epoch milliseconds (UTC), rendered as Jira does (`2026-03-01T10:15:30.123-0800`).

const SEC: i64 = 1_000;
const MIN: i64 = 60 * SEC;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;

/// The moment the search responses were exported.
fn export_time() -> i64 {
    utc(2026, 11, 30, 18, 0)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn utc(y: i64, m: i64, d: i64, h: i64, min: i64) -> i64 {
    days_from_civil(y, m, d) * DAY + h * HOUR + min * MIN
}

/// 0 = Sunday … 6 = Saturday.
fn weekday(day: i64) -> i64 {
    (day + 4).rem_euclid(7)
}

fn nth_sunday(y: i64, m: i64, n: i64) -> i64 {
    let first = days_from_civil(y, m, 1);
    first + (7 - weekday(first)) % 7 + 7 * (n - 1)
}

fn last_sunday(y: i64, m: i64) -> i64 {
    let last = days_from_civil(y, m + 1, 1) - 1;
    last - weekday(last)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Zone {
    LosAngeles,
    NewYork,
    London,
    Berlin,
    Kolkata,
}

impl Zone {
    fn tz_name(self) -> &'static str {
        match self {
            Zone::LosAngeles => "America/Los_Angeles",
            Zone::NewYork => "America/New_York",
            Zone::London => "Europe/London",
            Zone::Berlin => "Europe/Berlin",
            Zone::Kolkata => "Asia/Kolkata",
        }
    }

    /// Offset from UTC in minutes at the instant `t`, with the US and EU daylight-saving rules.
    fn offset_min(self, t: i64) -> i64 {
        let (y, _, _) = civil_from_days(t.div_euclid(DAY));
        let us = |std: i64| {
            // 02:00 local standard time on the second Sunday of March, 02:00 local daylight time
            // on the first Sunday of November.
            let begin = nth_sunday(y, 3, 2) * DAY + 2 * HOUR - std * MIN;
            let end = nth_sunday(y, 11, 1) * DAY + 2 * HOUR - (std + 60) * MIN;
            if (begin..end).contains(&t) {
                std + 60
            } else {
                std
            }
        };
        let eu = |std: i64| {
            // 01:00 UTC on the last Sundays of March and October.
            let begin = last_sunday(y, 3) * DAY + HOUR;
            let end = last_sunday(y, 10) * DAY + HOUR;
            if (begin..end).contains(&t) {
                std + 60
            } else {
                std
            }
        };
        match self {
            Zone::LosAngeles => us(-480),
            Zone::NewYork => us(-300),
            Zone::London => eu(0),
            Zone::Berlin => eu(60),
            Zone::Kolkata => 330,
        }
    }

    fn local_day(self, t: i64) -> i64 {
        (t + self.offset_min(t) * MIN).div_euclid(DAY)
    }

    /// The instant at `minutes` past local midnight on `day`.
    fn instant(self, day: i64, minutes: i64) -> i64 {
        let guess = day * DAY + minutes * MIN;
        guess - self.offset_min(guess - self.offset_min(guess) * MIN) * MIN
    }
}

/// `2026-03-01T10:15:30.123-0800`
fn fmt_ts(t: i64, zone: Zone) -> String {
    fmt_at(t, zone.offset_min(t))
}

/// `t` rendered at a fixed offset of `off` minutes.
fn fmt_at(t: i64, off: i64) -> String {
    let local = t + off * MIN;
    let (y, m, d) = civil_from_days(local.div_euclid(DAY));
    let ms = local.rem_euclid(DAY);
    let sign = if off < 0 { '-' } else { '+' };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}{sign}{:02}{:02}",
        ms / HOUR,
        ms / MIN % 60,
        ms / SEC % 60,
        ms % SEC,
        off.abs() / 60,
        off.abs() % 60
    )
}

/// `2026-01-06`
fn fmt_date(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Jira's display form of a date: `06/Jan/26`.
fn display_date(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{d:02}/{}/{:02}", MONTHS[(m - 1) as usize], y % 100)
}

/// Jira's display form of a datetime in a user's zone: `16/Feb/26 4:00 PM`.
fn display_datetime(t: i64, zone: Zone) -> String {
    let local = t + zone.offset_min(t) * MIN;
    let ms = local.rem_euclid(DAY);
    let (h, min) = (ms / HOUR, ms / MIN % 60);
    let (h12, ampm) = match h {
        0 => (12, "AM"),
        1..=11 => (h, "AM"),
        12 => (12, "PM"),
        _ => (h - 12, "PM"),
    };
    format!(
        "{} {h12}:{min:02} {ampm}",
        display_date(local.div_euclid(DAY))
    )
}

/// Moves `t` forward into working hours (08:00–18:00 local, Monday to Friday).
fn work_time(t: i64, zone: Zone, rng: &mut Rng) -> i64 {
    let local = t + zone.offset_min(t) * MIN;
    let (mut day, ms) = (local.div_euclid(DAY), local.rem_euclid(DAY));
    let start_of_day =
        |rng: &mut Rng| 8 * HOUR + rng.between(0, 100) * MIN + rng.between(0, 59_999);
    let mut new_ms = ms;
    if ms < 8 * HOUR {
        new_ms = start_of_day(rng);
    } else if ms >= 18 * HOUR {
        day += 1;
        new_ms = start_of_day(rng);
    }
    while matches!(weekday(day), 0 | 6) {
        day += 1;
        new_ms = start_of_day(rng);
    }
    let moved = day * DAY + new_ms;
    if moved == local {
        return t;
    }
    (moved - zone.offset_min(t) * MIN).max(t)
}

// ---------------------------------------------------------------------------------------------
// The site: statuses, workflows, projects, people.

const SITE: &str = "https://demo-train.atlassian.net";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Category {
    New,
    Progress,
    Done,
}

impl Category {
    fn json(self) -> Value {
        let (id, key, color, name) = match self {
            Category::New => (2, "new", "blue-gray", "To Do"),
            Category::Progress => (4, "indeterminate", "yellow", "In Progress"),
            Category::Done => (3, "done", "green", "Done"),
        };
        json!({
            "self": format!("{SITE}/rest/api/2/statuscategory/{id}"),
            "id": id,
            "key": key,
            "colorName": color,
            "name": name,
        })
    }
}

struct StatusDef {
    name: &'static str,
    id: &'static str,
    category: Category,
}

/// Statuses are site-wide in Jira: one id per name, whichever workflow uses it.
const STATUSES: &[StatusDef] = &[
    StatusDef {
        name: "Funnel",
        id: "10000",
        category: Category::New,
    },
    StatusDef {
        name: "Analyzing",
        id: "10001",
        category: Category::Progress,
    },
    StatusDef {
        name: "Backlog",
        id: "10002",
        category: Category::New,
    },
    StatusDef {
        name: "Implementing",
        id: "10003",
        category: Category::Progress,
    },
    StatusDef {
        name: "Validating",
        id: "10004",
        category: Category::Progress,
    },
    StatusDef {
        name: "Releasing",
        id: "10005",
        category: Category::Progress,
    },
    StatusDef {
        name: "Done",
        id: "10006",
        category: Category::Done,
    },
    StatusDef {
        name: "On Hold",
        id: "10007",
        category: Category::Progress,
    },
    StatusDef {
        name: "Intake",
        id: "10100",
        category: Category::New,
    },
    StatusDef {
        name: "Triage",
        id: "10101",
        category: Category::Progress,
    },
    StatusDef {
        name: "Ready",
        id: "10102",
        category: Category::New,
    },
    StatusDef {
        name: "In Progress",
        id: "3",
        category: Category::Progress,
    },
    StatusDef {
        name: "Verification",
        id: "10104",
        category: Category::Progress,
    },
    StatusDef {
        name: "Deploying",
        id: "10105",
        category: Category::Progress,
    },
    StatusDef {
        name: "Closed",
        id: "6",
        category: Category::Done,
    },
    StatusDef {
        name: "Won't Do",
        id: "10107",
        category: Category::Done,
    },
    StatusDef {
        name: "Blocked",
        id: "10108",
        category: Category::Progress,
    },
    StatusDef {
        name: "To Do",
        id: "10200",
        category: Category::New,
    },
];

fn status_def(name: &str) -> &'static StatusDef {
    STATUSES
        .iter()
        .find(|s| s.name == name)
        .expect("every status the generator uses is defined")
}

fn status_json(name: &str) -> Value {
    let s = status_def(name);
    json!({
        "self": format!("{SITE}/rest/api/2/status/{}", s.id),
        "description": "",
        "iconUrl": format!("{SITE}/images/icons/statuses/generic.png"),
        "name": s.name,
        "id": s.id,
        "statusCategory": s.category.json(),
    })
}

/// Where an issue is, independently of the workflow that names it: a level of the flow
/// (0 funnel/intake … 6 done), on hold, or rejected.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Target {
    Level(u8),
    Hold,
    Reject,
}

impl Target {
    fn is_done(self) -> bool {
        matches!(self, Target::Level(6) | Target::Reject)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Workflow {
    /// The trains' program and team workflow.
    Safe,
    /// Operations' service workflow.
    Ops,
    /// Jira's simplified workflow (Facilities).
    Simple,
}

fn status_name(workflow: Workflow, target: Target) -> &'static str {
    const SAFE: [&str; 7] = [
        "Funnel",
        "Analyzing",
        "Backlog",
        "Implementing",
        "Validating",
        "Releasing",
        "Done",
    ];
    const OPS: [&str; 7] = [
        "Intake",
        "Triage",
        "Ready",
        "In Progress",
        "Verification",
        "Deploying",
        "Closed",
    ];
    const SIMPLE: [&str; 7] = [
        "To Do",
        "To Do",
        "To Do",
        "In Progress",
        "In Progress",
        "In Progress",
        "Done",
    ];
    match (workflow, target) {
        (Workflow::Safe, Target::Level(l)) => SAFE[usize::from(l)],
        (Workflow::Ops, Target::Level(l)) => OPS[usize::from(l)],
        (Workflow::Simple, Target::Level(l)) => SIMPLE[usize::from(l)],
        (Workflow::Safe, Target::Hold) => "On Hold",
        (Workflow::Ops, Target::Hold) => "Blocked",
        (Workflow::Simple, Target::Hold) => "In Progress",
        (Workflow::Safe | Workflow::Simple, Target::Reject) => "Done",
        (Workflow::Ops, Target::Reject) => "Won't Do",
    }
}

struct ProjectDef {
    key: &'static str,
    name: &'static str,
    id: &'static str,
    /// Index into `GROUPS` (the train, or the unowned group).
    group: usize,
    workflow: Workflow,
    workflow_id: &'static str,
    workflow_name: &'static str,
    /// The number of the first issue created in the demo period.
    first_number: u32,
}

const PAY: usize = 0;
const PAYT: usize = 1;
const MOB: usize = 2;
const DATA: usize = 3;
const DATAT: usize = 4;
const OPS: usize = 5;
const FAC: usize = 6;

const PROJECTS: [ProjectDef; 7] = [
    ProjectDef {
        key: "PAY",
        name: "Payments",
        id: "10100",
        group: 0,
        workflow: Workflow::Safe,
        workflow_id: "10500",
        workflow_name: "PAY: SAFe Program Workflow",
        first_number: 101,
    },
    ProjectDef {
        key: "PAYT",
        name: "Payments Teams",
        id: "10101",
        group: 0,
        workflow: Workflow::Safe,
        workflow_id: "10501",
        workflow_name: "SAFe Team Workflow",
        first_number: 312,
    },
    ProjectDef {
        key: "MOB",
        name: "Mobile",
        id: "10200",
        group: 1,
        workflow: Workflow::Safe,
        workflow_id: "10502",
        workflow_name: "MOB: Mobile Workflow",
        first_number: 41,
    },
    ProjectDef {
        key: "DATA",
        name: "Data Platform",
        id: "10300",
        group: 2,
        workflow: Workflow::Safe,
        workflow_id: "10503",
        workflow_name: "DATA: SAFe Program Workflow",
        first_number: 1,
    },
    ProjectDef {
        key: "DATAT",
        name: "Data Platform Teams",
        id: "10301",
        group: 2,
        workflow: Workflow::Safe,
        workflow_id: "10501",
        workflow_name: "SAFe Team Workflow",
        first_number: 155,
    },
    ProjectDef {
        key: "OPS",
        name: "Operations",
        id: "10400",
        group: 3,
        workflow: Workflow::Ops,
        workflow_id: "10504",
        workflow_name: "OPS: Service Workflow",
        first_number: 820,
    },
    ProjectDef {
        key: "FAC",
        name: "Facilities",
        id: "10900",
        group: 4,
        workflow: Workflow::Simple,
        workflow_id: "10505",
        workflow_name: "Software Simplified Workflow for Project FAC",
        first_number: 57,
    },
];

/// Issues created per project in the demo period (± a few, by seed).
const PROJECT_SIZES: [usize; 7] = [70, 90, 110, 55, 75, 95, 20];

const FEATURE: usize = 0;
const ENABLER: usize = 1;
const STORY: usize = 2;
const BUG: usize = 3;

/// Weights of Feature, Enabler, Story, Bug per project.
const PROJECT_TYPES: [[u32; 4]; 7] = [
    [65, 35, 0, 0],
    [0, 8, 70, 22],
    [25, 10, 45, 20],
    [60, 40, 0, 0],
    [0, 10, 65, 25],
    [10, 30, 30, 30],
    [0, 0, 60, 40],
];

const ISSUE_TYPES: [(&str, &str, i64, &str); 4] = [
    ("Feature", "10300", 1, "feature.svg"),
    ("Enabler", "10301", 1, "enabler.svg"),
    ("Story", "10001", 0, "story.svg"),
    ("Bug", "10004", 0, "bug.svg"),
];

const RES_DONE: usize = 0;
const RES_WONT_DO: usize = 1;
const RES_DUPLICATE: usize = 2;
const RESOLUTIONS: [(&str, &str, &str); 3] = [
    ("10000", "Done", "Work is done"),
    ("10001", "Won't Do", "This issue won't be actioned."),
    (
        "10002",
        "Duplicate",
        "The problem is a duplicate of an existing issue.",
    ),
];

const PRIORITIES: [(&str, &str); 5] = [
    ("1", "Highest"),
    ("2", "High"),
    ("3", "Medium"),
    ("4", "Low"),
    ("5", "Lowest"),
];

/// The trains (0–3) and the unowned project (4): where their people sit and how their export
/// came out.
struct GroupDef {
    file: &'static str,
    /// The zone of the account that exported the search (and of most of the people).
    zone: Zone,
    /// Whether this export lists changelog histories newest-first.
    newest_first: bool,
    subjects: &'static [&'static str],
}

const GROUPS: [GroupDef; 5] = [
    GroupDef {
        file: "pay-search.json",
        zone: Zone::Berlin,
        newest_first: false,
        subjects: &[
            "card tokenisation",
            "SEPA Instant credit transfers",
            "chargeback disputes",
            "the 3-D Secure challenge flow",
            "merchant settlement reports",
            "fraud scoring rules",
            "the refund ledger",
            "strong customer authentication",
            "payout scheduling",
            "FX conversion fees",
            "wallet payments",
            "acquirer failover",
            "PCI DSS evidence collection",
            "invoice reconciliation",
            "recurring billing",
            "payment links",
            "IBAN validation",
            "settlement file import",
        ],
    },
    GroupDef {
        file: "mob-search.json",
        zone: Zone::LosAngeles,
        newest_first: false,
        subjects: &[
            "offline mode",
            "push notifications",
            "biometric login",
            "the onboarding carousel",
            "dark mode",
            "deep links",
            "in-app chat",
            "screen reader support",
            "crash reporting",
            "app start time",
            "home screen widgets",
            "the tablet layout",
            "the feature flag SDK",
            "the order tracking screen",
            "app store release automation",
            "image caching",
            "session timeout handling",
            "card scanning",
        ],
    },
    GroupDef {
        file: "data-search.json",
        zone: Zone::Kolkata,
        newest_first: true,
        subjects: &[
            "the customer 360 data product",
            "event ingestion",
            "the data catalogue",
            "PII masking",
            "warehouse cost dashboards",
            "CDC from the orders database",
            "the feature store",
            "lineage tracking",
            "data quality checks",
            "GDPR erasure jobs",
            "streaming aggregation",
            "Parquet compaction",
            "the BI semantic layer",
            "the model registry",
            "the schema registry",
            "late-arriving events",
            "partner data exports",
            "backfill tooling",
        ],
    },
    GroupDef {
        file: "ops-search.json",
        zone: Zone::NewYork,
        newest_first: false,
        subjects: &[
            "the on-call rota",
            "the Kubernetes cluster upgrade",
            "TLS certificate renewal",
            "log shipping",
            "the disaster recovery drill",
            "observability dashboards",
            "secrets rotation",
            "the VPN concentrator",
            "backup verification",
            "postmortem actions",
            "capacity planning",
            "CDN configuration",
            "DNS failover",
            "patch management",
            "cost alerts",
            "runbook automation",
            "SLO reporting",
            "golden images",
        ],
    },
    GroupDef {
        file: "fac-search.json",
        zone: Zone::London,
        newest_first: true,
        subjects: &[
            "badge readers in building C",
            "meeting room displays",
            "parking allocation",
            "desk booking",
            "office Wi-Fi coverage",
            "the kitchen on floor 2",
            "visitor registration",
            "air conditioning on floor 4",
            "locker assignment",
            "the fire drill schedule",
        ],
    },
];

struct UserDef {
    name: &'static str,
    zone: Zone,
    /// Index into `GROUPS`; `SITE_WIDE` for the administrator and the automation app.
    group: usize,
    app: bool,
}

const SITE_WIDE: usize = 99;

/// The first person of each group is its Release Train Engineer / product manager.
const USERS: &[UserDef] = &[
    UserDef {
        name: "Lena Hoffmann",
        zone: Zone::Berlin,
        group: 0,
        app: false,
    },
    UserDef {
        name: "Jonas Weber",
        zone: Zone::Berlin,
        group: 0,
        app: false,
    },
    UserDef {
        name: "Amara Okafor",
        zone: Zone::Berlin,
        group: 0,
        app: false,
    },
    UserDef {
        name: "Matteo Rossi",
        zone: Zone::Berlin,
        group: 0,
        app: false,
    },
    UserDef {
        name: "Sofia Lindqvist",
        zone: Zone::Berlin,
        group: 0,
        app: false,
    },
    UserDef {
        name: "Pavel Novák",
        zone: Zone::Berlin,
        group: 0,
        app: false,
    },
    UserDef {
        name: "Diego Alvarez",
        zone: Zone::LosAngeles,
        group: 1,
        app: false,
    },
    UserDef {
        name: "Hannah Kim",
        zone: Zone::LosAngeles,
        group: 1,
        app: false,
    },
    UserDef {
        name: "Marcus Bell",
        zone: Zone::LosAngeles,
        group: 1,
        app: false,
    },
    UserDef {
        name: "Yuki Tanaka",
        zone: Zone::LosAngeles,
        group: 1,
        app: false,
    },
    UserDef {
        name: "Chloé Martin",
        zone: Zone::LosAngeles,
        group: 1,
        app: false,
    },
    UserDef {
        name: "Arjun Mehta",
        zone: Zone::Kolkata,
        group: 2,
        app: false,
    },
    UserDef {
        name: "Kavya Iyer",
        zone: Zone::Kolkata,
        group: 2,
        app: false,
    },
    UserDef {
        name: "Rohan Desai",
        zone: Zone::Kolkata,
        group: 2,
        app: false,
    },
    UserDef {
        name: "Meera Nair",
        zone: Zone::Kolkata,
        group: 2,
        app: false,
    },
    UserDef {
        name: "Siddharth Rao",
        zone: Zone::Kolkata,
        group: 2,
        app: false,
    },
    UserDef {
        name: "Olivia Grant",
        zone: Zone::NewYork,
        group: 3,
        app: false,
    },
    UserDef {
        name: "Samuel Brooks",
        zone: Zone::NewYork,
        group: 3,
        app: false,
    },
    UserDef {
        name: "Nadia Haddad",
        zone: Zone::NewYork,
        group: 3,
        app: false,
    },
    UserDef {
        name: "Ethan Walsh",
        zone: Zone::NewYork,
        group: 3,
        app: false,
    },
    UserDef {
        name: "Grace Turner",
        zone: Zone::London,
        group: 4,
        app: false,
    },
    UserDef {
        name: "Oliver Hughes",
        zone: Zone::London,
        group: 4,
        app: false,
    },
    UserDef {
        name: "Inès Moreau",
        zone: Zone::London,
        group: SITE_WIDE,
        app: false,
    },
    UserDef {
        name: "Automation for Jira",
        zone: Zone::London,
        group: SITE_WIDE,
        app: true,
    },
];

const ADMIN: usize = 22;
const AUTOMATION: usize = 23;

fn group_members(group: usize) -> Vec<usize> {
    (0..USERS.len())
        .filter(|&u| USERS[u].group == group)
        .collect()
}

fn account_id(user: usize) -> String {
    let mut h = Rng(0xA5A5_0000 + user as u64);
    let (a, b) = (h.next_u64(), h.next_u64());
    if USERS[user].app {
        format!(
            "557058:{:08x}-{:04x}-4{:03x}-b{:03x}-{:012x}",
            a >> 32,
            a & 0xffff,
            b >> 52,
            (b >> 40) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    } else {
        format!(
            "712020:{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            a >> 32,
            a & 0xffff,
            b >> 52,
            (b >> 40) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }
}

fn user_json(user: usize) -> Value {
    let u = &USERS[user];
    let id = account_id(user);
    json!({
        "self": format!("{SITE}/rest/api/2/user?accountId={id}"),
        "accountId": id,
        "avatarUrls": {
            "48x48": format!("https://avatar-management.example/{user}/48.png"),
            "24x24": format!("https://avatar-management.example/{user}/24.png"),
        },
        "displayName": u.name,
        "active": true,
        "timeZone": u.zone.tz_name(),
        "accountType": if u.app { "app" } else { "atlassian" },
    })
}

/// Program increments of 2026: (label, first day). Features cluster before PI planning.
const PI_LABELS: [&str; 6] = [
    "pi-26.1", "pi-26.2", "pi-26.3", "pi-26.4", "pi-26.5", "pi-27.1",
];

fn pi_starts() -> [i64; 6] {
    [
        utc(2026, 1, 5, 8, 0),
        utc(2026, 3, 16, 8, 0),
        utc(2026, 5, 25, 8, 0),
        utc(2026, 8, 3, 8, 0),
        utc(2026, 10, 12, 8, 0),
        utc(2026, 12, 21, 8, 0),
    ]
}

fn pi_index(t: i64) -> usize {
    pi_starts().iter().rposition(|&s| s <= t).unwrap_or(0)
}

const TAGS: [&str; 7] = [
    "customer-commitment",
    "compliance",
    "tech-debt",
    "security",
    "architecture",
    "quick-win",
    "carry-over",
];

// ---------------------------------------------------------------------------------------------
// One issue's life, before ids, keys and rendering.

/// A change in one changelog history, stated as an intention; the `from` values are filled in
/// when the histories are replayed in order (`build_issue`), so they always match.
enum Item {
    Status(Target),
    Resolution(Option<usize>),
    Assignee(Option<usize>),
    Priority(usize),
    Label(&'static str),
    Flag(bool),
    Points(Option<u32>),
    AnalysisStart(Option<i64>),
    ReleaseDate(Option<i64>),
    Rank(bool),
    Move(usize),
}

struct Hist {
    t: i64,
    author: usize,
    items: Vec<Item>,
}

struct Plan {
    project: usize,
    itype: usize,
    created: i64,
    reporter: usize,
    target: Target,
    resolution: Option<usize>,
    assignee: Option<usize>,
    priority: usize,
    labels: Vec<&'static str>,
    /// Analysis Start as a day number (date-only field).
    analysis_start: Option<i64>,
    release_date: Option<i64>,
    hists: Vec<Hist>,
    summary: String,
    description: Option<String>,
    /// Edits that leave no changelog (comments, attachments) after the last history.
    touched: i64,
}

const NOT_STARTED: usize = 0;
const IN_PROGRESS: usize = 1;
const DONE: usize = 2;
const REOPENED: usize = 3;
const CREATED_DONE: usize = 4;
const REJECTED: usize = 5;

/// Walks an issue through its workflow, producing status histories.
struct Walk<'a> {
    rng: &'a mut Rng,
    team: &'a [usize],
    zone: Zone,
    now: i64,
    /// Whether moves happen in working hours (expedited work happens whenever).
    snap: bool,
    medians: [f64; 6],
    pace: f64,
    skip_release: f64,
    /// Time of the latest status change (or the creation).
    t: i64,
    /// Time of the latest history so far.
    last: i64,
    level: u8,
    target: Target,
    hists: Vec<Hist>,
    first_start: Option<i64>,
    implementing_at: Option<i64>,
    first_done: Option<i64>,
    done_at: Option<i64>,
    stopped: bool,
}

impl Walk<'_> {
    fn author(&mut self) -> usize {
        if self.rng.chance(0.2) {
            self.team[0]
        } else {
            self.team[1 + self.rng.index(self.team.len() - 1)]
        }
    }

    fn dwell(&mut self, level: u8) -> i64 {
        let days =
            self.medians[usize::from(level.min(5))] * self.pace * exp(0.55 * self.rng.normal());
        ((days * DAY as f64) as i64).max(2 * MIN)
    }

    /// The time of the next change, if it happens before the export.
    fn next_time(&mut self, raw: i64) -> Option<i64> {
        let t = if self.snap {
            work_time(raw, self.zone, self.rng)
        } else {
            raw
        };
        let t = t.max(self.last + MIN);
        if t >= self.now - MIN {
            self.stopped = true;
            None
        } else {
            Some(t)
        }
    }

    fn move_to(&mut self, t: i64, target: Target) {
        let author = self.author();
        let was_done = self.target.is_done();
        let mut items = Vec::new();
        if target.is_done() && !was_done {
            let resolution = match target {
                Target::Reject if self.rng.chance(0.2) => RES_DUPLICATE,
                Target::Reject => RES_WONT_DO,
                _ => RES_DONE,
            };
            // Jira Cloud lists the resolution first; post-functions and imports vary.
            if self.rng.chance(0.6) {
                items.push(Item::Resolution(Some(resolution)));
                items.push(Item::Status(target));
            } else {
                items.push(Item::Status(target));
                items.push(Item::Resolution(Some(resolution)));
            }
            self.first_done.get_or_insert(t);
            if target == Target::Level(6) {
                self.done_at = Some(t);
            }
        } else if was_done && !target.is_done() {
            items.push(Item::Resolution(None));
            items.push(Item::Status(target));
        } else {
            items.push(Item::Status(target));
        }
        if target == Target::Level(3) && self.implementing_at.is_none() {
            self.implementing_at = Some(t);
            if self.rng.chance(0.6) {
                let who = self.team[1 + self.rng.index(self.team.len() - 1)];
                items.push(Item::Assignee(Some(who)));
            }
        }
        if self.rng.chance(0.08) {
            let higher = self.rng.chance(0.5);
            items.push(Item::Rank(higher));
        }
        let starts = match target {
            Target::Level(l) => l >= 1,
            Target::Reject => true,
            Target::Hold => false,
        };
        if starts && self.first_start.is_none() {
            self.first_start = Some(t);
        }
        if let Target::Level(l) = target {
            self.level = l;
        } else if target == Target::Reject {
            self.level = 6;
        }
        self.target = target;
        self.t = t;
        self.last = t;
        self.hists.push(Hist { t, author, items });
    }

    /// Somebody drags the card to the wrong column and puts it back within a minute.
    fn bounce(&mut self, t: i64) {
        let Target::Level(l) = self.target else {
            return;
        };
        let wrong = if l == 0 {
            1
        } else if l >= 5 || self.rng.chance(0.5) {
            l - 1
        } else {
            l + 1
        };
        let back = t + self.rng.between(4 * SEC, 58 * SEC);
        if back >= self.now - MIN {
            return;
        }
        let author = self.author();
        self.hists.push(Hist {
            t,
            author,
            items: vec![Item::Status(Target::Level(wrong))],
        });
        self.hists.push(Hist {
            t: back,
            author,
            items: vec![Item::Status(self.target)],
        });
        self.last = back;
    }

    fn advance(&mut self, to: u8) {
        let mut came_back = false;
        while !self.stopped && self.level < to {
            let level = self.level;
            let mut dwell = self.dwell(level);
            if level == 3 && self.rng.chance(0.07) {
                let Some(hold) = self.next_time(self.t + dwell / 3) else {
                    return;
                };
                self.move_to(hold, Target::Hold);
                let blocked_for = self.rng.between(2 * DAY, 25 * DAY);
                let Some(back) = self.next_time(hold + blocked_for) else {
                    return;
                };
                self.move_to(back, Target::Level(3));
                dwell = dwell * 2 / 3;
            }
            if self.rng.chance(0.05) {
                let Some(at) = self.next_time(self.t + dwell / 2) else {
                    return;
                };
                self.bounce(at);
            }
            let Some(t) = self.next_time(self.t + dwell) else {
                return;
            };
            let r = self.rng.unit();
            let next = match level {
                0 if r < 0.04 => 2,
                1 if r < 0.3 => 3,
                3 if r < 0.1 => 5,
                4 if r < self.skip_release => 6,
                _ => level + 1,
            }
            .min(to);
            self.move_to(t, Target::Level(next));
            if next == 4 && next < to && !came_back && self.rng.chance(0.1) {
                // Validation found a defect: back to Implementing.
                let d = self.dwell(4);
                let Some(back) = self.next_time(self.t + d) else {
                    return;
                };
                self.move_to(back, Target::Level(3));
                came_back = true;
            }
        }
    }

    /// Done → Implementing (or Validating) → … → Done. Returns whether it was done again.
    fn reopen(&mut self) -> bool {
        let gap = self.rng.between(2 * HOUR, 25 * DAY);
        let Some(t) = self.next_time(self.t + gap) else {
            return false;
        };
        let to = if self.rng.chance(0.7) { 3 } else { 4 };
        self.move_to(t, Target::Level(to));
        let pace = self.pace;
        self.pace *= 0.3;
        self.advance(6);
        self.pace = pace;
        !self.stopped
    }

    /// Rejected from the Funnel (or after some analysis): straight to Done / Won't Do.
    fn reject(&mut self) {
        if self.rng.chance(0.3) {
            self.advance(1);
        }
        if self.stopped {
            return;
        }
        let d = self.dwell(self.level);
        if let Some(t) = self.next_time(self.t + d) {
            self.move_to(t, Target::Reject);
        }
    }
}

fn created_time(rng: &mut Rng, first: i64, last: i64, zone: Zone, big: bool) -> i64 {
    let t = if big && rng.chance(0.3) {
        // Features are written up in the week before PI planning.
        let starts = pi_starts();
        let s = starts[rng.index(5)];
        s - rng.between(0, 7 * DAY)
    } else {
        rng.between(first, last)
    };
    work_time(t.clamp(first, last), zone, rng) + rng.between(0, 999)
}

fn random_time(rng: &mut Rng, lo: i64, hi: i64) -> Option<i64> {
    (lo < hi).then(|| rng.between(lo, hi))
}

fn plan_issue(rng: &mut Rng, project: usize, itype: usize, created: i64, now: i64) -> Plan {
    let def = &PROJECTS[project];
    let group = def.group;
    let zone = GROUPS[group].zone;
    let team = group_members(group);
    let lead = team[0];
    let big = itype == FEATURE || itype == ENABLER;

    let start_level: u8 = match def.workflow {
        Workflow::Safe if !big && rng.chance(if itype == STORY { 0.8 } else { 0.55 }) => 2,
        _ => 0,
    };
    let scenario = if big {
        rng.weighted(&[12, 34, 38, 6, 2, 8])
    } else {
        rng.weighted(&[14, 22, 48, 7, 3, 6])
    };
    let medians = if big {
        // Funnel, Analyzing, Backlog, Implementing, Validating, Releasing: work waits as long
        // in the backlog and in validation as it is worked on, as on most trains.
        [14.0, 6.0, 35.0, 18.0, 12.0, 2.0]
    } else {
        [5.0, 2.0, 5.0, 3.0, 3.0, 1.5]
    };
    let expedite = rng.chance(0.06);
    let pace = if expedite {
        0.01 + 0.05 * rng.unit()
    } else {
        exp(0.6 * rng.normal())
    };

    let mut w = Walk {
        rng: &mut *rng,
        team: &team,
        zone,
        now,
        snap: !expedite,
        medians,
        pace,
        skip_release: if big { 0.3 } else { 0.7 },
        t: created,
        last: created,
        level: start_level,
        target: Target::Level(start_level),
        hists: Vec::new(),
        first_start: (start_level >= 1).then_some(created),
        implementing_at: None,
        first_done: None,
        done_at: None,
        stopped: false,
    };
    let mut target = Target::Level(start_level);
    let mut resolution = None;
    match scenario {
        NOT_STARTED => {}
        IN_PROGRESS => {
            let to = (1 + w.rng.below(5) as u8).max(start_level + 1);
            w.advance(to);
        }
        DONE => w.advance(6),
        REOPENED => {
            w.advance(6);
            if !w.stopped {
                let times = 1 + w.rng.weighted(&[6, 3, 1]);
                for _ in 0..times {
                    if !w.reopen() {
                        break;
                    }
                }
            }
        }
        CREATED_DONE => {
            // Logged after the fact, created directly in Done.
            target = Target::Level(6);
            resolution = Some(RES_DONE);
            w.target = target;
            w.level = 6;
        }
        _ => w.reject(),
    }
    let Walk {
        mut hists,
        first_start,
        implementing_at,
        first_done,
        done_at,
        target: final_target,
        ..
    } = w;
    let last_status = hists.last().map_or(created, |h| h.t);
    let life_end = (last_status + 20 * DAY).min(now - HOUR);
    let done_now = final_target == Target::Level(6);

    // The old job's date fields.
    let mut analysis_start = None;
    let mut release_date = None;
    // The program levels of Payments, Mobile and Data Platform keep the date fields; Data
    // Platform's teams often do too (its DATA-FIELDS pipeline covers every type).
    let data_train = PROJECTS[DATA].group;
    let uses_fields = (big && [PAY, MOB, DATA].iter().any(|&p| PROJECTS[p].group == group))
        || (group == data_train && rng.chance(0.5));
    if uses_fields && scenario == CREATED_DONE {
        if rng.chance(0.6) {
            let day = zone.local_day(created);
            analysis_start = Some(day);
            // Zero days: the release is midnight UTC of the same date, or the creation itself.
            release_date = Some(if rng.chance(0.5) { day * DAY } else { created });
        }
    } else if uses_fields && scenario != REJECTED {
        let began = if big { first_start } else { implementing_at };
        if let Some(ts) = began
            && !rng.chance(0.1)
        {
            let mut day = zone.local_day(ts);
            if rng.chance(0.15) {
                day += rng.between(-3, 3);
            }
            if rng.chance(0.3) {
                if let Some(h) = hists.iter_mut().find(|h| h.t == ts) {
                    h.items.push(Item::AnalysisStart(Some(day)));
                }
            } else {
                let t = work_time(ts + rng.between(10 * MIN, 2 * DAY), zone, rng);
                if t < now - HOUR {
                    let wrong_first = rng.chance(0.05);
                    let first_value = if wrong_first {
                        day + rng.between(1, 9)
                    } else {
                        day
                    };
                    hists.push(Hist {
                        t,
                        author: lead,
                        items: vec![Item::AnalysisStart(Some(first_value))],
                    });
                    if wrong_first {
                        let fix = t + rng.between(HOUR, 6 * DAY);
                        if fix < now - HOUR {
                            hists.push(Hist {
                                t: fix,
                                author: lead,
                                items: vec![Item::AnalysisStart(Some(day))],
                            });
                        }
                    }
                }
            }
        }
        if let Some(ti) = implementing_at
            && rng.chance(0.2)
        {
            // A planned release date, entered early (the old job counted these as done).
            let t = ti + rng.between(DAY, 5 * DAY);
            if t < now - HOUR {
                let planned = zone.instant(zone.local_day(ti) + rng.between(20, 70), 17 * 60);
                hists.push(Hist {
                    t,
                    author: lead,
                    items: vec![Item::ReleaseDate(Some(planned))],
                });
            }
        }
        let released = if done_now {
            done_at
        } else {
            first_done.filter(|_| rng.chance(0.6))
        };
        if let Some(td) = released
            && !rng.chance(0.1)
        {
            let hour = rng.pick(&[9, 12, 16, 17, 18, 20]);
            let mut value = zone.instant(zone.local_day(td), hour * 60);
            if rng.chance(0.07) {
                value -= 365 * DAY; // the year mistyped: released before analysis started
            }
            if rng.chance(0.4) {
                if let Some(h) = hists.iter_mut().find(|h| h.t == td) {
                    h.items.push(Item::ReleaseDate(Some(value)));
                }
            } else {
                let t = td + rng.between(5 * MIN, 3 * DAY);
                if t < now - HOUR {
                    hists.push(Hist {
                        t,
                        author: lead,
                        items: vec![Item::ReleaseDate(Some(value))],
                    });
                }
            }
            if rng.chance(0.03) {
                // Somebody "corrects" Analysis Start to the review date, after the release.
                let t = td + rng.between(10 * DAY, 40 * DAY);
                if t < now - HOUR {
                    hists.push(Hist {
                        t,
                        author: lead,
                        items: vec![Item::AnalysisStart(Some(zone.local_day(t)))],
                    });
                }
            }
        }
    }

    // Noise: ranking, people, priorities, labels, impediments, estimates.
    let mut extra = |rng: &mut Rng, lo: i64, hi: i64, item: Item| {
        if let Some(t) = random_time(rng, lo, hi) {
            let author = if rng.chance(0.1) {
                AUTOMATION
            } else if rng.chance(0.5) {
                lead
            } else {
                team[rng.index(team.len())]
            };
            hists.push(Hist {
                t,
                author,
                items: vec![item],
            });
        }
    };
    let early = created + 5 * MIN;
    for _ in 0..rng.between(0, if big { 3 } else { 1 }) {
        let higher = rng.chance(0.6);
        extra(rng, early, life_end, Item::Rank(higher));
    }
    let assignee = (!big && rng.chance(0.5)).then(|| team[1 + rng.index(team.len() - 1)]);
    if rng.chance(0.12) {
        let who = team[rng.index(team.len())];
        extra(rng, early, life_end, Item::Assignee(Some(who)));
    }
    if rng.chance(0.04) {
        extra(rng, early, life_end, Item::Assignee(None));
    }
    let priority = rng.weighted(&[3, 12, 60, 20, 5]);
    if rng.chance(0.12) {
        let p = rng.weighted(&[10, 30, 30, 25, 5]);
        extra(rng, early, life_end, Item::Priority(p));
    }
    let pi = pi_index(created);
    let mut labels = vec![PI_LABELS[pi]];
    if rng.chance(0.2) {
        labels.push(rng.pick(&TAGS));
    }
    if rng.chance(0.15) {
        let label = if rng.chance(0.5) {
            PI_LABELS[pi + 1]
        } else {
            rng.pick(&TAGS)
        };
        extra(rng, early, life_end, Item::Label(label));
    }
    if let Some(ti) = implementing_at
        && rng.chance(0.08)
    {
        let on = ti + rng.between(DAY, 10 * DAY);
        let off = on + rng.between(DAY, 8 * DAY);
        if on < now - HOUR {
            extra(rng, on, on, Item::Flag(true));
            if off < now - HOUR {
                extra(rng, off, off, Item::Flag(false));
            }
        }
    }
    if !big && rng.chance(0.7) {
        let points = rng.pick(&[1, 2, 3, 5, 8, 13]);
        extra(
            rng,
            early,
            (created + 3 * DAY).min(life_end),
            Item::Points(Some(points)),
        );
        if rng.chance(0.1) {
            let points = rng.pick(&[3, 5, 8]);
            extra(rng, created + 3 * DAY, life_end, Item::Points(Some(points)));
        }
    }

    let subject = rng.pick(GROUPS[group].subjects);
    let summary = summary(rng, itype, subject);
    let description = description(rng, itype, subject);
    let reporter = if big {
        lead
    } else {
        team[rng.index(team.len())]
    };
    let last = hists.iter().map(|h| h.t).max().unwrap_or(created);
    let touched = if rng.chance(0.3) {
        (last + rng.between(HOUR, 3 * DAY)).min(now - MIN).max(last)
    } else {
        last
    };
    Plan {
        project,
        itype,
        created,
        reporter,
        target,
        resolution,
        assignee,
        priority,
        labels,
        analysis_start,
        release_date,
        hists,
        summary,
        description,
        touched,
    }
}

/// Issues that changed project: (from, to, how many, which types).
const MOVES: [(usize, usize, usize, &[usize]); 5] = [
    (PAY, MOB, 3, &[FEATURE, ENABLER]),
    (DATAT, PAYT, 1, &[STORY]),
    (MOB, OPS, 1, &[BUG]),
    (FAC, OPS, 1, &[STORY, BUG]),
    (OPS, FAC, 1, &[STORY, BUG]),
];

fn add_moves(rng: &mut Rng, plans: &mut [Plan], now: i64) {
    let mut moved = vec![false; plans.len()];
    let latest = utc(2026, 10, 1, 0, 0);
    for &(from, to, count, types) in &MOVES {
        let mut candidates: Vec<usize> = (0..plans.len())
            .filter(|&i| {
                let p = &plans[i];
                p.project == from && !moved[i] && types.contains(&p.itype) && p.created < latest
            })
            .collect();
        for _ in 0..count.min(candidates.len()) {
            let i = candidates.remove(rng.index(candidates.len()));
            let p = &mut plans[i];
            let last = p.hists.iter().map(|h| h.t).max().unwrap_or(p.created);
            let end = (last + 10 * DAY).min(now - DAY);
            let span = (end - p.created).max(DAY);
            let raw = p.created + span / 5 + rng.below((span / 2) as u64) as i64;
            let zone = GROUPS[PROJECTS[to].group].zone;
            let t = work_time(raw, zone, rng).min(now - HOUR);
            // From now on the new project's people work on it.
            let (old_team, new_team) = (
                group_members(PROJECTS[from].group),
                group_members(PROJECTS[to].group),
            );
            for h in p.hists.iter_mut().filter(|h| h.t > t) {
                if old_team.contains(&h.author) {
                    h.author = new_team[rng.index(new_team.len())];
                }
            }
            let author = new_team[0];
            p.hists.push(Hist {
                t,
                author,
                items: vec![Item::Move(to)],
            });
            moved[i] = true;
        }
    }
}

fn moved(plan: &Plan) -> bool {
    plan.hists
        .iter()
        .any(|h| h.items.iter().any(|i| matches!(i, Item::Move(_))))
}

fn final_project(plan: &Plan) -> usize {
    let mut hists: Vec<&Hist> = plan.hists.iter().collect();
    hists.sort_by_key(|h| h.t);
    hists
        .iter()
        .flat_map(|h| h.items.iter())
        .fold(
            plan.project,
            |p, i| if let Item::Move(to) = i { *to } else { p },
        )
}

/// Two issues per train are deleted after the import: (plan, when, by whom).
fn choose_deletions(rng: &mut Rng, plans: &[Plan], now: i64) -> Vec<(usize, i64, usize)> {
    let mut out = Vec::new();
    for group in 0..4 {
        let mut candidates: Vec<usize> = (0..plans.len())
            .filter(|&i| !moved(&plans[i]) && PROJECTS[final_project(&plans[i])].group == group)
            .collect();
        for _ in 0..2 {
            let i = candidates.remove(rng.index(candidates.len()));
            let at = now + rng.between(HOUR, 40 * HOUR) + rng.between(0, 999);
            let by = if rng.chance(0.5) {
                ADMIN
            } else {
                group_members(group)[0]
            };
            out.push((i, at, by));
        }
    }
    out
}

/// Keys in the order Jira handed them out: on creation, and again on every move.
fn allocate_keys(plans: &[Plan]) -> Vec<Vec<String>> {
    let mut events: Vec<(i64, usize, usize)> = Vec::new();
    for (i, p) in plans.iter().enumerate() {
        events.push((p.created, i, p.project));
        for h in &p.hists {
            for item in &h.items {
                if let Item::Move(to) = item {
                    events.push((h.t, i, *to));
                }
            }
        }
    }
    events.sort();
    let mut next: Vec<u32> = PROJECTS.iter().map(|p| p.first_number).collect();
    let mut keys = vec![Vec::new(); plans.len()];
    for (_, i, project) in events {
        keys[i].push(format!("{}-{}", PROJECTS[project].key, next[project]));
        next[project] += 1;
    }
    keys
}

// ---------------------------------------------------------------------------------------------
// Replaying the plan into what Jira shows.

/// An issue as the export shows it: its histories with every `from` filled in, and its fields.
struct Built {
    id: u64,
    key: String,
    project: usize,
    itype: usize,
    created: i64,
    updated: i64,
    reporter: usize,
    status: &'static str,
    status_changed: i64,
    resolution: Option<usize>,
    resolved_at: Option<i64>,
    assignee: Option<usize>,
    priority: usize,
    labels: Vec<&'static str>,
    flagged: bool,
    points: Option<u32>,
    analysis_start: Option<i64>,
    release_date: Option<i64>,
    summary: String,
    description: Option<String>,
    watchers: i64,
    rank: String,
    /// (time, author, items), oldest first; ids are given later.
    hists: Vec<(i64, usize, Vec<Value>)>,
    history_ids: Vec<u64>,
}

fn change(
    field: &str,
    custom: bool,
    field_id: Option<&str>,
    from: (Option<String>, Option<String>),
    to: (Option<String>, Option<String>),
) -> Value {
    let mut m = Map::new();
    m.insert("field".into(), field.into());
    m.insert(
        "fieldtype".into(),
        (if custom { "custom" } else { "jira" }).into(),
    );
    if let Some(id) = field_id {
        m.insert("fieldId".into(), id.into());
    }
    m.insert("from".into(), from.0.map_or(Value::Null, Value::String));
    m.insert(
        "fromString".into(),
        from.1.map_or(Value::Null, Value::String),
    );
    m.insert("to".into(), to.0.map_or(Value::Null, Value::String));
    m.insert("toString".into(), to.1.map_or(Value::Null, Value::String));
    Value::Object(m)
}

fn status_change(from: &str, to: &str) -> Value {
    let (f, t) = (status_def(from), status_def(to));
    change(
        "status",
        false,
        Some("status"),
        (Some(f.id.into()), Some(f.name.into())),
        (Some(t.id.into()), Some(t.name.into())),
    )
}

fn user_ref(user: Option<usize>) -> (Option<String>, Option<String>) {
    (
        user.map(account_id),
        user.map(|u| USERS[u].name.to_string()),
    )
}

fn resolution_ref(r: Option<usize>) -> (Option<String>, Option<String>) {
    (
        r.map(|r| RESOLUTIONS[r].0.to_string()),
        r.map(|r| RESOLUTIONS[r].1.to_string()),
    )
}

fn date_ref(day: Option<i64>) -> (Option<String>, Option<String>) {
    (day.map(fmt_date), day.map(display_date))
}

fn datetime_ref(t: Option<i64>, viewer: Zone) -> (Option<String>, Option<String>) {
    (
        t.map(|t| fmt_at(t, 0)),
        t.map(|t| display_datetime(t, viewer)),
    )
}

fn build_issue(plan: &Plan, keys: &[String], id: u64, rng: &mut Rng, now: i64) -> Built {
    let mut project = plan.project;
    let mut key_index = 0;
    let mut target = plan.target;
    let mut status = status_name(PROJECTS[project].workflow, target);
    let mut status_changed = plan.created;
    let mut resolution = plan.resolution;
    let mut resolved_at = resolution.map(|_| plan.created);
    let mut assignee = plan.assignee;
    let mut priority = plan.priority;
    let mut labels = plan.labels.clone();
    let mut flagged = false;
    let mut points = None;
    let mut analysis_start = plan.analysis_start;
    let mut release_date = plan.release_date;

    let mut order: Vec<&Hist> = plan.hists.iter().collect();
    order.sort_by_key(|h| h.t);
    let mut hists = Vec::new();
    for h in order {
        let viewer = USERS[h.author].zone;
        let mut items = Vec::new();
        let mut set_status =
            |items: &mut Vec<Value>, status: &mut &'static str, name: &'static str| {
                if name != *status {
                    items.push(status_change(status, name));
                    if status_def(name).category != status_def(status).category {
                        status_changed = h.t;
                    }
                    *status = name;
                }
            };
        for item in &h.items {
            match *item {
                Item::Status(to) => {
                    target = to;
                    let name = status_name(PROJECTS[project].workflow, to);
                    set_status(&mut items, &mut status, name);
                }
                Item::Resolution(r) => {
                    if r != resolution {
                        items.push(change(
                            "resolution",
                            false,
                            Some("resolution"),
                            resolution_ref(resolution),
                            resolution_ref(r),
                        ));
                        resolution = r;
                        resolved_at = r.map(|_| h.t);
                    }
                }
                Item::Assignee(a) => {
                    if a != assignee {
                        items.push(change(
                            "assignee",
                            false,
                            Some("assignee"),
                            user_ref(assignee),
                            user_ref(a),
                        ));
                        assignee = a;
                    }
                }
                Item::Priority(p) => {
                    if p != priority {
                        let (f, t) = (PRIORITIES[priority], PRIORITIES[p]);
                        items.push(change(
                            "priority",
                            false,
                            Some("priority"),
                            (Some(f.0.into()), Some(f.1.into())),
                            (Some(t.0.into()), Some(t.1.into())),
                        ));
                        priority = p;
                    }
                }
                Item::Label(label) => {
                    if !labels.contains(&label) {
                        let before = labels.join(" ");
                        labels.push(label);
                        items.push(change(
                            "labels",
                            false,
                            Some("labels"),
                            (None, Some(before)),
                            (None, Some(labels.join(" "))),
                        ));
                    }
                }
                Item::Flag(on) => {
                    if on != flagged {
                        let set = (Some("[10019]".to_string()), Some("Impediment".to_string()));
                        let (from, to) = if on {
                            ((None, None), set)
                        } else {
                            (set, (None, None))
                        };
                        items.push(change("Flagged", true, Some("customfield_10021"), from, to));
                        flagged = on;
                    }
                }
                Item::Points(p) => {
                    if p != points {
                        items.push(change(
                            "Story Points",
                            true,
                            Some("customfield_10016"),
                            (None, points.map(|p| p.to_string())),
                            (None, p.map(|p| p.to_string())),
                        ));
                        points = p;
                    }
                }
                Item::AnalysisStart(day) => {
                    if day != analysis_start {
                        items.push(change(
                            "Analysis Start",
                            true,
                            Some("customfield_10050"),
                            date_ref(analysis_start),
                            date_ref(day),
                        ));
                        analysis_start = day;
                    }
                }
                Item::ReleaseDate(t) => {
                    if t != release_date {
                        items.push(change(
                            "Release Date",
                            true,
                            Some("customfield_10051"),
                            datetime_ref(release_date, viewer),
                            datetime_ref(t, viewer),
                        ));
                        release_date = t;
                    }
                }
                Item::Rank(higher) => {
                    let s = Some(String::new());
                    let word = if higher {
                        "Ranked higher"
                    } else {
                        "Ranked lower"
                    };
                    items.push(change(
                        "Rank",
                        true,
                        Some("customfield_10019"),
                        (s.clone(), s.clone()),
                        (s, Some(word.into())),
                    ));
                }
                Item::Move(to) => {
                    if to != project {
                        let (f, t) = (&PROJECTS[project], &PROJECTS[to]);
                        items.push(change(
                            "project",
                            false,
                            Some("project"),
                            (Some(f.id.into()), Some(f.name.into())),
                            (Some(t.id.into()), Some(t.name.into())),
                        ));
                        items.push(change(
                            "Key",
                            false,
                            None,
                            (None, Some(keys[key_index].clone())),
                            (None, Some(keys[key_index + 1].clone())),
                        ));
                        key_index += 1;
                        if f.workflow_id != t.workflow_id {
                            items.push(change(
                                "Workflow",
                                false,
                                None,
                                (Some(f.workflow_id.into()), Some(f.workflow_name.into())),
                                (Some(t.workflow_id.into()), Some(t.workflow_name.into())),
                            ));
                        }
                        project = to;
                        let name = status_name(t.workflow, target);
                        set_status(&mut items, &mut status, name);
                    }
                }
            }
        }
        if !items.is_empty() {
            hists.push((h.t, h.author, items));
        }
    }
    let last = hists.last().map_or(plan.created, |h| h.0);
    Built {
        id,
        key: keys[key_index].clone(),
        project,
        itype: plan.itype,
        created: plan.created,
        updated: plan.touched.max(last).min(now),
        reporter: plan.reporter,
        status,
        status_changed,
        resolution,
        resolved_at,
        assignee,
        priority,
        labels,
        flagged,
        points,
        analysis_start,
        release_date,
        summary: plan.summary.clone(),
        description: plan.description.clone(),
        watchers: rng.between(0, 6),
        rank: format!("0|i{:05x}:", rng.below(0x10_0000)),
        hists,
        history_ids: Vec::new(),
    }
}

/// History ids are site-wide and grow with time (other issues' histories fill the gaps).
fn assign_history_ids(rng: &mut Rng, built: &mut [Built]) {
    let mut all: Vec<(i64, u64, usize, usize)> = Vec::new();
    for (i, b) in built.iter().enumerate() {
        for (j, h) in b.hists.iter().enumerate() {
            all.push((h.0, b.id, i, j));
        }
    }
    all.sort();
    for b in built.iter_mut() {
        b.history_ids = vec![0; b.hists.len()];
    }
    let mut next = 31_000 + rng.below(500);
    for (_, _, i, j) in all {
        built[i].history_ids[j] = next;
        next += 1 + rng.below(25);
    }
}

fn fields_json(b: &Built, zone: Zone) -> Value {
    let project = &PROJECTS[b.project];
    let (type_name, type_id, level, icon) = ISSUE_TYPES[b.itype];
    let mut f = Map::new();
    let mut put = |k: &str, v: Value| {
        f.insert(k.to_string(), v);
    };
    put(
        "statuscategorychangedate",
        fmt_ts(b.status_changed, zone).into(),
    );
    put(
        "issuetype",
        json!({
            "self": format!("{SITE}/rest/api/2/issuetype/{type_id}"),
            "id": type_id,
            "description": "",
            "iconUrl": format!("{SITE}/images/icons/issuetypes/{icon}"),
            "name": type_name,
            "subtask": false,
            "hierarchyLevel": level,
        }),
    );
    put("timespent", Value::Null);
    put(
        "project",
        json!({
            "self": format!("{SITE}/rest/api/2/project/{}", project.id),
            "id": project.id,
            "key": project.key,
            "name": project.name,
            "projectTypeKey": "software",
            "simplified": project.workflow == Workflow::Simple,
        }),
    );
    put("fixVersions", json!([]));
    put(
        "resolution",
        b.resolution.map_or(Value::Null, |r| {
            let (id, name, description) = RESOLUTIONS[r];
            json!({
                "self": format!("{SITE}/rest/api/2/resolution/{id}"),
                "id": id,
                "description": description,
                "name": name,
            })
        }),
    );
    put(
        "resolutiondate",
        b.resolved_at
            .map_or(Value::Null, |t| fmt_ts(t, zone).into()),
    );
    put("workratio", json!(-1));
    put("lastViewed", Value::Null);
    put(
        "watches",
        json!({
            "self": format!("{SITE}/rest/api/2/issue/{}/watchers", b.key),
            "watchCount": b.watchers,
            "isWatching": false,
        }),
    );
    put("created", fmt_ts(b.created, zone).into());
    put(
        "customfield_10016",
        b.points.map_or(Value::Null, |p| json!(f64::from(p))),
    );
    put("customfield_10019", b.rank.clone().into());
    put("customfield_10020", Value::Null);
    put(
        "customfield_10021",
        if b.flagged {
            json!([{ "self": format!("{SITE}/rest/api/2/customFieldOption/10019"), "value": "Impediment", "id": "10019" }])
        } else {
            Value::Null
        },
    );
    put(
        "customfield_10050",
        b.analysis_start.map_or(Value::Null, |d| fmt_date(d).into()),
    );
    put(
        "customfield_10051",
        b.release_date
            .map_or(Value::Null, |t| fmt_ts(t, zone).into()),
    );
    let (pid, pname) = PRIORITIES[b.priority];
    put(
        "priority",
        json!({
            "self": format!("{SITE}/rest/api/2/priority/{pid}"),
            "iconUrl": format!("{SITE}/images/icons/priorities/{}.svg", pname.to_lowercase()),
            "name": pname,
            "id": pid,
        }),
    );
    put("labels", json!(b.labels));
    put("versions", json!([]));
    put("issuelinks", json!([]));
    put("assignee", b.assignee.map_or(Value::Null, user_json));
    put("updated", fmt_ts(b.updated, zone).into());
    put("status", status_json(b.status));
    put("components", json!([]));
    put(
        "description",
        b.description.clone().map_or(Value::Null, Value::String),
    );
    put("summary", b.summary.clone().into());
    put("creator", user_json(b.reporter));
    put("reporter", user_json(b.reporter));
    put("subtasks", json!([]));
    put("environment", Value::Null);
    put("duedate", Value::Null);
    Value::Object(f)
}

fn issue_json(b: &Built, zone: Zone, newest_first: bool) -> Value {
    let mut histories: Vec<Value> = b
        .hists
        .iter()
        .zip(&b.history_ids)
        .map(|((t, author, items), id)| {
            json!({
                "id": id.to_string(),
                "author": user_json(*author),
                "created": fmt_ts(*t, zone),
                "items": items,
            })
        })
        .collect();
    if newest_first {
        histories.reverse();
    }
    let n = histories.len();
    json!({
        "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
        "id": b.id.to_string(),
        "self": format!("{SITE}/rest/api/2/issue/{}", b.id),
        "key": b.key,
        "fields": fields_json(b, zone),
        "changelog": {
            "startAt": 0,
            "maxResults": n,
            "total": n,
            "histories": histories,
        },
    })
}

fn deletion_webhook(b: &Built, at: i64, user: usize) -> Value {
    json!({
        "timestamp": at,
        "webhookEvent": "jira:issue_deleted",
        "user": user_json(user),
        "issue": {
            "id": b.id.to_string(),
            "self": format!("{SITE}/rest/api/2/issue/{}", b.id),
            "key": b.key,
            "fields": fields_json(b, USERS[user].zone),
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Words.

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn summary(rng: &mut Rng, itype: usize, subject: &str) -> String {
    let s = subject;
    let short = s.strip_prefix("the ").unwrap_or(s);
    match itype {
        FEATURE => match rng.below(10) {
            0 => format!("Introduce {short}"),
            1 => format!("Support {short} for business customers"),
            2 => format!("Redesign {s}"),
            3 => format!("Self-service {short}"),
            4 => format!("Extend {short} to the Nordics"),
            5 => format!("{}: phase 2", capitalise(short)),
            6 => format!("Real-time {short}"),
            7 => format!("Harmonise {s} across channels"),
            8 => format!("Automate {s}"),
            _ => format!("{} for the EU market", capitalise(short)),
        },
        ENABLER => match rng.below(8) {
            0 => format!("Spike: options for {s}"),
            1 => format!("Upgrade the libraries behind {s}"),
            2 => format!("Refactor {s}"),
            3 => format!("Observability for {s}"),
            4 => format!("Load test {s}"),
            5 => format!("Decommission the legacy {short}"),
            6 => format!("Architectural runway for {s}"),
            _ => format!("Migrate {s} to the shared platform"),
        },
        STORY => match rng.below(10) {
            0 => format!("Show the status of {s} to the user"),
            1 => format!("API endpoint for {s}"),
            2 => format!("Validate input for {s}"),
            3 => format!("Persist settings for {s}"),
            4 => format!("Add metrics for {s}"),
            5 => format!("Contract tests for {s}"),
            6 => format!("Update copy for {s} after legal review"),
            7 => format!("Handle errors in {s}"),
            8 => format!("Feature flag for {s}"),
            _ => format!("Admin screen for {s}"),
        },
        _ => {
            let c = capitalise(s);
            match rng.below(10) {
                0 => format!("{c}: intermittent 500 errors"),
                1 => format!("{c} shows stale data after deploy"),
                2 => format!("{c}: duplicate entries after retry"),
                3 => format!("{c} crashes on Android 14"),
                4 => format!("{c}: off-by-one in the date filter"),
                5 => format!("{c} ignores the user's locale"),
                6 => format!("{c}: memory leak under load"),
                7 => format!("{c} broken in Safari 18"),
                8 => format!("{c}: missing audit log entries"),
                _ => format!("{c}: wrong time zone in the CSV export"),
            }
        }
    }
}

const OUTCOMES: [&str; 8] = [
    "a 15% drop in support tickets",
    "a faster month-end close",
    "fewer failed transactions",
    "higher conversion in checkout",
    "less manual toil for on-call engineers",
    "shorter onboarding for new customers",
    "audit findings closed before the next review",
    "lower cloud spend per transaction",
];

const CRITERIA: [&str; 12] = [
    "Works for all supported locales (de, en, fr, ja).",
    "Covered by automated tests in the pipeline.",
    "Feature toggle allows switching it off per market.",
    "Dashboards show the new metrics in Grafana.",
    "No increase in p95 latency above 250 ms.",
    "Security review signed off.",
    "Runbook updated and linked from the service catalogue.",
    "Data retention follows the GDPR policy.",
    "Release notes drafted with Product Marketing.",
    "Accessible with screen readers (WCAG 2.1 AA).",
    "Rollback tested in staging.",
    "Support team briefed before go-live.",
];

const NOTES: [&str; 10] = [
    "PI planning: dependency on the platform team confirmed for iteration 3",
    "retro: scope was too big, split off the reporting part",
    "system demo feedback: stakeholders want the CSV export first",
    "WARN [worker-7] retrying batch (attempt 3/5): upstream timeout",
    "ERROR [gateway] 503 from downstream, circuit breaker open",
    "INFO [scheduler] job finished in 418 s, 0 records rejected",
    "architecture sync: agreed on event-driven integration",
    "risk ROAMed as Owned by the RTE",
    "WSJF re-scored after the business owner review",
    "inspect & adapt: added to the improvement backlog",
];

fn description(rng: &mut Rng, itype: usize, subject: &str) -> Option<String> {
    let roll = rng.unit();
    if roll < 0.15 {
        return None;
    }
    let mut s = String::new();
    if itype == BUG {
        s.push_str(&format!(
            "h3. Steps to reproduce\n# Open {subject}\n# Repeat the last action\n\nh3. Expected\nNo error.\n\nh3. Actual\n{}\n",
            rng.pick(&NOTES)
        ));
    } else {
        s.push_str(&format!(
            "h3. Benefit hypothesis\nIf we deliver {subject}, we expect {}.\n\nh3. Acceptance criteria\n",
            rng.pick(&OUTCOMES)
        ));
        for _ in 0..rng.between(2, 6) {
            s.push_str("* ");
            s.push_str(rng.pick(&CRITERIA));
            s.push('\n');
        }
    }
    if roll > 0.9 {
        // The long ones: meeting notes and pasted logs, up to Jira's 32,767 characters.
        s.push_str("\nh3. Notes\n{noformat}\n");
        let lines = rng.between(60, 400);
        let mut day = days_from_civil(2026, 1, 5) + rng.between(0, 300);
        for _ in 0..lines {
            if s.len() > 32_000 {
                break;
            }
            day += i64::from(rng.chance(0.2));
            let t = day * DAY + rng.between(8 * HOUR, 18 * HOUR);
            let stamp = fmt_at(t, 0).replace('T', " ");
            s.push_str(&format!("{} {}\n", &stamp[..23], rng.pick(&NOTES)));
        }
        s.push_str("{noformat}\n");
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    fn issues(data: &DemoData) -> Vec<&Value> {
        data.search_responses
            .iter()
            .flat_map(|(_, r)| r["issues"].as_array().expect("issues").iter())
            .collect()
    }

    /// Reads `2026-03-01T10:15:30.123-0800`, checking it has exactly Jira's form.
    fn parse_ts(s: &str) -> i64 {
        let b = s.as_bytes();
        assert_eq!(b.len(), 28, "{s}");
        for (i, c) in [
            (4, b'-'),
            (7, b'-'),
            (10, b'T'),
            (13, b':'),
            (16, b':'),
            (19, b'.'),
        ] {
            assert_eq!(b[i], c, "{s}");
        }
        assert!(b[23] == b'+' || b[23] == b'-', "{s}");
        let n = |r: std::ops::Range<usize>| -> i64 { s[r].parse().expect(s) };
        let day = days_from_civil(n(0..4), n(5..7), n(8..10));
        let local = day * DAY + n(11..13) * HOUR + n(14..16) * MIN + n(17..19) * SEC + n(20..23);
        let off = (n(24..26) * 60 + n(26..28)) * if b[23] == b'-' { -1 } else { 1 };
        local - off * MIN
    }

    fn parse_date(s: &str) -> i64 {
        assert_eq!(s.len(), 10, "{s}");
        let n = |r: std::ops::Range<usize>| -> i64 { s[r].parse().expect(s) };
        days_from_civil(n(0..4), n(5..7), n(8..10)) * DAY
    }

    /// Histories in the order they happened: (created, numeric id).
    fn ordered(issue: &Value) -> Vec<&Value> {
        let mut h: Vec<&Value> = issue["changelog"]["histories"]
            .as_array()
            .expect("histories")
            .iter()
            .collect();
        h.sort_by_key(|h| {
            let id: u64 = h["id"].as_str().expect("id").parse().expect("numeric id");
            (parse_ts(h["created"].as_str().expect("created")), id)
        });
        h
    }

    fn status_items(issue: &Value) -> Vec<(i64, &Value)> {
        ordered(issue)
            .into_iter()
            .flat_map(|h| {
                let t = parse_ts(h["created"].as_str().expect("created"));
                h["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .filter(|i| i["field"] == "status")
                    .map(move |i| (t, i))
            })
            .collect()
    }

    fn project_key(issue: &Value) -> &str {
        issue["fields"]["project"]["key"]
            .as_str()
            .expect("project key")
    }

    /// A minimal reader of the configuration's TOML: `[[art]]`, `[[art.pipeline]]`, and
    /// `key = value` lines with strings, arrays of strings and integers.
    #[derive(Default, Debug)]
    struct ArtConf {
        keys: BTreeMap<String, String>,
        pipelines: Vec<BTreeMap<String, String>>,
    }

    fn read_config(text: &str) -> Vec<ArtConf> {
        let mut arts: Vec<ArtConf> = Vec::new();
        let mut in_pipeline = false;
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line == "[[art]]" {
                arts.push(ArtConf::default());
                in_pipeline = false;
            } else if line == "[[art.pipeline]]" {
                arts.last_mut()
                    .expect("a pipeline inside an art")
                    .pipelines
                    .push(BTreeMap::new());
                in_pipeline = true;
            } else {
                let (k, v) = line.split_once(" = ").expect("key = value");
                let art = arts.last_mut().expect("keys inside an art");
                let map = if in_pipeline {
                    art.pipelines.last_mut().expect("pipeline")
                } else {
                    &mut art.keys
                };
                assert!(
                    map.insert(k.to_string(), v.to_string()).is_none(),
                    "duplicate {k}"
                );
            }
        }
        arts
    }

    fn unquote(v: &str) -> String {
        v.strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .expect(v)
            .to_string()
    }

    fn list(v: &str) -> Vec<String> {
        let inner = v
            .strip_prefix('[')
            .and_then(|v| v.strip_suffix(']'))
            .expect(v);
        inner.split(", ").map(unquote).collect()
    }

    #[test]
    fn demo_is_deterministic_for_a_seed() {
        let dump = |d: &DemoData| {
            serde_json::to_string(&json!({
                "config": d.config_toml,
                "responses": d.search_responses.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
                "webhooks": d.webhooks,
            }))
            .expect("serializes")
        };
        let a = dump(&generate(2026));
        assert_eq!(a, dump(&generate(2026)));
        assert_ne!(a, dump(&generate(2027)));
    }

    #[test]
    fn demo_has_the_counts_asked_for() {
        for seed in [0, 1, 2026, u64::MAX] {
            let data = generate(seed);
            let all = issues(&data);
            let owned = ["PAY", "PAYT", "MOB", "DATA", "DATAT", "OPS"];
            let n_owned = all
                .iter()
                .filter(|i| owned.contains(&project_key(i)))
                .count();
            let n_unowned = all.iter().filter(|i| project_key(i) == "FAC").count();
            assert!(
                (400..=600).contains(&n_owned),
                "{n_owned} issues owned by ARTs"
            );
            assert!((15..=25).contains(&n_unowned), "{n_unowned} unowned issues");
            assert_eq!(n_owned + n_unowned, all.len());
            assert_eq!(data.search_responses.len(), 5);
            for (name, r) in &data.search_responses {
                assert!(name.ends_with(".json"));
                assert_eq!(
                    r["total"].as_u64(),
                    Some(r["issues"].as_array().unwrap().len() as u64)
                );
                assert_eq!(r["startAt"], 0);
                assert!(r["expand"].is_string() && r["maxResults"].is_u64());
            }
            let types: BTreeSet<&str> = all
                .iter()
                .map(|i| i["fields"]["issuetype"]["name"].as_str().unwrap())
                .collect();
            assert_eq!(
                types,
                BTreeSet::from(["Bug", "Enabler", "Feature", "Story"])
            );
            for art in [
                ["PAY", "PAYT"],
                ["MOB", "MOB"],
                ["DATA", "DATAT"],
                ["OPS", "OPS"],
            ] {
                let n = all.iter().filter(|i| art.contains(&project_key(i))).count();
                assert!(n >= 60, "{art:?}: {n}");
            }
            assert_eq!(data.webhooks.len(), 8);
        }
    }

    #[test]
    fn ids_keys_and_history_ids_are_unique() {
        let data = generate(7);
        let mut ids = BTreeSet::new();
        let mut keys = BTreeSet::new();
        let mut history_ids = BTreeSet::new();
        for i in issues(&data) {
            let id = i["id"].as_str().unwrap();
            assert!(id.bytes().all(|b| b.is_ascii_digit()));
            assert!(ids.insert(id.to_string()), "duplicate id {id}");
            assert_eq!(
                i["self"],
                format!("https://demo-train.atlassian.net/rest/api/2/issue/{id}")
            );
            let key = i["key"].as_str().unwrap();
            assert!(keys.insert(key.to_string()), "duplicate key {key}");
            assert_eq!(key.split('-').next(), Some(project_key(i)));
            for h in i["changelog"]["histories"].as_array().unwrap() {
                assert!(history_ids.insert(h["id"].as_str().unwrap().to_string()));
            }
        }
    }

    #[test]
    fn statuses_chain_and_end_in_the_current_status() {
        for seed in [3, 2026] {
            let data = generate(seed);
            for issue in issues(&data) {
                let f = &issue["fields"];
                let mut current: Option<(String, String)> = None;
                for (_, item) in status_items(issue) {
                    let from = (
                        item["from"].as_str().unwrap().to_string(),
                        item["fromString"].as_str().unwrap().to_string(),
                    );
                    if let Some(c) = &current {
                        assert_eq!(c, &from, "{}: status chain broken", issue["key"]);
                    }
                    assert_ne!(item["from"], item["to"]);
                    assert_eq!(item["fieldId"], "status");
                    assert_eq!(item["fieldtype"], "jira");
                    current = Some((
                        item["to"].as_str().unwrap().into(),
                        item["toString"].as_str().unwrap().into(),
                    ));
                }
                let status = (
                    f["status"]["id"].as_str().unwrap().to_string(),
                    f["status"]["name"].as_str().unwrap().to_string(),
                );
                if let Some(c) = current {
                    assert_eq!(c, status, "{}", issue["key"]);
                }
                assert_eq!(status_def(&status.1).id, status.0);
                let done = f["status"]["statusCategory"]["key"] == "done";
                assert_eq!(done, !f["resolution"].is_null(), "{}", issue["key"]);
                assert_eq!(done, !f["resolutiondate"].is_null(), "{}", issue["key"]);
            }
        }
    }

    #[test]
    fn times_are_jira_times_in_order() {
        let data = generate(11);
        let mut offsets = BTreeSet::new();
        for issue in issues(&data) {
            let f = &issue["fields"];
            let created = parse_ts(f["created"].as_str().unwrap());
            let updated = parse_ts(f["updated"].as_str().unwrap());
            assert!((utc(2026, 1, 1, 0, 0)..utc(2026, 12, 1, 0, 0)).contains(&created));
            assert!(updated >= created && updated <= export_time());
            if let Some(r) = f["resolutiondate"].as_str() {
                assert!(parse_ts(r) >= created && parse_ts(r) <= updated);
            }
            let mut last_id = 0;
            for h in ordered(issue) {
                let s = h["created"].as_str().unwrap();
                offsets.insert(s[23..].to_string());
                let t = parse_ts(s);
                assert!(
                    t > created && t <= updated,
                    "{}: history at {s}",
                    issue["key"]
                );
                let id: u64 = h["id"].as_str().unwrap().parse().unwrap();
                assert!(id > last_id, "history ids grow with time");
                last_id = id;
                assert!(h["author"]["displayName"].is_string());
                assert!(!h["items"].as_array().unwrap().is_empty());
            }
            let n = issue["changelog"]["histories"].as_array().unwrap().len();
            assert_eq!(issue["changelog"]["total"].as_u64(), Some(n as u64));
            assert_eq!(issue["changelog"]["maxResults"].as_u64(), Some(n as u64));
        }
        for o in ["-0800", "-0500", "+0000", "+0100", "+0530"] {
            assert!(offsets.contains(o), "offset {o} missing from {offsets:?}");
        }
    }

    #[test]
    fn date_fields_match_their_last_change() {
        for seed in [5, 6, 7, 8] {
            date_fields_of(seed);
        }
    }

    fn date_fields_of(seed: u64) {
        let data = generate(seed);
        let (mut set, mut backwards, mut start_only, mut end_only) = (0, 0, 0, 0);
        for issue in issues(&data) {
            let f = &issue["fields"];
            for (field, name) in [
                ("customfield_10050", "Analysis Start"),
                ("customfield_10051", "Release Date"),
            ] {
                let last = ordered(issue)
                    .into_iter()
                    .flat_map(|h| h["items"].as_array().unwrap().iter())
                    .rfind(|i| i["fieldId"] == field);
                if let Some(item) = last {
                    assert_eq!(item["field"], name);
                    assert_eq!(item["fieldtype"], "custom");
                    match (item["to"].as_str(), f[field].as_str()) {
                        (Some(to), Some(v)) if field == "customfield_10050" => assert_eq!(to, v),
                        (Some(to), Some(v)) => {
                            assert!(to.ends_with("+0000"));
                            assert_eq!(parse_ts(to), parse_ts(v));
                        }
                        (to, v) => panic!("{}: {field} item {to:?}, field {v:?}", issue["key"]),
                    }
                }
            }
            match (
                f["customfield_10050"].as_str(),
                f["customfield_10051"].as_str(),
            ) {
                (Some(s), Some(e)) => {
                    set += 1;
                    if parse_ts(e) < parse_date(s) {
                        backwards += 1;
                    }
                }
                (Some(_), None) => start_only += 1,
                (None, Some(_)) => end_only += 1,
                (None, None) => {}
            }
        }
        assert!(set >= 40, "{set} issues with both dates");
        assert!(
            backwards >= 1,
            "{backwards} issues released before analysis started"
        );
        assert!(
            start_only >= 20 && end_only >= 1,
            "{start_only} start only, {end_only} end only"
        );
    }

    #[test]
    fn the_behaviours_a_train_shows_are_all_there() {
        let data = generate(2026);
        let all = issues(&data);
        let name = |i: &Value, k: &str| i[k].as_str().unwrap_or("").to_string();
        let (mut skips, mut bounces, mut reopens, mut multi_reopens, mut straight, mut funnel_done) =
            (0, 0, 0, 0, 0, 0);
        let (mut holds, mut moves, mut non_status_only, mut with_other_fields) = (0, 0, 0, 0);
        let mut lead_days = Vec::new();
        for issue in &all {
            let items = status_items(issue);
            let done = issue["fields"]["status"]["statusCategory"]["key"] == "done";
            if items.is_empty() && done {
                straight += 1;
            }
            let mut issue_reopens = 0;
            for w in items.windows(2) {
                let (t0, a) = w[0];
                let (t1, b) = w[1];
                if t1 - t0 < MIN && name(a, "fromString") == name(b, "toString") {
                    bounces += 1;
                }
            }
            for (_, i) in &items {
                let (from, to) = (name(i, "fromString"), name(i, "toString"));
                skips += usize::from(from == "Analyzing" && to == "Implementing");
                funnel_done += usize::from(from == "Funnel" && to == "Done");
                holds += usize::from(to == "On Hold" || to == "Blocked");
                if status_def(&from).category == Category::Done
                    && status_def(&to).category != Category::Done
                {
                    issue_reopens += 1;
                }
            }
            reopens += usize::from(issue_reopens > 0);
            multi_reopens += usize::from(issue_reopens > 1);
            for h in issue["changelog"]["histories"].as_array().unwrap() {
                let items = h["items"].as_array().unwrap();
                let has_status = items.iter().any(|i| i["field"] == "status");
                non_status_only += usize::from(!has_status);
                with_other_fields += usize::from(has_status && items.len() > 1);
                if items.iter().any(|i| i["field"] == "Key") {
                    moves += 1;
                    let key = items.iter().find(|i| i["field"] == "Key").unwrap();
                    assert!(
                        key["from"].is_null()
                            && key["to"].is_null()
                            && key.get("fieldId").is_none()
                    );
                    assert_eq!(key["toString"], issue["key"]);
                    assert!(items.iter().any(|i| i["field"] == "project"));
                }
            }
            // Lead time as a team sees it: first entry into Implementing (or later) to Done.
            let later = [
                "Implementing",
                "Validating",
                "Releasing",
                "In Progress",
                "Verification",
                "Deploying",
            ];
            if done
                && let Some((start, _)) = items
                    .iter()
                    .find(|(_, i)| later.contains(&name(i, "toString").as_str()))
            {
                let (end, _) = items.last().unwrap();
                lead_days.push((end - start) as f64 / DAY as f64);
            }
        }
        assert!(skips >= 5, "{skips} skips");
        assert!(bounces >= 5, "{bounces} bounce-backs");
        assert!(
            reopens >= 5 && multi_reopens >= 1,
            "{reopens} reopened, {multi_reopens} more than once"
        );
        assert!(straight >= 2, "{straight} created in Done");
        assert!(funnel_done >= 3, "{funnel_done} Funnel → Done");
        assert!(holds >= 3, "{holds} holds");
        assert_eq!(moves, 7);
        assert!(non_status_only >= 200 && with_other_fields >= 100);
        assert!(
            lead_days.iter().any(|&d| d < 1.0),
            "no lead time under a day"
        );
        assert!(
            lead_days.iter().any(|&d| d > 90.0),
            "no lead time over 90 days"
        );
        let long = all
            .iter()
            .filter(|i| {
                i["fields"]["description"]
                    .as_str()
                    .is_some_and(|d| d.len() > 10_000)
            })
            .count();
        assert!(long >= 5, "{long} long descriptions");
        assert!(all.iter().any(|i| i["fields"]["description"].is_null()));
        // A moved issue: its key belongs to its new project, its old key is in the history.
        let moved = all
            .iter()
            .find(|i| project_key(i) == "MOB" && i.to_string().contains("\"fromString\":\"PAY-"))
            .expect("a PAY issue moved to MOB");
        assert!(moved["key"].as_str().unwrap().starts_with("MOB-"));
        // Newest-first histories in some responses, oldest-first in others.
        let first_is_newest = |i: &&Value| {
            let h = i["changelog"]["histories"].as_array().unwrap();
            h.len() >= 2
                && parse_ts(h[0]["created"].as_str().unwrap())
                    > parse_ts(h[h.len() - 1]["created"].as_str().unwrap())
        };
        for (file, r) in &data.search_responses {
            let newest = r["issues"]
                .as_array()
                .unwrap()
                .iter()
                .filter(first_is_newest)
                .count();
            if file.starts_with("data") {
                assert!(newest > 20, "{file}");
            } else if !file.starts_with("fac") {
                assert_eq!(newest, 0, "{file}");
            }
        }
    }

    #[test]
    fn deletions_come_after_everything_else() {
        let data = generate(2026);
        let all = issues(&data);
        let mut deleted = BTreeSet::new();
        let mut last_ts = 0;
        for w in &data.webhooks {
            assert_eq!(w["webhookEvent"], "jira:issue_deleted");
            assert!(w.get("changelog").is_none() && w["user"]["accountId"].is_string());
            let at = w["timestamp"].as_i64().unwrap();
            assert!(at >= last_ts, "webhooks in time order");
            last_ts = at;
            let id = w["issue"]["id"].as_str().unwrap();
            let issue = all
                .iter()
                .find(|i| i["id"] == id)
                .expect("deleted issue was imported");
            assert_eq!(w["issue"]["key"], issue["key"]);
            assert_eq!(w["issue"]["self"], issue["self"]);
            assert_eq!(w["issue"]["fields"]["status"], issue["fields"]["status"]);
            let updated = parse_ts(issue["fields"]["updated"].as_str().unwrap());
            assert!(at > updated && at > export_time());
            for h in issue["changelog"]["histories"].as_array().unwrap() {
                assert!(at > parse_ts(h["created"].as_str().unwrap()));
            }
            deleted.insert(project_key(issue).to_string());
        }
        assert!(
            deleted.len() >= 4,
            "deletions spread over the trains: {deleted:?}"
        );
    }

    #[test]
    fn config_has_the_art_and_pipeline_structure() {
        let text = generate(1).config_toml;
        let arts = read_config(&text);
        assert_eq!(arts.len(), 4);
        let abbr: Vec<String> = arts
            .iter()
            .map(|a| unquote(&a.keys["abbreviation"]))
            .collect();
        assert_eq!(abbr, ["PAY", "MOB", "DATA", "OPS"]);
        assert_eq!(arts[0].keys["jira_team_key"], "\"PAYT\"");
        assert_eq!(arts[2].keys["jira_team_key"], "\"DATAT\"");
        let mut codes = BTreeSet::new();
        let mut field_arts = 0;
        let (mut typed, mut threshold, mut other_names) = (0, 0, 0);
        for art in &arts {
            assert!(art.keys.contains_key("name") && art.keys.contains_key("jira_program_key"));
            let mut has_status = false;
            let mut has_field = false;
            for p in &art.pipelines {
                assert!(codes.insert(unquote(&p["code"])), "codes are unique");
                assert!(p.contains_key("name"));
                typed += usize::from(p.contains_key("issue_types"));
                threshold +=
                    usize::from(p.get("min_lead_time_days").map(String::as_str) == Some("5"));
                match unquote(&p["rule"]).as_str() {
                    "status" => {
                        has_status = true;
                        let stages: Vec<String> = list(&p["stages"])
                            .iter()
                            .map(|s| s.to_lowercase())
                            .collect();
                        let known = |s: &String| stages.contains(&s.to_lowercase());
                        assert!(known(&unquote(&p["start"])));
                        assert!(
                            list(&p["done"]).iter().all(known)
                                && list(&p["active"]).iter().all(known)
                        );
                        other_names += usize::from(!stages.contains(&"funnel".to_string()));
                    }
                    "field" => {
                        has_field = true;
                        assert_eq!(p["start_field"], "\"customfield_10050\"");
                        assert_eq!(p["end_field"], "\"customfield_10051\"");
                    }
                    other => panic!("unknown rule {other}"),
                }
            }
            assert!(has_status);
            field_arts += usize::from(has_field);
        }
        assert!(field_arts >= 2 && typed >= 1 && threshold >= 1 && other_names >= 1);

        // Every current status of an ART's issue is one of its stages, or deliberately unmapped.
        let data = generate(1);
        for issue in issues(&data) {
            let project = project_key(issue);
            let Some(art) = arts.iter().find(|a| {
                a.keys["jira_program_key"] == format!("\"{project}\"")
                    || a.keys.get("jira_team_key") == Some(&format!("\"{project}\""))
            }) else {
                continue;
            };
            let status = issue["fields"]["status"]["name"]
                .as_str()
                .unwrap()
                .to_lowercase();
            let mapped = art
                .pipelines
                .iter()
                .filter(|p| p.contains_key("stages"))
                .any(|p| {
                    list(&p["stages"])
                        .iter()
                        .any(|s| s.to_lowercase() == status)
                });
            assert!(
                mapped || status == "on hold" || status == "blocked",
                "{}: {status}",
                issue["key"]
            );
        }
    }

    #[test]
    fn the_domain_reads_the_config_the_import_and_the_webhooks() {
        let data = generate(2026);
        let config =
            domain::parse_config("demo", &data.config_toml).expect("the demo config is valid");
        assert_eq!(config.arts.len(), 4);
        let mut events = 0;
        for issue in issues(&data) {
            let imported = domain::import_issue(issue).expect("every demo issue imports");
            assert!(!imported.truncated);
            events += imported.events.len();
        }
        assert!(events > 2_000);
        for w in &data.webhooks {
            let body = serde_json::to_vec(w).unwrap();
            domain::parse_webhook(&body, None).expect("every demo webhook parses");
        }
    }

    #[test]
    fn time_helpers_agree_with_known_values() {
        assert_eq!(
            fmt_ts(utc(2026, 2, 17, 0, 0), Zone::LosAngeles),
            "2026-02-16T16:00:00.000-0800"
        );
        assert_eq!(
            fmt_ts(utc(2026, 7, 1, 12, 0), Zone::LosAngeles),
            "2026-07-01T05:00:00.000-0700"
        );
        assert_eq!(
            fmt_ts(utc(2026, 3, 8, 6, 59), Zone::NewYork),
            "2026-03-08T01:59:00.000-0500"
        );
        assert_eq!(
            fmt_ts(utc(2026, 3, 8, 7, 0), Zone::NewYork),
            "2026-03-08T03:00:00.000-0400"
        );
        assert_eq!(
            fmt_ts(utc(2026, 3, 29, 1, 0), Zone::Berlin),
            "2026-03-29T03:00:00.000+0200"
        );
        assert_eq!(
            fmt_ts(utc(2026, 10, 25, 1, 0), Zone::London),
            "2026-10-25T01:00:00.000+0000"
        );
        assert_eq!(
            fmt_ts(utc(2026, 1, 6, 4, 45) + 123, Zone::Kolkata),
            "2026-01-06T10:15:00.123+0530"
        );
        assert_eq!(display_date(days_from_civil(2026, 1, 6)), "06/Jan/26");
        assert_eq!(
            display_datetime(utc(2026, 2, 17, 0, 0), Zone::LosAngeles),
            "16/Feb/26 4:00 PM"
        );
        for d in [-1000, 0, 20_454, 20_800] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        assert!((exp(1.0) - std::f64::consts::E).abs() < 1e-12);
        assert!((exp(-2.5) - 0.082_084_998_623_898_8).abs() < 1e-12);
    }
}
