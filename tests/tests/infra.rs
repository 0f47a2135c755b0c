//! The AWS deployment template passes the offline validation (`infra/validate.py`: the SAM
//! transform by aws-sam-translator, then cfn-lint on the CloudFormation it produces, then
//! artflow's own checks), and that validation rejects broken copies of it.
//!
//! Needs python3 with `aws-sam-translator` and `cfn-lint`; where they are missing the tests say
//! they were skipped, unless `ARTFLOW_REQUIRE_TOOLS=1` (CI) makes that a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

fn infra() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra")
}

fn template_text() -> String {
    std::fs::read_to_string(infra().join("template.yaml")).expect("read infra/template.yaml")
}

/// `true` when python3 can import both tools; otherwise says the test was skipped (or fails
/// when `ARTFLOW_REQUIRE_TOOLS=1`).
fn tools_present(test: &str) -> bool {
    let probe = Command::new("python3")
        .args(["-c", "import samtranslator, cfnlint"])
        .output();
    let missing = match probe {
        Ok(out) if out.status.success() => return true,
        // The last line of the traceback names the missing module.
        Ok(out) => String::from_utf8_lossy(&out.stderr)
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or("python3 failed")
            .trim()
            .to_owned(),
        Err(e) => format!("python3 cannot be run: {e}"),
    };
    let required = std::env::var("ARTFLOW_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{test}: ARTFLOW_REQUIRE_TOOLS=1 but the validation tools are missing \
         (pip install aws-sam-translator cfn-lint): {missing}"
    );
    eprintln!(
        "skipped {test}: python3 with aws-sam-translator and cfn-lint is needed \
         (pip install aws-sam-translator cfn-lint): {missing}"
    );
    false
}

fn validate(template: &Path) -> Output {
    Command::new("python3")
        .arg(infra().join("validate.py"))
        .arg(template)
        .output()
        .expect("run python3 infra/validate.py")
}

/// A copy of the template with `from` (which must occur exactly `count` times) replaced by `to`,
/// in its own temporary directory, removed on drop.
struct Broken {
    dir: PathBuf,
    file: PathBuf,
}

