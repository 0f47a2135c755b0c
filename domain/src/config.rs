//! The pipeline configuration: which ARTs exist and how each measures lead time.
//!
//! The TOML format is a contract (DESIGN.md, "Configuration"): `[[art]]` entries with their
//! `[[art.pipeline]]` configurations. Unknown keys are refused, so a misspelt key is an error that
//! names it rather than a setting silently ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A configuration file that cannot be used; the message names the entry and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {problem}")]
pub struct ConfigError {
    pub source_name: String,
    pub problem: String,
}

/// All ARTs of a configuration file, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub arts: Vec<Art>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Art {
    /// Short and unique; used in URLs.
    pub abbreviation: String,
    pub name: String,
    pub program_key: String,
    pub team_key: Option<String>,
    pub pipelines: Vec<Pipeline>,
}

impl Art {
    /// Whether an issue of this Jira project belongs to the ART.
    pub fn owns_project(&self, project_key: &str) -> bool {
        owns_project(&self.program_key, self.team_key.as_deref(), project_key)
    }
}

/// Whether an issue of `project_key` belongs to the ART with these program and team keys
/// (case-insensitively).
pub fn owns_project(program_key: &str, team_key: Option<&str>, project_key: &str) -> bool {
    program_key.eq_ignore_ascii_case(project_key)
        || team_key.is_some_and(|k| k.eq_ignore_ascii_case(project_key))
}

/// One way of measuring an ART's lead time.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// Unique across all ARTs.
    pub code: String,
    pub name: String,
    pub spec: PipelineSpec,
}

/// What a pipeline configuration computes: when this changes, its figures are recomputed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_types: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_lead_time_days: Option<f64>,
    /// Resolutions (case-insensitive names, e.g. "Won't Do", "Duplicate") whose issues are
    /// cancelled: no lead time, no throughput, counted as cancelled in the distribution.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_resolutions: Option<Vec<String>>,
    pub rule: Rule,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    /// Start and end are the values of two date fields of the issue (the old job's rule).
    Field {
        start_field: String,
        end_field: String,
    },
    /// Start and end come from the issue's status transitions.
    Status(StatusRule),
}

