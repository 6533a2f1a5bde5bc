//! Hostile files and the `gmm` command-line tool, which must never leave a partial output
//! file behind on error (the CSV reader's side is in `crates/gmm-io/tests/hostile_csv.rs`).
//! See docs/testing.md.

mod support;

use std::path::Path;
use std::process::Output;

use support::{gmm_in, scratch_dir};

/// The names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn assert_failed(out: &Output, what: &str) {
    assert!(!out.status.success(), "{what}: gmm succeeded");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error"), "{what}: stderr {stderr:?}");
    assert!(
        !stderr.contains("panicked"),
        "{what}: gmm panicked: {stderr}"
    );
}

const GOOD: &str = "0.1,0.2\n0.3,0.1\n5.0,5.2\n5.1,4.9\n0.2,0.0\n4.8,5.1\n";

/// The arguments of `gmm fit DATA --method METHOD -k 2 -o OUTPUT`.
fn fit_k2<'a>(data: &'a str, method: &'a str, output: &'a str) -> [&'a str; 8] {
    ["fit", data, "--method", method, "-k", "2", "-o", output]
}

const BAD_INPUTS: [(&str, &str); 5] = [
    ("ragged.csv", "1,2\n3\n"),
    ("text.csv", "1,2\n3,x\n"),
    ("nan.csv", "1,2\n3,nan\n"),
    ("empty.csv", ""),
    ("one.csv", "1,2\n"),
];

/// Fitting each bad file by either method fails and writes nothing.
fn assert_bad_data_writes_nothing(dir: &Path, before: &[String]) {
    for (name, _) in BAD_INPUTS {
        for method in ["em", "vb"] {
            let out = gmm_in(dir, &fit_k2(name, method, "model.json"));
            assert_failed(&out, &format!("fit {name} by {method}"));
            assert_eq!(listing(dir), before, "fit {name} by {method} left files");
        }
    }
}

/// Fitting good data with invalid parameters fails and writes nothing.
fn assert_bad_parameters_write_nothing(dir: &Path, before: &[String]) {
    for args in [
        &["-k", "0"][..],
        &["-k", "7"],
        &["-k", "2", "--tol", "-1"],
        &["-k", "2", "--reg-covar", "-1e-6"],
        &["-k", "2", "--reg-covar", "NaN"],
    ] {
        let mut all = vec!["fit", "good.csv", "--method", "em", "-o", "model.json"];
        all.extend_from_slice(args);
        let out = gmm_in(dir, &all);
        assert_failed(&out, &format!("{args:?}"));
        assert_eq!(listing(dir), before, "{args:?} left files");
    }
}

