//! The `migration` binary: `status` lists every migration, `down` and `fresh` need `--yes` (or a
//! "yes" typed at a terminal) and say what they did.

use std::process::{Command, Output};

fn run(db: &str, args: &[&str]) -> (bool, String, String) {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_migration"))
        .arg("--database-url")
        .arg(db)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn status_lists_and_destructive_commands_need_yes() {
    let dir = std::env::temp_dir().join(format!("artflow-migration-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.join("m.db").display());

    let (ok, out, err) = run(&db, &["status"]);
    assert!(ok, "{err}");
    assert!(
        out.lines().count() >= 3 && out.lines().all(|l| l.starts_with("pending ")),
        "{out}"
    );
    let (ok, out, _) = run(&db, &["up"]);
    assert!(
        ok && out.contains("applied m20261203_000001_create_store"),
        "{out}"
    );
    let (_, out, _) = run(&db, &["up"]);
    assert!(out.contains("already up to date"), "{out}");
    let (_, out, _) = run(&db, &["status"]);
    assert!(out.lines().all(|l| l.starts_with("applied ")), "{out}");
    let last = out
        .lines()
        .last()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned();

    // Without --yes and without a terminal: refused, nothing rolled back.
    let (ok, _, err) = run(&db, &["down"]);
    assert!(!ok && err.contains("--yes"), "{err}");
    let (ok, _, err) = run(&db, &["fresh"]);
    assert!(!ok && err.contains("--yes"), "{err}");
    let (_, out, _) = run(&db, &["status"]);
    assert!(out.lines().all(|l| l.starts_with("applied ")), "{out}");

    let (ok, out, err) = run(&db, &["down", "--yes"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), format!("rolled back {last}"));
    let (_, out, _) = run(&db, &["status"]);
    assert!(out.contains(&format!("pending  {last}")), "{out}");
    let (ok, out, err) = run(&db, &["fresh", "--yes"]);
    assert!(ok && out.contains("dropped every table"), "{out}{err}");
    assert!(out.contains(&last), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
