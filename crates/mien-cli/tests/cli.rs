//! End-to-end tests of the `mien` binary on the real test media (`../shared/data/media`, skipped with a note when
//! absent) and on broken inputs made in a temporary folder.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use serde_json::Value;

fn mien() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mien"));
    c.env_remove("MIEN_LOG").env_remove("ORT_DYLIB_PATH").env_remove("MIEN_MODELS_DIR").env_remove("MIEN_DB");
    c
}

fn media() -> Option<PathBuf> {
    mien_testdata::media_dir()
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run mien");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "mien panicked: {stderr}");
    out
}

fn jsonl(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

fn analyze_one(path: &Path) -> Value {
    let out = run(mien().arg("analyze").arg(path));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = jsonl(&out);
    assert_eq!(rows.len(), 1);
    rows.into_iter().next().expect("one row")
}

#[test]
fn astronaut_is_one_positive_face() {
    let Some(m) = media() else { return };
    let r = analyze_one(&m.join("photos/skimage_astronaut.png"));
    assert_eq!(r["status"], "ok");
    assert_eq!(r["face_count"], 1);
    assert_eq!(r["label"], "positive");
    assert_eq!(r["smoothed_label"], "positive");
    assert_eq!(r["box"].as_array().expect("box").len(), 4);
}

#[test]
fn dogs_have_no_face_and_no_attitude() {
    let Some(m) = media() else { return };
    let r = analyze_one(&m.join("photos/dlib_dogs_noface.jpg"));
    assert_eq!(r["status"], "no_face");
    assert_eq!(r["face_count"], 0);
    assert!(r["label"].is_null() && r["attitude"].is_null() && r["box"].is_null());
}

#[test]
fn two_people_two_faces_one_primary() {
    let Some(m) = media() else { return };
    let r = analyze_one(&m.join("photos/fr_two_people.jpg"));
    assert_eq!(r["face_count"], 2);
    assert!(r["flags"].as_array().expect("flags").contains(&Value::from("multiple_faces")));
    // The primary face is the larger one, on the right (reference main_face = 1, box x1 ~ 778.6).
    let x1 = r["box"][0].as_f64().expect("x1");
    assert!((x1 - 778.6).abs() < 1.0, "{x1}");
}

#[test]
fn tears_of_steel_every_200ms() {
    let Some(m) = media() else { return };
    let out = run(mien()
        .args(["analyze", "--every", "200ms", "--format", "jsonl"])
        .arg(m.join("videos/zwm_clip_01_tears_of_steel.mp4")));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = jsonl(&out);
    assert_eq!(rows.len(), 50);
    let times: Vec<u64> = rows.iter().map(|r| r["t_ms"].as_u64().expect("t_ms")).collect();
    assert!(times.windows(2).all(|w| w[1] > w[0]) && times[0] == 0 && *times.last().expect("last") >= 9800);
    let with_face = rows.iter().filter(|r| r["status"] != "no_face").count();
    assert!(with_face >= 30, "only {with_face} of 50 samples have a face");
    for r in &rows {
        let has_face = r["status"] != "no_face";
        assert_eq!(has_face, !r["label"].is_null(), "label iff face: {r}");
        assert_eq!(has_face, !r["box"].is_null(), "box iff face: {r}");
    }
}

#[test]
fn caminandes_has_no_face_and_csv_works() {
    let Some(m) = media() else { return };
    let out = run(mien()
        .args(["analyze", "--every", "500ms", "--format", "csv"])
        .arg(m.join("videos/zwm_clip_02_caminandes_noface.mp4")));
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    assert!(lines.next().expect("header").starts_with("source,t_ms,status"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 20);
    assert!(rows.iter().all(|r| r.split(',').nth(2) == Some("no_face")), "{rows:?}");
}

#[test]
fn folder_input_and_output_file() {
    let Some(m) = media() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let out_file = tmp.path().join("out.jsonl");
    let out = run(mien().arg("analyze").arg(m.join("photos")).arg("-o").arg(&out_file));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let n = std::fs::read_to_string(&out_file).expect("read").lines().count();
    assert_eq!(n, std::fs::read_dir(m.join("photos")).expect("ls").count());
}

/// Each broken input gives a clear message and exit code 1, never a panic, with at most 1 GiB of address space.
#[test]
fn bad_inputs_fail_cleanly_with_bounded_memory() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut cases: Vec<(PathBuf, &str)> = Vec::new();
    let w = |name: &str, bytes: &[u8]| {
        let p = tmp.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        p
    };
    cases.push((w("empty.jpg", b""), "empty"));
    cases.push((
        w("random.jpg", &(0..4096u32).map(|i| (i.wrapping_mul(2654435761u32) >> 7) as u8).collect::<Vec<_>>()),
        "unrecognised image format",
    ));
    let png = mien_testdata::png_claiming(100_000, 100_000, true);
    cases.push((w("huge.png", &png), "exceeds the limit"));
    if let Some(m) = media() {
        let jpg = std::fs::read(m.join("photos/fr_obama.jpg")).expect("read");
        cases.push((w("truncated.jpg", &jpg[..jpg.len() / 3]), "could not be decoded"));
        let mp4 = std::fs::read(m.join("videos/zwm_clip_01_tears_of_steel.mp4")).expect("read");
        cases.push((w("truncated.mp4", &mp4[..mp4.len() / 2]), "video"));
    }
    for (path, expected) in &cases {
        let out = run(Command::new("sh").arg("-c").arg(format!(
            "ulimit -v 1048576; exec \"{}\" analyze \"{}\"",
            env!("CARGO_BIN_EXE_mien"),
            path.display()
        )));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {stderr}", path.display());
        assert!(stderr.contains(expected), "{}: expected `{expected}` in: {stderr}", path.display());
    }
}

#[test]
fn one_bad_file_does_not_lose_the_others() {
    let Some(m) = media() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let bad = tmp.path().join("bad.png");
    std::fs::write(&bad, b"\x89PNG broken").expect("write");
    let out = run(mien().arg("analyze").arg(&bad).arg(m.join("photos/skimage_astronaut.png")));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(jsonl(&out).len(), 1);
}

#[test]
fn missing_or_broken_model_is_a_setup_error() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let tmp = tempfile::tempdir().expect("tmp");
    for e in std::fs::read_dir(&src).expect("models") {
        let p = e.expect("entry").path();
        std::fs::copy(&p, tmp.path().join(p.file_name().expect("name"))).expect("copy");
    }
    let img = tmp.path().join("x.png");
    image::RgbImage::new(32, 32).save(&img).expect("png");

    std::fs::remove_file(tmp.path().join("attitude_mien_minixception_64gray.onnx")).expect("rm");
    let out = run(mien().arg("--models").arg(tmp.path()).arg("analyze").arg(&img));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("attitude_mien_minixception_64gray.onnx") && stderr.contains("is missing"), "{stderr}");
    let doctor = run(mien().arg("--models").arg(tmp.path()).arg("doctor"));
    assert_eq!(doctor.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&doctor.stdout).contains("MISSING"));

    std::fs::write(tmp.path().join("attitude_mien_minixception_64gray.onnx"), b"not an onnx model").expect("write");
    let out = run(mien().arg("--models").arg(tmp.path()).arg("analyze").arg(&img));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("could not be loaded"), "{stderr}");
}