/// A good fit writes the model; a failing refit leaves it untouched. Returns the listing
/// with the model.
fn assert_failed_refit_keeps_the_model(dir: &Path, before: &[String]) -> Vec<String> {
    let out = gmm_in(dir, &fit_k2("good.csv", "em", "model.json"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = std::fs::read(dir.join("model.json")).unwrap();
    let out = gmm_in(dir, &fit_k2("ragged.csv", "vb", "model.json"));
    assert_failed(&out, "refit on bad data");
    assert_eq!(std::fs::read(dir.join("model.json")).unwrap(), written);
    let mut with_model = before.to_vec();
    with_model.push("model.json".into());
    with_model.sort();
    assert_eq!(listing(dir), with_model);
    with_model
}

#[test]
fn cli_fit_leaves_no_partial_output_on_error() {
    let dir = scratch_dir("hostile-fit");
    for (name, text) in BAD_INPUTS {
        std::fs::write(dir.join(name), text).unwrap();
    }
    std::fs::write(dir.join("good.csv"), GOOD).unwrap();
    let before = listing(&dir);
    assert_bad_data_writes_nothing(&dir, &before);
    assert_bad_parameters_write_nothing(&dir, &before);
    let with_model = assert_failed_refit_keeps_the_model(&dir, &before);
    // an output directory that does not exist
    let out = gmm_in(&dir, &fit_k2("good.csv", "em", "missing/model.json"));
    assert_failed(&out, "output into a missing directory");
    assert_eq!(listing(&dir), with_model);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cli_reading_bad_model_files_prints_nothing() {
    let dir = scratch_dir("hostile-model");
    std::fs::write(dir.join("good.csv"), GOOD).unwrap();
    let out = gmm_in(
        &dir,
        &[
            "fit",
            "good.csv",
            "--method",
            "em",
            "-k",
            "2",
            "-o",
            "model.json",
        ],
    );
    assert!(out.status.success());
    let text = std::fs::read_to_string(dir.join("model.json")).unwrap();
    let bad_models = [
        ("truncated.json", text[..text.len() / 2].to_string()),
        (
            "weights.json",
            r#"{"covariance_type": "full", "weights": [0.7, 0.7], "means": [[0, 0], [1, 1]], "covariances": [[[1, 0], [0, 1]], [[1, 0], [0, 1]]]}"#.into(),
        ),
        (
            "spd.json",
            r#"{"covariance_type": "full", "weights": [0.5, 0.5], "means": [[0, 0], [1, 1]], "covariances": [[[1, 2], [2, 1]], [[1, 0], [0, 1]]]}"#.into(),
        ),
        (
            "shape.json",
            r#"{"covariance_type": "full", "weights": [0.5, 0.5], "means": [[0, 0], [1]], "covariances": [[[1, 0], [0, 1]], [[1, 0], [0, 1]]]}"#.into(),
        ),
    ];
    for (name, body) in &bad_models {
        std::fs::write(dir.join(name), body).unwrap();
        for args in [
            vec!["predict", name, "good.csv"],
            vec!["predict", "--proba", name, "good.csv"],
            vec!["score", name, "good.csv"],
            vec!["sample", name, "-n", "5"],
        ] {
            let out = gmm_in(&dir, &args);
            assert_failed(&out, &format!("{args:?}"));
            assert!(
                out.stdout.is_empty(),
                "{args:?} printed {:?}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
    // data of the wrong dimension for the model
    std::fs::write(dir.join("three.csv"), "1,2,3\n4,5,6\n").unwrap();
    let out = gmm_in(&dir, &["predict", "model.json", "three.csv"]);
    assert_failed(&out, "predict with 3 columns");
    assert!(out.stdout.is_empty());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn cli_compare_writes_no_directory_on_error() {
    let dir = scratch_dir("hostile-compare");
    std::fs::write(dir.join("ragged.csv"), "1,2\n3\n").unwrap();
    std::fs::write(dir.join("good.csv"), GOOD).unwrap();
    for args in [
        vec!["compare", "ragged.csv", "-k", "2", "--out", "report"],
        vec!["compare", "good.csv", "-k", "9", "--out", "report"],
        vec!["select", "ragged.csv", "--out", "report"],
    ] {
        let out = gmm_in(&dir, &args);
        assert_failed(&out, &format!("{args:?}"));
        let report = dir.join("report");
        assert!(
            !report.exists() || listing(&report).is_empty(),
            "{args:?} left {:?}",
            listing(&report)
        );
        assert_eq!(listing(&dir), vec!["good.csv", "ragged.csv"], "{args:?}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A small file too wide for memory (3 rows of 40,000 columns, about 1 MB): every command
/// that would build D x D matrices is refused at once, exit status 1, with the amount and
/// what to do, and no output file; `--max-memory` sets the limit.
#[test]
fn a_file_too_wide_for_memory_is_refused_at_once() {
    let dir = scratch_dir("wide");
    let row = |r: usize| -> String {
        (0..40_000)
            .map(|j| ((r * 7 + j) % 13).to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let text = (0..3).map(row).collect::<Vec<_>>().join("\n");
    std::fs::write(dir.join("wide.csv"), text + "\n").unwrap();
    let start = std::time::Instant::now();
    for args in [
        &[
            "fit",
            "wide.csv",
            "--method",
            "em",
            "-k",
            "1",
            "-o",
            "m.json",
            "--max-memory",
            "8GB",
        ][..],
        &[
            "fit",
            "wide.csv",
            "--method",
            "vb",
            "-k",
            "1",
            "--covariance",
            "tied",
            "-o",
            "m.json",
        ],
        &["compare", "wide.csv", "-k", "1", "--max-memory", "8GB"],
    ] {
        let out = gmm_in(&dir, args);
        assert_failed(&out, &args.join(" "));
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("needs about") && stderr.contains("GB"),
            "{stderr}"
        );
        assert_eq!(listing(&dir), ["wide.csv"], "{args:?}");
    }
    assert!(
        start.elapsed().as_secs_f64() < 5.0,
        "the refusals must come at once"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Runs `gmm args` in `dir` with `input` on its standard input.
fn gmm_piped(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_gmm"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the gmm binary runs");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // a gmm that stops reading early closes the pipe: not the writer's failure
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

#[cfg(unix)]
#[test]
fn a_pipe_is_read_once_or_refused_for_a_streamed_fit() {
    let dir = scratch_dir("cli-hostile-pipe");
    // more than a reader's 64 KB buffer, so that reading it again would see only the rest
    let mut text = String::from("x,y\n");
    for i in 0..20_000 {
        let (a, b) = if i % 2 == 0 { (0.1, 0.2) } else { (5.0, 5.1) };
        text.push_str(&format!(
            "{},{}\n",
            a + (i % 7) as f64 * 0.01,
            b - (i % 5) as f64 * 0.01
        ));
    }
    std::fs::write(dir.join("x.csv"), &text).unwrap();
    let fit = |data: &str, out: &str, stream: bool| {
        let mut args = vec![
            "fit", data, "--method", "em", "-k", "2", "--seed", "1", "-o", out,
        ];
        if stream {
            args.push("--stream");
        }
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    fn refs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    support::ok(gmm_in(&dir, &refs(&fit("x.csv", "file.json", false))));
    let out = gmm_piped(
        &dir,
        &refs(&fit("/dev/stdin", "pipe.json", false)),
        text.as_bytes(),
    );
    support::ok(out);
    assert_eq!(
        std::fs::read(dir.join("file.json")).unwrap(),
        std::fs::read(dir.join("pipe.json")).unwrap(),
        "the model of the pipe differs from the model of the file"
    );

    // predict on a pipe, in memory and streamed: the labels of the file
    let want = support::ok(gmm_in(&dir, &["predict", "file.json", "x.csv"]));
    for stream in [false, true] {
        let mut args = vec!["predict", "file.json", "/dev/stdin"];
        if stream {
            args.push("--stream");
        }
        let got = support::ok(gmm_piped(&dir, &args, text.as_bytes()));
        assert_eq!(got, want, "predict on a pipe (stream {stream})");
    }

    // a streamed fit needs the data once per iteration: refused at once, nothing written
    let before = listing(&dir);
    let out = gmm_piped(
        &dir,
        &refs(&fit("/dev/stdin", "streamed.json", true)),
        text.as_bytes(),
    );
    assert_failed(&out, "fit --stream on a pipe");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is a pipe") && stderr.contains("save it to a file first"),
        "{stderr}"
    );
    assert_eq!(listing(&dir), before);
    std::fs::remove_dir_all(&dir).ok();
}

/// Starts `gmm sample MODEL -n 100000000 -o out.npy` (written block by block), sends
/// `signal` once its temporary file exists, and returns the exit code.
#[cfg(unix)]
fn interrupted_sample(dir: &Path, signal: &str) -> Option<i32> {
    use std::time::{Duration, Instant};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gmm"))
        .args(["sample", "model.json", "-n", "100000000", "-o", "out.npy"])
        .current_dir(dir)
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !listing(dir).iter().any(|n| n.starts_with(".out.npy.")) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no temporary file appeared: {:?}",
            listing(dir)
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "gmm sample ended early"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(50));
    let killed = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait().unwrap().code()
}

/// SIGINT (Ctrl-C) and SIGTERM during a streamed write remove its temporary file: exit
/// 130 / 143, no `out.npy`, no `.out.npy.*.tmp`.
#[cfg(unix)]
#[test]
fn a_signal_during_a_streamed_write_leaves_no_temporary_file() {
    let dir = scratch_dir("hostile-signal");
    std::fs::write(dir.join("data.csv"), GOOD).unwrap();
    let fit = gmm_in(&dir, &fit_k2("data.csv", "em", "model.json"));
    assert!(fit.status.success(), "{fit:?}");
    let before = listing(&dir);
    for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
        assert_eq!(interrupted_sample(&dir, signal), Some(code), "{signal}");
        assert_eq!(listing(&dir), before, "{signal} left files");
    }
}

/// A sparse .npy whose header claims 1e9 x 8 values (64 GB, no disk use): a fit read
/// in memory under `--max-memory 100MB` is refused at once from the header, naming the
/// file and `--stream`, and writes nothing (issue 22, item 3).
#[test]
fn a_sparse_npy_larger_than_the_limit_is_refused_before_it_is_read() {
    let dir = scratch_dir("sparse-npy");
    sparse_npy(&dir.join("huge.npy"), 1_000_000_000, 8);
    let start = std::time::Instant::now();
    let args = [
        "fit",
        "huge.npy",
        "--method",
        "em",
        "-k",
        "2",
        "-o",
        "m.json",
        "--max-memory",
        "100MB",
    ];
    let out = gmm_in(&dir, &args);
    assert_failed(&out, &args.join(" "));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("huge.npy") && stderr.contains("--stream") && stderr.contains("64.0 GB"),
        "{stderr}"
    );
    assert_eq!(listing(&dir), ["huge.npy"]);
    assert!(start.elapsed().as_secs_f64() < 5.0, "refused at once");
    std::fs::remove_dir_all(&dir).ok();
}

/// Model files and side files read whole are bounded (issue 22, item 4): `/dev/zero`, a FIFO
/// nobody writes to, and a sparse file over `gmm_core::MAX_SIDE_FILE_BYTES` as the model, the
/// `--init-model`, `--init-means` or `--covariance-prior` are refused at once, naming the
/// file, with nothing written.
#[cfg(unix)]
#[test]
fn unbounded_model_and_side_files_are_refused_at_once() {
    let dir = scratch_dir("unbounded-side");
    std::fs::write(dir.join("good.csv"), GOOD).unwrap();
    let fifo = dir.join("pipe.json");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let big = std::fs::File::create(dir.join("big.json")).unwrap();
    big.set_len(gmm_core::MAX_SIDE_FILE_BYTES + 1).unwrap();
    let start = std::time::Instant::now();
    for (file, shown) in [
        ("/dev/zero", "a character device"),
        ("pipe.json", "a pipe"),
        ("big.json", "larger than"),
    ] {
        for args in [
            vec!["predict", file, "good.csv"],
            vec!["score", file, "good.csv"],
            vec!["sample", file, "-n", "5"],
            vec![
                "fit",
                "good.csv",
                "--method",
                "em",
                "--init-model",
                file,
                "-o",
                "m.json",
            ],
            vec![
                "fit",
                "good.csv",
                "--method",
                "em",
                "-k",
                "2",
                "--init-means",
                file,
                "-o",
                "m.json",
            ],
            vec![
                "fit",
                "good.csv",
                "-k",
                "2",
                "--method",
                "vb",
                "--covariance-prior",
                file,
                "-o",
                "m.json",
            ],
        ] {
            let out = gmm_in(&dir, &args);
            assert_failed(&out, &format!("{args:?}"));
            let stderr = String::from_utf8_lossy(&out.stderr);
            let name = file.trim_start_matches("/dev/");
            assert!(
                stderr.contains(name) && stderr.contains(shown),
                "{args:?}: {stderr}"
            );
            assert!(out.stdout.is_empty(), "{args:?}");
            assert!(!dir.join("m.json").exists(), "{args:?}");
        }
    }
    assert!(start.elapsed().as_secs_f64() < 20.0, "refused at once");
    std::fs::remove_dir_all(&dir).ok();
}

/// The magic, version 1.0 and header of a C-order `<f8` .npy array of `rows` x `columns`
/// (128 bytes, the data then aligned as NumPy aligns it).
fn npy_header(rows: u64, columns: u64) -> Vec<u8> {
    let header =
        format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows}, {columns}), }}");
    let header = format!("{header:<117}\n");
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes
}

/// A sparse .npy file at `path` whose header claims `rows` x `columns` f8 values: the
/// length is set, no disk is used.
fn sparse_npy(path: &Path, rows: u64, columns: u64) {
    let header = npy_header(rows, columns);
    let file = std::fs::File::create(path).unwrap();
    std::io::Write::write_all(&mut &file, &header).unwrap();
    file.set_len(header.len() as u64 + rows * columns * 8)
        .unwrap();
}

/// A .npy file of `rows` x 2 little-endian f8 values.
fn npy_bytes(rows: &[[f64; 2]]) -> Vec<u8> {
    let mut bytes = npy_header(rows.len() as u64, 2);
    for v in rows.iter().flatten() {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes
}

/// Issue 22, item 12: every message names the file, counts lines and rows from 1, gives the
/// advice that fits the cause, and prints control characters escaped.
#[test]
fn messages_name_the_file_count_from_one_and_escape_control_characters() {
    let dir = scratch_dir("messages");
    std::fs::write(dir.join("good.csv"), GOOD).unwrap();
    let mut rows = [[0.5, 1.0]; 8];
    rows[5][1] = f64::NAN;
    std::fs::write(dir.join("nan.npy"), npy_bytes(&rows)).unwrap();
    std::fs::write(dir.join("empty.npy"), npy_bytes(&[])).unwrap();
    std::fs::write(dir.join("w.txt"), "1\n1\n1\n-1\n1\n1\n").unwrap();
    std::fs::write(dir.join("semi.csv"), "x;y\n0.5;1.5\n2;3\n").unwrap();
    let weird = "bad\nname\u{1b}[31m.csv";
    std::fs::write(dir.join(weird), "x,y\n1,2\nfoo,3\n").unwrap();
    let fit = |data: &str, extra: &[&str]| {
        let mut args = vec!["fit", data, "--method", "em", "-k", "2", "-o", "m.json"];
        args.extend_from_slice(extra);
        gmm_in(&dir, &args)
    };
    let cases: Vec<(Output, &str, Vec<&str>)> = vec![
        (
            fit("nan.npy", &[]),
            "nan.npy: data row 6",
            vec!["nan.npy (data row 6)", "column 2 is NaN"],
        ),
        (
            fit("empty.npy", &[]),
            "empty .npy",
            vec!["empty.npy (header)", "holds no points"],
        ),
        (
            fit("good.csv", &["--weights", "w.txt"]),
            "negative weight",
            vec!["w.txt: line 4, column 1", "the weight -1 is negative"],
        ),
        (
            fit("semi.csv", &[]),
            "';'-separated",
            vec!["semi.csv: line 2", "';'-separated", "tr ';' ','"],
        ),
        (
            fit(weird, &[]),
            "control characters",
            vec!["bad\\nname\\u{1b}[31m.csv: line 3, column 1"],
        ),
        (
            fit("good.csv", &["--max-memory", "99999999999TB"]),
            "huge --max-memory",
            vec!["more than any machine's memory"],
        ),
        (
            fit("good.csv", &["--weights", "/dev/zero"]),
            "/dev/zero as weights",
            vec!["/dev/zero"],
        ),
    ];
    // the model that predict reads
    assert!(fit("good.csv", &[]).status.success());
    std::fs::rename(dir.join("m.json"), dir.join("model.json")).unwrap();
    for (out, what, needles) in cases {
        check_message(&out, what, &needles);
    }
    let out = gmm_in(&dir, &["predict", "model.json", "nan.npy"]);
    check_message(
        &out,
        "predict nan.npy",
        &["nan.npy (data row 6)", "column 2 is NaN"],
    );
    assert!(!dir.join("m.json").exists());
    std::fs::remove_dir_all(&dir).ok();
}

/// Asserts a failure whose first line of stderr (the error) holds every needle; a raw
/// newline or escape in a file name would break that line.
fn check_message(out: &Output, what: &str, needles: &[&str]) {
    assert_failed(out, what);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let first = stderr.lines().next().unwrap_or("");
    for needle in needles {
        assert!(
            first.contains(needle),
            "{what}: {stderr:?} lacks {needle:?}"
        );
    }
    assert!(
        !first.chars().any(char::is_control),
        "{what}: raw control characters in {stderr:?}"
    );
}

/// Model files a user may meet: a byte-order mark is read, version 0 and a damaged
/// covariance are named as what they are.
#[test]
fn model_files_with_a_bom_version_zero_or_a_damaged_covariance() {
    let dir = scratch_dir("model-messages");
    std::fs::write(dir.join("good.csv"), GOOD).unwrap();
    let out = gmm_in(&dir, &fit_k2("good.csv", "em", "m.json"));
    assert!(out.status.success());
    let text = std::fs::read_to_string(dir.join("m.json")).unwrap();
    std::fs::write(dir.join("bom.json"), format!("\u{feff}{text}")).unwrap();
    let mut v0: serde_json::Value = serde_json::from_str(&text).unwrap();
    v0["format_version"] = 0.into();
    std::fs::write(dir.join("v0.json"), v0.to_string()).unwrap();
    let mut damaged: serde_json::Value = serde_json::from_str(&text).unwrap();
    damaged["covariances"][0] = serde_json::json!([[1.0, 2.0], [2.0, 1.0]]);
    std::fs::write(dir.join("damaged.json"), damaged.to_string()).unwrap();

    let plain = gmm_in(&dir, &["predict", "m.json", "good.csv"]);
    let bom = gmm_in(&dir, &["predict", "bom.json", "good.csv"]);
    assert!(
        bom.status.success(),
        "{}",
        String::from_utf8_lossy(&bom.stderr)
    );
    assert_eq!(bom.stdout, plain.stdout);
    let out = gmm_in(&dir, &["predict", "v0.json", "good.csv"]);
    check_message(&out, "version 0", &["v0.json", "no gmm writes version 0"]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("newer"));
    let out = gmm_in(&dir, &["score", "damaged.json", "good.csv"]);
    check_message(
        &out,
        "damaged",
        &[
            "damaged.json",
            "component 0 is not symmetric positive definite",
            "damaged or edited",
        ],
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("reg-covar"));
    std::fs::remove_dir_all(&dir).ok();
}

/// Runs `gmm args` in `dir` under a virtual-memory limit of `kib` KiB (`ulimit -v`).
fn gmm_limited(dir: &Path, kib: u64, args: &[&str]) -> Output {
    std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_gmm"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Issue 22, item 10: memory the machine refuses (a --max-memory beyond what it can give)
/// ends in exit status 1 with the limit named, never an abort; `gmm sample` to CSV holds
/// one block of points, whatever -n.
#[test]
fn refused_memory_exits_one_and_sample_holds_one_block() {
    let dir = scratch_dir("refused-memory");
    // a sparse .npy of 16e6 x 4 f8 values (512 MB, no disk used), read in memory under a
    // 300 MB address space with --max-memory 100TB: the allocation fails
    sparse_npy(&dir.join("big.npy"), 16_000_000, 4);
    let args = [
        "fit",
        "big.npy",
        "--method",
        "em",
        "-k",
        "2",
        "--max-memory",
        "100TB",
        "-o",
        "m.json",
    ];
    let out = gmm_limited(&dir, 300_000, &args);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the machine refused") && stderr.contains("--max-memory 100.0 TB"),
        "{stderr}"
    );
    assert!(!dir.join("m.json").exists());
    assert_eq!(listing(&dir), ["big.npy"]);

    // 2e6 points of 2-D printed as CSV in 250 MB of address space (the whole sample and
    // its text took about 300 MB before)
    std::fs::write(dir.join("good.csv"), GOOD).unwrap();
    assert!(
        gmm_in(&dir, &fit_k2("good.csv", "em", "model.json"))
            .status
            .success()
    );
    let args = ["sample", "model.json", "-n", "2000000", "-o", "sample.csv"];
    let out = gmm_limited(&dir, 250_000, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.join("sample.csv")).unwrap();
    assert_eq!(text.lines().count(), 2_000_001);
    std::fs::remove_dir_all(&dir).ok();
}
