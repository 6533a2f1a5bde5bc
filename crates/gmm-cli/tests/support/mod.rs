//! Helpers shared by the binary's tests: running `gmm`, scratch directories, fixtures.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/");
pub const REAL_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/");
pub const REL_TOL: f64 = 1e-8;

pub fn gmm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gmm"))
        .args(args)
        .output()
        .expect("the gmm binary runs")
}

/// Runs `gmm` with `args` in the directory `dir`.
pub fn gmm_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gmm"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the gmm binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// A fresh directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gmm-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub fn data_path(dim: &str) -> String {
    format!("{FIXTURES}data/{dim}.csv")
}

pub fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

pub fn flat(v: &Value) -> Vec<f64> {
    match v {
        Value::Number(n) => vec![n.as_f64().unwrap()],
        Value::Array(a) => a.iter().flat_map(flat).collect(),
        other => panic!("not numeric: {other}"),
    }
}

pub fn rel_diff(ours: &[f64], theirs: &[f64]) -> f64 {
    assert_eq!(ours.len(), theirs.len(), "lengths differ");
    let scale = theirs.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    ours.iter()
        .zip(theirs)
        .map(|(a, b)| (a - b).abs() / b.abs().max(1e-3 * scale))
        .fold(0.0, f64::max)
}