#[test]
fn missing_runtime_says_what_to_run() {
    let tmp = tempfile::tempdir().expect("tmp");
    let img = tmp.path().join("x.png");
    image::RgbImage::new(32, 32).save(&img).expect("png");

    let out = run(mien().env("MIEN_NO_DEV_RUNTIME", "1").arg("analyze").arg(&img));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("ONNX Runtime was not found") && stderr.contains("provision.py runtime"), "{stderr}");

    let out = run(mien().env("ORT_DYLIB_PATH", tmp.path().join("nope.so")).arg("analyze").arg(&img));
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ORT_DYLIB_PATH"));

    let fake = tmp.path().join("libonnxruntime.so");
    std::fs::write(&fake, b"not a library").expect("write");
    let out = run(mien().arg("--ort-lib").arg(&fake).arg("doctor"));
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stdout).contains("could not be loaded"));
}

#[test]
fn doctor_reports_runtime_providers_and_models() {
    let out = run(mien().args(["doctor", "--json"]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(r["ok"], true);
    assert!(r["runtime"]["version"].as_str().expect("version").starts_with("1."));
    assert_eq!(r["runtime"]["active_provider"], "cpu");
    assert_eq!(r["models"].as_array().expect("models").len(), 5);
    // A GPU provider that this runtime lacks is reported with its reason, and the run goes on on the CPU.
    let out = run(mien().args(["--provider", "cuda", "doctor", "--json"]));
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    if r["runtime"]["available_providers"].as_array().expect("list").iter().all(|p| p != "cuda") {
        assert_eq!(r["runtime"]["requested_provider"], "cuda");
        assert_eq!(r["runtime"]["active_provider"], "cpu");
        assert!(r["runtime"]["fallback_reason"].as_str().expect("reason").contains("cuda"));
        assert!(out.status.success());
    }
}

fn with_db(db: &Path) -> Command {
    let mut c = mien();
    c.env("MIEN_DB", db).env("MIEN_ACTOR", "tester");
    c
}

/// `analyze --save` stores a session through the recorder; `sessions` lists, shows, exports (JSON and CSV, audited)
/// and erases it; the policy and consent rules hold from the command line too.
#[test]
fn save_list_show_export_delete() {
    let Some(m) = media() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let db = tmp.path().join("mien.db");
    let video = m.join("videos/zwm_clip_01_tears_of_steel.mp4");
    let secret = "CANDIDATE-SAVE-TEST-4471";

    // No jurisdiction chosen yet: interviews are refused, practice is fine.
    let out = run(with_db(&db).args(["analyze", "--save", "--candidate", secret]).arg(&video));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not allow interview analysis"));
    assert!(run(with_db(&db).args(["sessions", "policy", "--jurisdiction", "us_illinois"])).status.success());
    let out = run(with_db(&db).args(["analyze", "--save", "--candidate", secret, "--interviewer", "Alex"]).arg(&video));
    assert!(String::from_utf8_lossy(&out.stderr).contains("consent"), "interview without consent must fail");
    let out = run(with_db(&db)
        .args(["analyze", "--save", "--every", "500ms", "--candidate", secret, "--interviewer", "Alex"])
        .args(["--consent-method", "written", "--notice-version", "v1"])
        .arg(&video));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(jsonl(&out).len(), 20);

    let list = run(with_db(&db).args(["sessions", "list", "--json"]));
    let list: Value = serde_json::from_slice(&list.stdout).expect("json");
    let id = list[0]["id"].as_i64().expect("id");
    assert_eq!(list[0]["status"], "finished");
    assert_eq!(list[0]["sample_count"], 20);

    let show = run(with_db(&db).args(["sessions", "show", &id.to_string()]));
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(text.contains("face visible") && text.contains("not reliable indicators"), "{text}");

    let json_path = tmp.path().join("s.json");
    assert!(run(with_db(&db).args(["sessions", "export", &id.to_string(), "-o"]).arg(&json_path)).status.success());
    let export: Value = serde_json::from_str(&std::fs::read_to_string(&json_path).expect("read")).expect("valid JSON");
    assert_eq!(export["samples"].as_array().expect("samples").len(), 20);
    assert_eq!(export["session"]["candidate_ref"], secret);
    assert!(export["summary"]["overall"]["shares"].is_object());
    let csv = run(with_db(&db).args(["sessions", "export", &id.to_string(), "--format", "csv"]));
    assert_eq!(String::from_utf8_lossy(&csv.stdout).lines().count(), 21);

    assert!(run(with_db(&db).args(["sessions", "delete", &id.to_string()])).status.success());
    let bytes =
        [std::fs::read(&db).expect("db"), std::fs::read(tmp.path().join("mien.db-wal")).unwrap_or_default()].concat();
    assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "candidate reference survived deletion");
    let audit = run(with_db(&db).args(["sessions", "audit", "--verify"]));
    assert!(audit.status.success());
    let log = String::from_utf8_lossy(&audit.stdout);
    for action in ["policy", "consent", "create", "view", "export", "delete"] {
        assert!(log.contains(action), "audit log lacks {action}: {log}");
    }
}

#[test]
fn eval_reports_every_metric_as_json() {
    let Some(m) = media() else { return };
    let npz = m.join("../fer2013/fer2013_trainval.npz");
    if !npz.is_file() {
        eprintln!("SKIP: {} not found", npz.display());
        return;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let out = run(mien()
        .args(["eval"])
        .arg(&npz)
        .args(["--split", "publictest", "--labels", "ferplus", "--model", "mini-xception", "--limit", "300"])
        .args(["--format", "json", "--report"])
        .arg(tmp.path()));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(r["n"], 300);
    for key in ["accuracy", "macro_f1", "mcc", "kappa"] {
        let v = r[key].as_f64().unwrap_or_else(|| panic!("{key}"));
        assert!(v > 0.3 && v < 1.0, "{key} = {v}");
    }
    let c = r["confusion"].as_array().expect("confusion");
    assert_eq!(c.len(), 3);
    let total: u64 = c.iter().flat_map(|row| row.as_array().expect("row")).map(|v| v.as_u64().expect("count")).sum();
    assert_eq!(total, 300);
    assert!(r["dedup"]["n"].as_u64().expect("dedup n") < 300);
    let pngs = std::fs::read_dir(tmp.path()).expect("report").count();
    assert_eq!(pngs, 2, "confusion matrix images (all rows, dedup)");
}

#[test]
fn bench_reports_stages_and_memory() {
    let Some(m) = media() else { return };
    let out = run(mien().args(["bench", "--input"]).arg(m.join("videos/zwm_clip_01_tears_of_steel.mp4")).args([
        "--frames",
        "24",
        "--threads",
        "1,2",
        "--format",
        "json",
    ]));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: Value = serde_json::from_slice(&out.stdout).expect("json");
    let w = r["workloads"].as_array().expect("workloads");
    assert_eq!(w.len(), 5, "video + 2 sizes x 2 thread counts");
    for wl in w {
        assert!(wl["fps"].as_f64().expect("fps") > 0.0);
        for stage in ["decode", "detect", "crop", "classify", "smooth", "total"] {
            assert!(wl["latency"][stage]["p95_ms"].as_f64().is_some(), "{stage}");
        }
    }
    assert!(r["peak_rss_mb"].as_f64().expect("memory") > 10.0);
    assert!(r["model_load_ms"].as_f64().expect("load") > 0.0);
}
