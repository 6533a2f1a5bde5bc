//! Helpers shared by the binary's tests: running `gmm`, scratch directories, fixtures.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

// Not every test binary uses every helper.
#[allow(unused_imports)]
pub use gmm_test_support::{
    FIXTURES_DIR, REAL_DATA_DIR, fixture_data_path, floats, max_error_relative_to_each, scratch_dir,
};

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

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

pub fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}