impl Broken {
    fn new(from: &str, to: &str, count: usize) -> Broken {
        static N: AtomicU32 = AtomicU32::new(0);
        let text = template_text();
        assert_eq!(
            text.matches(from).count(),
            count,
            "the template no longer contains {from:?} {count} time(s); update this test"
        );
        let dir = std::env::temp_dir().join(format!(
            "artflow-infra-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        let file = dir.join("template.yaml");
        std::fs::write(&file, text.replace(from, to)).expect("write the broken template");
        Broken { dir, file }
    }
}

impl Drop for Broken {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// Validates a broken copy and checks that it is refused with status 1 and `expected` in the
/// explanation.
fn assert_refused(test: &str, from: &str, to: &str, count: usize, expected: &[&str]) {
    if !tools_present(test) {
        return;
    }
    let broken = Broken::new(from, to, count);
    let out = validate(&broken.file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{test}: the broken template was not refused\nstdout: {}\nstderr: {stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
    for needle in expected {
        assert!(
            stderr.contains(needle),
            "{test}: the refusal does not mention {needle:?}:\n{stderr}"
        );
    }
}

#[test]
fn the_deployment_template_passes_offline_validation() {
    if !tools_present("the_deployment_template_passes_offline_validation") {
        return;
    }
    let out = validate(&infra().join("template.yaml"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "infra/template.yaml does not validate:\n{}{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("valid"), "{stdout}");
}

#[test]
fn a_misspelled_report_batch_item_failures_is_refused() {
    assert_refused(
        "a_misspelled_report_batch_item_failures_is_refused",
        "FunctionResponseTypes: [ReportBatchItemFailures]",
        "FunctionResponseTypes: [ReportBatchItemFailure]",
        1,
        &["ProcessorQueueSource", "'ReportBatchItemFailure'"],
    );
}

#[test]
fn a_dangling_ref_is_refused() {
    assert_refused(
        "a_dangling_ref_is_refused",
        "ARTFLOW_WEBHOOK_SECRET_ARN: !Ref WebhookSecret",
        "ARTFLOW_WEBHOOK_SECRET_ARN: !Ref WebhookSigningSecret",
        1,
        &["IngestFunction", "'WebhookSigningSecret'"],
    );
}

#[test]
fn an_unknown_sam_event_type_fails_the_transform() {
    assert_refused(
        "an_unknown_sam_event_type_fails_the_transform",
        "Type: HttpApi\n",
        "Type: HttpAPI\n",
        5,
        &["SAM transform", "HttpAPI"],
    );
}

#[test]
fn a_visibility_timeout_under_six_processor_timeouts_plus_the_window_is_refused() {
    // 900 s is more than six times 120 s, but not with the batching window's 300 s on top.
    assert_refused(
        "a_visibility_timeout_under_six_processor_timeouts_plus_the_window_is_refused",
        "QueueVisibilitySeconds: 1020",
        "QueueVisibilitySeconds: 900",
        1,
        &[
            "VisibilityTimeout 900 s",
            "plus the batching window 300 s",
            "ProcessorTimeoutSeconds=120",
        ],
    );
}

#[test]
fn unauthenticated_reads_are_refused() {
    assert_refused(
        "unauthenticated_reads_are_refused",
        "          ARTFLOW_READ_TOKEN_ARN: !If\n            - ReadsArePublic\n            - !Ref AWS::NoValue\n            - !If [HasReadTokenSecretArn, !Ref ReadTokenSecretArn, !Ref ReadTokenSecret]\n",
        "",
        1,
        &["ApiFunction: reads are unauthenticated"],
    );
}

#[test]
fn a_given_read_token_secret_left_unused_is_refused() {
    // With ReadTokenSecretArn given, the function would run without a token: public by mistake.
    assert_refused(
        "a_given_read_token_secret_left_unused_is_refused",
        "            - !If [HasReadTokenSecretArn, !Ref ReadTokenSecretArn, !Ref ReadTokenSecret]\n",
        "            - !If [HasReadTokenSecretArn, !Ref AWS::NoValue, !Ref ReadTokenSecret]\n",
        1,
        &[
            "ApiFunction: ARTFLOW_READ_TOKEN_ARN is None with PublicReads='false', ReadTokenSecretArn='arn:",
        ],
    );
}

#[test]
fn a_lookback_rule_that_admits_the_period_itself_is_refused() {
    assert_refused(
        "a_lookback_rule_that_admits_the_period_itself_is_refused",
        "\"13\", \"14\", \"15\"], !Ref ReconcileLookbackMinutes",
        "\"13\", \"14\"], !Ref ReconcileLookbackMinutes",
        1,
        &["Rules: admit ReconcileLookbackMinutes=15 with ReconcileEveryMinutes=15"],
    );
}

#[test]
fn a_function_without_an_errors_alarm_is_refused() {
    assert_refused(
        "a_function_without_an_errors_alarm_is_refused",
        "          Value: !Ref IngestFunction\n",
        "          Value: !Ref ProcessorFunction\n",
        1,
        &["IngestFunction: no alarm on its Errors metric"],
    );
}

#[test]
fn a_samconfig_that_builds_one_architecture_and_deploys_another_is_refused() {
    let test = "a_samconfig_that_builds_one_architecture_and_deploys_another_is_refused";
    if !tools_present(test) {
        return;
    }
    let text = std::fs::read_to_string(infra().join("samconfig.toml")).expect("read samconfig");
    let section = "[default.deploy.parameters]\n";
    assert_eq!(text.matches(section).count(), 1, "update this test");
    // What `sam deploy --guided` saves when x86_64 is answered: the deploy section only.
    let guided = text.replace(
        section,
        &format!("{section}parameter_overrides = \"Architecture=x86_64 VpcId=vpc-1\"\n"),
    );
    // The template unchanged, beside a samconfig as guided mode leaves it.
    let copy = Broken::new("Transform:", "Transform:", 1);
    let samconfig = copy.dir.join("samconfig.toml");
    std::fs::write(&samconfig, guided).expect("write samconfig");
    let out = Command::new("python3")
        .arg(infra().join("validate.py"))
        .arg(&copy.file)
        .arg("--samconfig")
        .arg(&samconfig)
        .output()
        .expect("run python3 infra/validate.py");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("builds Architecture=arm64 but deploys Architecture=x86_64"),
        "{stderr}"
    );
}

#[test]
fn dropping_report_batch_item_failures_is_refused() {
    assert_refused(
        "dropping_report_batch_item_failures_is_refused",
        "      FunctionResponseTypes: [ReportBatchItemFailures]\n",
        "",
        1,
        &["FunctionResponseTypes must contain ReportBatchItemFailures"],
    );
}