impl Rule {
    pub fn name(&self) -> &'static str {
        match self {
            Rule::Field { .. } => "field",
            Rule::Status(_) => "status",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusRule {
    /// Ordered stages; statuses match case-insensitively.
    pub stages: Vec<String>,
    pub start: String,
    pub done: Vec<String>,
    #[serde(default)]
    pub active: Vec<String>,
    /// Jira status ids that map to a stage (by index), so that a renamed status keeps matching.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stage_ids: BTreeMap<String, usize>,
    /// The clock restarts when an issue goes back before the start stage, and the entries before
    /// are forgotten (the ActionableAgile and jira-agile-metrics convention).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub restart_on_uncommit: bool,
}

impl StatusRule {
    /// The index of a status among the stages, case-insensitively; `None` when unmapped.
    pub fn stage_of(&self, status: &str) -> Option<usize> {
        let s = status.trim();
        self.stages.iter().position(|st| st.eq_ignore_ascii_case(s))
    }

    /// The stage of a status seen in Jira: by its id where the configuration lists it, else by
    /// its name.
    pub fn stage_of_status(&self, name: Option<&str>, id: Option<&str>) -> Option<usize> {
        id.and_then(|id| self.stage_ids.get(id.trim()).copied())
            .or_else(|| name.and_then(|n| self.stage_of(n)))
    }
}

impl PipelineSpec {
    /// Whether the configuration covers an issue of this type (all types when none are listed).
    pub fn covers_type(&self, issue_type: Option<&str>) -> bool {
        match &self.issue_types {
            None => true,
            Some(types) => {
                issue_type.is_some_and(|t| types.iter().any(|x| x.eq_ignore_ascii_case(t.trim())))
            }
        }
    }

    /// Whether the rule has active stages, i.e. whether flow efficiency means anything.
    pub fn has_active_stages(&self) -> bool {
        matches!(&self.rule, Rule::Status(s) if !s.active.is_empty())
    }
}

/// A pipeline configuration in the shape of its `[[art.pipeline]]` table in the TOML file (what
/// `GET /configs` shows): `rule = "status"` or `"field"` beside the rule's own keys, a stage given
/// by id as `{ name, id }` (one id) or `{ name, ids }` (several, in string order), the keys left
/// out of the file left out (`active` when empty, `restart_on_uncommit` when false). Ids are
/// strings, as Jira sends them. Parsing it back gives the same configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PipelineAsWritten<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub rule: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_types: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_lead_time_days: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude_resolutions: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_field: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stages: Option<Vec<StageAsWritten<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_on_uncommit: Option<bool>,
}

/// A stage as written: its name, or a table with its Jira status id(s).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum StageAsWritten<'a> {
    Name(&'a str),
    Id { name: &'a str, id: String },
    Ids { name: &'a str, ids: Vec<String> },
}

impl PipelineSpec {
    /// The configuration as its TOML table is written (see [`PipelineAsWritten`]).
    pub fn as_written<'a>(&'a self, code: &'a str, name: &'a str) -> PipelineAsWritten<'a> {
        let mut out = PipelineAsWritten {
            code,
            name,
            rule: self.rule.name(),
            issue_types: self.issue_types.as_deref(),
            min_lead_time_days: self.min_lead_time_days,
            exclude_resolutions: self.exclude_resolutions.as_deref(),
            start_field: None,
            end_field: None,
            stages: None,
            start: None,
            done: None,
            active: None,
            restart_on_uncommit: None,
        };
        match &self.rule {
            Rule::Field {
                start_field,
                end_field,
            } => {
                out.start_field = Some(start_field);
                out.end_field = Some(end_field);
            }
            Rule::Status(s) => {
                let stages = s
                    .stages
                    .iter()
                    .enumerate()
                    .map(|(i, name)| {
                        let mut ids: Vec<String> = s
                            .stage_ids
                            .iter()
                            .filter(|(_, stage)| **stage == i)
                            .map(|(id, _)| id.clone())
                            .collect();
                        match ids.len() {
                            0 => StageAsWritten::Name(name),
                            1 => StageAsWritten::Id {
                                name,
                                id: ids.remove(0),
                            },
                            _ => StageAsWritten::Ids { name, ids },
                        }
                    })
                    .collect();
                out.stages = Some(stages);
                out.start = Some(&s.start);
                out.done = Some(&s.done);
                out.active = (!s.active.is_empty()).then_some(s.active.as_slice());
                out.restart_on_uncommit = s.restart_on_uncommit.then_some(true);
            }
        }
        out
    }
}

// ---- the file format -------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileToml {
    #[serde(default)]
    art: Vec<ArtToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArtToml {
    abbreviation: String,
    name: String,
    jira_program_key: String,
    jira_team_key: Option<String>,
    #[serde(default)]
    pipeline: Vec<PipelineToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PipelineToml {
    code: String,
    name: String,
    rule: String,
    issue_types: Option<Vec<String>>,
    min_lead_time_days: Option<f64>,
    exclude_resolutions: Option<Vec<String>>,
    start_field: Option<String>,
    end_field: Option<String>,
    stages: Option<Vec<StageToml>>,
    start: Option<String>,
    done: Option<Vec<String>>,
    active: Option<Vec<String>>,
    restart_on_uncommit: Option<bool>,
}

/// A stage: its status name, or `{ name = "Analyzing", id = "10001" }` (or `ids = [...]`) so
/// that the status matches by its Jira id too, and keeps matching when it is renamed.
enum StageToml {
    Name(String),
    Status(StageTable),
}

impl<'de> Deserialize<'de> for StageToml {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = StageToml;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a status name, or a table { name = \"...\", id = \"...\" }")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<StageToml, E> {
                Ok(StageToml::Name(v.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<StageToml, A::Error> {
                StageTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(StageToml::Status)
            }
        }
        d.deserialize_any(Visit)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StageTable {
    name: String,
    id: Option<StatusId>,
    #[serde(default)]
    ids: Vec<StatusId>,
}

/// A Jira status id, written as a string or a number.
#[derive(Deserialize)]
#[serde(untagged)]
enum StatusId {
    Text(String),
    Number(u64),
}

impl StatusId {
    fn text(self) -> String {
        match self {
            StatusId::Text(s) => s.trim().to_owned(),
            StatusId::Number(n) => n.to_string(),
        }
    }
}

/// Reads and validates a configuration; `source_name` (the file's path) heads every error.
pub fn parse_config(source_name: &str, text: &str) -> Result<Config, ConfigError> {
    let err = |problem: String| ConfigError {
        source_name: source_name.to_owned(),
        problem,
    };
    let file: FileToml = toml::from_str(text).map_err(|e| err(e.to_string().trim().to_owned()))?;
    if file.art.is_empty() {
        return Err(err("no [[art]] entry: nothing to measure".into()));
    }
    let mut arts = Vec::with_capacity(file.art.len());
    for (i, a) in file.art.into_iter().enumerate() {
        let art = validate_art(a).map_err(|p| err(format!("[[art]] #{}: {p}", i + 1)))?;
        arts.push(art);
    }
    check_unique(&arts).map_err(err)?;
    Ok(Config { arts })
}

fn required(what: &str, v: String) -> Result<String, String> {
    let t = v.trim();
    if t.is_empty() {
        Err(format!("`{what}` is empty"))
    } else {
        Ok(t.to_owned())
    }
}

fn validate_art(a: ArtToml) -> Result<Art, String> {
    let abbreviation = required("abbreviation", a.abbreviation)?;
    if !abbreviation
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(format!(
            "abbreviation {abbreviation:?} may hold only ASCII letters (A-Z, a-z), digits, '-' and '_' (it is used in URLs)"
        ));
    }
    let ctx = format!("(ART {abbreviation})");
    let name = required("name", a.name).map_err(|e| format!("{ctx} {e}"))?;
    let program_key =
        required("jira_program_key", a.jira_program_key).map_err(|e| format!("{ctx} {e}"))?;
    let team_key = match a.jira_team_key {
        Some(k) => Some(required("jira_team_key", k).map_err(|e| format!("{ctx} {e}"))?),
        None => None,
    };
    let mut pipelines = Vec::with_capacity(a.pipeline.len());
    for (j, p) in a.pipeline.into_iter().enumerate() {
        let code = p.code.trim().to_owned();
        let pipeline = validate_pipeline(p).map_err(|e| {
            if code.is_empty() {
                format!("{ctx} [[art.pipeline]] #{}: {e}", j + 1)
            } else {
                format!("{ctx} pipeline {code}: {e}")
            }
        })?;
        pipelines.push(pipeline);
    }
    Ok(Art {
        abbreviation,
        name,
        program_key,
        team_key,
        pipelines,
    })
}

fn validate_pipeline(p: PipelineToml) -> Result<Pipeline, String> {
    let code = required("code", p.code)?;
    let name = required("name", p.name)?;
    if let Some(n) = p.min_lead_time_days
        && !(n.is_finite() && n >= 0.0)
    {
        return Err(format!(
            "`min_lead_time_days` must be a number of days, 0 or more (got {n})"
        ));
    }
    let issue_types = match p.issue_types {
        Some(t) if t.is_empty() => {
            return Err("`issue_types` is empty: leave it out to cover every issue type".into());
        }
        Some(t) => Some(
            t.into_iter()
                .map(|x| required("issue_types", x))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let rule = match p.rule.trim() {
        "field" => {
            for (k, present) in [
                ("stages", p.stages.is_some()),
                ("start", p.start.is_some()),
                ("done", p.done.is_some()),
                ("active", p.active.is_some()),
                ("restart_on_uncommit", p.restart_on_uncommit.is_some()),
            ] {
                if present {
                    return Err(format!("`{k}` belongs to rule = \"status\", not \"field\""));
                }
            }
            if p.start_field.is_some() && p.start_field == p.end_field {
                return Err("`start_field` and `end_field` are the same field".into());
            }
            Rule::Field {
                start_field: required(
                    "start_field",
                    p.start_field
                        .ok_or("rule = \"field\" needs `start_field`")?,
                )?,
                end_field: required(
                    "end_field",
                    p.end_field.ok_or("rule = \"field\" needs `end_field`")?,
                )?,
            }
        }
        "status" => {
            for (k, present) in [
                ("start_field", p.start_field.is_some()),
                ("end_field", p.end_field.is_some()),
            ] {
                if present {
                    return Err(format!("`{k}` belongs to rule = \"field\", not \"status\""));
                }
            }
            let mut stages: Vec<String> = Vec::new();
            let mut stage_ids: BTreeMap<String, usize> = BTreeMap::new();
            for s in p.stages.ok_or("rule = \"status\" needs `stages`")? {
                let (name, ids) = match s {
                    StageToml::Name(n) => (n, Vec::new()),
                    StageToml::Status(t) => (t.name, t.id.into_iter().chain(t.ids).collect()),
                };
                let name = required("stages", name)?;
                for id in ids.into_iter().map(StatusId::text) {
                    if id.is_empty() {
                        return Err(format!("stage {name:?} has an empty status id"));
                    }
                    if let Some(&other) = stage_ids.get(&id) {
                        return Err(format!(
                            "status id {id:?} is given to stage {:?} and to stage {name:?}",
                            stages[other]
                        ));
                    }
                    stage_ids.insert(id, stages.len());
                }
                stages.push(name);
            }
            if stages.is_empty() {
                return Err("`stages` is empty".into());
            }
            for (i, s) in stages.iter().enumerate() {
                if stages[..i].iter().any(|x| x.eq_ignore_ascii_case(s)) {
                    return Err(format!("stage {s:?} is listed twice in `stages`"));
                }
            }
            let rule = StatusRule {
                start: p
                    .start
                    .ok_or("rule = \"status\" needs `start`")?
                    .trim()
                    .to_owned(),
                done: p.done.ok_or("rule = \"status\" needs `done`")?,
                active: p.active.unwrap_or_default(),
                stages,
                stage_ids,
                restart_on_uncommit: p.restart_on_uncommit.unwrap_or(false),
            };
            if rule.stage_of(&rule.start).is_none() {
                return Err(format!(
                    "`start` {:?} is not one of its `stages`",
                    rule.start
                ));
            }
            if rule.done.is_empty() {
                return Err("`done` is empty: nothing would ever finish".into());
            }
            for (what, list) in [("done", &rule.done), ("active", &rule.active)] {
                if let Some(s) = list.iter().find(|s| rule.stage_of(s).is_none()) {
                    return Err(format!("`{what}` status {s:?} is not one of its `stages`"));
                }
            }
            let start = rule.stage_of(&rule.start);
            if let Some(d) = rule.done.iter().find(|d| rule.stage_of(d) <= start) {
                return Err(format!(
                    "`done` status {d:?} is not after `start` {:?} in `stages`: list the done \
                     statuses after the start",
                    rule.start
                ));
            }
            Rule::Status(rule)
        }
        other => {
            return Err(format!(
                "`rule` is {other:?}; it must be \"field\" or \"status\""
            ));
        }
    };
    let exclude_resolutions = match p.exclude_resolutions {
        Some(r) if r.is_empty() => {
            return Err("`exclude_resolutions` is empty: leave it out to exclude nothing".into());
        }
        Some(r) => Some(
            r.into_iter()
                .map(|x| required("exclude_resolutions", x))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    Ok(Pipeline {
        code,
        name,
        spec: PipelineSpec {
            issue_types,
            min_lead_time_days: p.min_lead_time_days,
            exclude_resolutions,
            rule,
        },
    })
}

fn check_unique(arts: &[Art]) -> Result<(), String> {
    for (i, a) in arts.iter().enumerate() {
        for b in &arts[..i] {
            if a.abbreviation.eq_ignore_ascii_case(&b.abbreviation) {
                return Err(format!(
                    "ART abbreviation {:?} is used twice",
                    a.abbreviation
                ));
            }
            for key in std::iter::once(&a.program_key).chain(a.team_key.as_ref()) {
                if b.owns_project(key) {
                    return Err(format!(
                        "Jira project {key:?} is claimed by ART {} and ART {}",
                        b.abbreviation, a.abbreviation
                    ));
                }
            }
        }
        if a.team_key
            .as_ref()
            .is_some_and(|t| t.eq_ignore_ascii_case(&a.program_key))
        {
            return Err(format!(
                "ART {}: jira_team_key equals jira_program_key",
                a.abbreviation
            ));
        }
    }
    let codes: Vec<(&str, &str)> = arts
        .iter()
        .flat_map(|a| {
            a.pipelines
                .iter()
                .map(move |p| (p.code.as_str(), a.abbreviation.as_str()))
        })
        .collect();
    for (i, (code, art)) in codes.iter().enumerate() {
        if let Some((_, other)) = codes[..i]
            .iter()
            .find(|(c, _)| c.eq_ignore_ascii_case(code))
        {
            return Err(format!(
                "pipeline code {code:?} is used twice (ART {other} and ART {art}); codes are unique"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[art]]
abbreviation = "PAY"
name = "Payments"
jira_program_key = "PAY"
jira_team_key = "PAYT"

[[art.pipeline]]
code = "PAY-FIELDS"
name = "fields"
rule = "field"
issue_types = ["Feature"]
start_field = "customfield_10050"
end_field = "customfield_10051"
min_lead_time_days = 5

[[art.pipeline]]
code = "PAY-FLOW"
name = "statuses"
rule = "status"
stages = ["Funnel", "Analyzing", "Done"]
start = "analyzing"
done = ["Done"]
active = ["Analyzing"]
"#;

    #[test]
    fn reads_the_contract_format() {
        let c = parse_config("a.toml", GOOD).unwrap();
        assert_eq!(c.arts.len(), 1);
        let art = &c.arts[0];
        assert!(art.owns_project("PAYT") && art.owns_project("pay") && !art.owns_project("MOB"));
        assert_eq!(art.pipelines[0].spec.min_lead_time_days, Some(5.0));
        assert!(art.pipelines[0].spec.covers_type(Some("feature")));
        assert!(!art.pipelines[0].spec.covers_type(Some("Story")));
        assert!(!art.pipelines[0].spec.covers_type(None));
        assert!(art.pipelines[1].spec.has_active_stages());
        assert!(!art.pipelines[0].spec.has_active_stages());
    }

    fn problem(text: &str) -> String {
        parse_config("bad.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn bad_files_name_file_entry_and_problem() {
        let e = problem(&GOOD.replace("start = \"analyzing\"", "start = \"Analysing\""));
        assert!(e.starts_with("bad.toml: "), "{e}");
        assert!(
            e.contains("pipeline PAY-FLOW") && e.contains("\"Analysing\""),
            "{e}"
        );

        let e = problem(&GOOD.replace("rule = \"field\"", "rule = \"dates\""));
        assert!(e.contains("PAY-FIELDS") && e.contains("\"dates\""), "{e}");

        let e = problem(&GOOD.replace("active = [", "active_stages = ["));
        assert!(e.contains("active_stages"), "{e}");

        let e = problem(&GOOD.replace("PAY-FIELDS", "PAY-FLOW"));
        assert!(e.contains("used twice"), "{e}");

        let e = problem(&GOOD.replace("done = [\"Done\"]", "done = [\"Closed\"]"));
        assert!(e.contains("\"Closed\""), "{e}");

        let e = problem(&GOOD.replace("done = [\"Done\"]", "done = [\"Funnel\"]"));
        assert!(e.contains("not after `start`"), "{e}");

        let e = problem(&GOOD.replace("customfield_10051", "customfield_10050"));
        assert!(e.contains("the same field"), "{e}");

        let e = problem(&GOOD.replace("min_lead_time_days = 5", "min_lead_time_days = -1"));
        assert!(e.contains("min_lead_time_days"), "{e}");

        let e = problem("[[art]]\nabbreviation = \"X\"\n");
        assert!(e.contains("name"), "{e}");

        let e = problem("this is not toml");
        assert!(e.starts_with("bad.toml: "), "{e}");

        let e = problem(&format!(
            "{GOOD}\n[[art]]\nabbreviation = \"P2\"\nname = \"x\"\njira_program_key = \"PAYT\"\n"
        ));
        assert!(e.contains("\"PAYT\" is claimed"), "{e}");
    }

    #[test]
    fn a_pipeline_as_written_is_the_toml_shape_and_reads_back_the_same() {
        let text = GOOD.replace(
            "stages = [\"Funnel\", \"Analyzing\", \"Done\"]",
            "stages = [\"Funnel\", { name = \"Analyzing\", id = 10001 }, { name = \"Done\", ids = [\"3\", \"10002\"] }]\nrestart_on_uncommit = true\nexclude_resolutions = [\"Won't Do\"]",
        );
        let c = parse_config("a.toml", &text).unwrap();
        let [fields, flow] = &c.arts[0].pipelines[..] else {
            panic!("two pipelines")
        };
        let json =
            |p: &Pipeline| serde_json::to_value(p.spec.as_written(&p.code, &p.name)).unwrap();
        assert_eq!(
            json(flow),
            serde_json::json!({
                "code": "PAY-FLOW", "name": "statuses", "rule": "status",
                "exclude_resolutions": ["Won't Do"],
                "stages": ["Funnel", {"name": "Analyzing", "id": "10001"},
                           {"name": "Done", "ids": ["10002", "3"]}],
                "start": "analyzing", "done": ["Done"], "active": ["Analyzing"],
                "restart_on_uncommit": true,
            })
        );
        assert_eq!(
            json(fields),
            serde_json::json!({
                "code": "PAY-FIELDS", "name": "fields", "rule": "field",
                "issue_types": ["Feature"], "min_lead_time_days": 5.0,
                "start_field": "customfield_10050", "end_field": "customfield_10051",
            })
        );
        // Read back through the file format's own types: the same configuration.
        for p in [fields, flow] {
            let table: PipelineToml = serde_json::from_value(json(p)).unwrap();
            assert_eq!(&validate_pipeline(table).unwrap(), p);
        }
    }

    #[test]
    fn statuses_by_id_restart_and_exclusions() {
        let text = GOOD
            .replace(
                "stages = [\"Funnel\", \"Analyzing\", \"Done\"]",
                "stages = [\"Funnel\", { name = \"Analyzing\", id = 10001 }, { name = \"Done\", ids = [\"3\", \"10002\"] }]\nrestart_on_uncommit = true\nexclude_resolutions = [\"Won't Do\"]",
            );
        let c = parse_config("a.toml", &text).unwrap();
        let spec = &c.arts[0].pipelines[1].spec;
        let Rule::Status(rule) = &spec.rule else {
            panic!("a status rule")
        };
        assert!(rule.restart_on_uncommit);
        assert_eq!(spec.exclude_resolutions, Some(vec!["Won't Do".to_owned()]));
        assert_eq!(
            rule.stage_of_status(Some("Renamed"), Some("10001")),
            Some(1)
        );
        assert_eq!(rule.stage_of_status(Some("analyzing"), None), Some(1));
        assert_eq!(rule.stage_of_status(Some("Closed"), Some("3")), Some(2));
        assert_eq!(rule.stage_of_status(Some("Closed"), Some("99")), None);

        let e = problem(&text.replace("ids = [\"3\", \"10002\"]", "ids = [\"3\", \"10001\"]"));
        assert!(e.contains("status id \"10001\""), "{e}");
        let e = problem(&text.replace(
            "exclude_resolutions = [\"Won't Do\"]",
            "exclude_resolutions = []",
        ));
        assert!(e.contains("exclude_resolutions"), "{e}");
        let e = problem(&text.replace("id = 10001", "key = 10001"));
        assert!(e.contains("unknown field `key`"), "{e}");
        let e = problem(&GOOD.replace(
            "start_field = \"customfield_10050\"",
            "start_field = \"customfield_10050\"\nrestart_on_uncommit = true",
        ));
        assert!(e.contains("restart_on_uncommit"), "{e}");
    }

    #[test]
    fn spec_round_trips_through_json() {
        let c = parse_config("a.toml", GOOD).unwrap();
        for p in &c.arts[0].pipelines {
            let json = serde_json::to_string(&p.spec).unwrap();
            let back: PipelineSpec = serde_json::from_str(&json).unwrap();
            assert_eq!(back, p.spec);
        }
    }
}

#[cfg(test)]
mod example {
    #[test]
    fn the_documented_example_is_valid() {
        let text = include_str!("../../docs/example-artflow.toml");
        let c = super::parse_config("docs/example-artflow.toml", text).unwrap();
        assert_eq!(c.arts.len(), 2);
    }
}
