//! Golden tests: the Rust pipeline against the independent reference (`../shared/reference/goldens`), element by
//! element, with the tolerances of the reference's SPEC.md §8:
//!
//! | quantity | tolerance |
//! |---|---|
//! | number and order of detections, anchor, merged count, main face, crop rectangle | exact |
//! | detector input mean | 1e-6 |
//! | box and keypoint coordinates (px) | 0.01 |
//! | detector score | 1e-5 |
//! | classifier probabilities and attitude probabilities | 1e-4 |
//! | labels | exact where the top-2 margin is >= 0.01 |
//!
//! Inputs: the lossless PNG copies in `goldens/inputs/`, the media PNGs, and video frames extracted with the
//! `ffmpeg` program exactly as the goldens were (their decoded RGB sha256 is checked first).

mod common;

use std::{path::Path, process::Command};

use image::RgbImage;
use mien_core::ExpressionProbs;
use mien_vision::{
    crop::{CropRect, DEFAULT_MARGIN, crop, crop_rect},
    detection::{BLAZEFACE_BACK, BLAZEFACE_FRONT, BlazeFace, BlazeFaceSpec, FaceDetect, detector_input},
    expression::{FACEAPI, MINI_XCEPTION, OnnxClassifier},
    frame::{DecodeLimits, load_image},
    models::sha256_file,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

const BOX_TOL: f32 = 0.01;
const SCORE_TOL: f32 = 1e-5;
const PROB_TOL: f32 = 1e-4;
const LABEL_MARGIN: f64 = 0.01;

fn f(v: &Value) -> f32 {
    v.as_f64().expect("number") as f32
}

fn close(what: &str, got: f32, want: f32, tol: f32) {
    assert!((got - want).abs() <= tol, "{what}: got {got}, want {want} (tolerance {tol})");
}

fn rgb_sha(img: &RgbImage) -> String {
    Sha256::digest(img.as_raw()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The golden's input image, or `None` (with a note) when it cannot be produced here.
fn golden_input(shared: &Path, golden: &Value) -> Option<RgbImage> {
    let goldens = shared.join("reference/goldens");
    let image = &golden["image"];
    let png = goldens.join(image["input_png"].as_str().expect("input_png"));
    let source = image["source"].as_str().expect("source");
    let img = if png.is_file() {
        load_image(&png, &DecodeLimits::default()).expect("decode golden input")
    } else if source.ends_with(".png") && shared.join(source).is_file() {
        load_image(&shared.join(source), &DecodeLimits::default()).expect("decode media png")
    } else if let Some(video) = image["origin"]["video"].as_str() {
        let n = image["origin"]["frame_index"].as_u64().expect("frame_index");
        let path = shared.join("data/media/videos").join(video);
        let out = Command::new("ffmpeg")
            .args(["-v", "error", "-i"])
            .arg(&path)
            .args(["-vf", &format!("select=eq(n\\,{n})"), "-frames:v", "1", "-pix_fmt", "rgb24", "-f", "rawvideo", "-"])
            .output();
        match out {
            Ok(o) if o.status.success() => {
                let (w, h) = (image["width"].as_u64().expect("w") as u32, image["height"].as_u64().expect("h") as u32);
                RgbImage::from_raw(w, h, o.stdout).expect("frame size")
            }
            _ => {
                eprintln!("SKIP {}: the ffmpeg program is needed to extract the video frame", image["input_png"]);
                return None;
            }
        }
    } else {
        panic!("no input for golden {image}");
    };
    assert_eq!(
        rgb_sha(&img),
        image["rgb_sha256"].as_str().expect("rgb_sha256"),
        "decoded RGB differs from the golden's"
    );
    Some(img)
}

fn check_probs(what: &str, got: &[f32], want: &Value) {
    let want: Vec<f32> = want.as_array().expect("array").iter().map(f).collect();
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        close(&format!("{what}[{i}]"), *g, *w, PROB_TOL);
    }
}

struct Models {
    front: BlazeFace,
    back: BlazeFace,
    mini: OnnxClassifier,
    faceapi: OnnxClassifier,
}

fn check_model(name: &str, img: &RgbImage, spec: BlazeFaceSpec, golden: &Value, m: &mut Models) {
    let detector = if spec == BLAZEFACE_FRONT { &mut m.front } else { &mut m.back };
    let ctx = format!("{name}/{}", spec.name);

    let mut input = Vec::new();
    let s = detector_input(img, spec.size, &mut input);
    assert_eq!(u64::from(s), golden["debug"]["square_side"].as_u64().expect("side"), "{ctx}: square side");
    let mean = input.iter().map(|&v| f64::from(v)).sum::<f64>() / input.len() as f64;
    assert!((mean - golden["debug"]["input_mean"].as_f64().expect("mean")).abs() < 1e-6, "{ctx}: input mean {mean}");

    let dets = detector.detect(img).expect("detect");
    let want = golden["detections"].as_array().expect("detections");
    assert_eq!(dets.len(), want.len(), "{ctx}: number of detections");
    for (i, (d, w)) in dets.iter().zip(want).enumerate() {
        assert_eq!(d.anchor as u64, w["anchor"].as_u64().expect("anchor"), "{ctx}: det {i} anchor");
        assert_eq!(d.merged as u64, w["merged"].as_u64().expect("merged"), "{ctx}: det {i} merged");
        close(&format!("{ctx}: det {i} score"), d.score, f(&w["score"]), SCORE_TOL);
        let b = [d.bbox.x1, d.bbox.y1, d.bbox.x2, d.bbox.y2];
        for (k, (g, wv)) in b.iter().zip(w["box"].as_array().expect("box")).enumerate() {
            close(&format!("{ctx}: det {i} box[{k}]"), *g, f(wv), BOX_TOL);
        }
        for (k, (p, wp)) in d.keypoints.iter().zip(w["keypoints"].as_array().expect("kps")).enumerate() {
            close(&format!("{ctx}: det {i} kp{k}.x"), p.x, f(&wp[0]), BOX_TOL);
            close(&format!("{ctx}: det {i} kp{k}.y"), p.y, f(&wp[1]), BOX_TOL);
        }
    }

    let boxes: Vec<_> = dets.iter().map(|d| (d.bbox, d.score)).collect();
    let main = mien_core::tracking::largest_face(&boxes);
    assert_eq!(main.map(|i| i as u64), golden["main_face"].as_u64(), "{ctx}: main face");

    for face in golden["faces"].as_array().expect("faces") {
        let i = face["index"].as_u64().expect("index") as usize;
        let rect = crop_rect(&dets[i].bbox, DEFAULT_MARGIN, img.dimensions()).expect("rect");
        let r = face["crop_rect"].as_array().expect("crop_rect");
        let want_rect = CropRect {
            left: r[0].as_i64().expect("l"),
            top: r[1].as_i64().expect("t"),
            side: r[2].as_u64().expect("s") as u32,
        };
        assert_eq!(rect, want_rect, "{ctx}: face {i} crop rect");
        let c = crop(img, rect);
        let mut canon = Vec::new();
        for (key, model) in [("mini_xception", &mut m.mini), ("faceapi", &mut m.faceapi)] {
            let raw = model.raw(&c).expect("classify");
            check_probs(&format!("{ctx}: face {i} {key} probs"), &raw, &face[key]["probs"]);
            let p = ExpressionProbs::from_model_order(&raw, &model.spec().class_map).expect("valid probabilities");
            check_probs(&format!("{ctx}: face {i} {key} canonical"), p.values(), &face[key]["canonical"]);
            let att = p.attitude();
            check_probs(&format!("{ctx}: face {i} attitude_{key}"), att.values(), &face[format!("attitude_{key}")]);
            if face["debug"][format!("top2_margin_{key}")].as_f64().expect("margin") >= LABEL_MARGIN {
                assert_eq!(p.top().name(), face[format!("label_{key}")].as_str().expect("label"), "{ctx}: {key} label");
            }
            assert_eq!(
                att.label().name(),
                face[format!("attitude_label_{key}")].as_str().expect("att"),
                "{ctx}: {key}"
            );
            canon.push(p);
        }
        let mean = ExpressionProbs::mean(&canon).expect("two");
        check_probs(&format!("{ctx}: face {i} mean"), mean.values(), &face["mean_canonical"]);
        check_probs(&format!("{ctx}: face {i} attitude_mean"), mean.attitude().values(), &face["attitude_mean"]);
    }
}

#[test]
fn pipeline_matches_reference_goldens() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let goldens = shared.join("reference/goldens");
    if !goldens.is_dir() {
        eprintln!("SKIP: {} not found", goldens.display());
        return;
    }
    let rt = common::runtime();
    let store = common::models();
    let mut m = Models {
        front: BlazeFace::load(&rt, &store.path(BLAZEFACE_FRONT.file), BLAZEFACE_FRONT).expect("front"),
        back: BlazeFace::load(&rt, &store.path(BLAZEFACE_BACK.file), BLAZEFACE_BACK).expect("back"),
        mini: OnnxClassifier::load(&rt, &store.path(MINI_XCEPTION.file), MINI_XCEPTION).expect("mini"),
        faceapi: OnnxClassifier::load(&rt, &store.path(FACEAPI.file), FACEAPI).expect("faceapi"),
    };
    let index: Value =
        serde_json::from_str(&std::fs::read_to_string(goldens.join("INDEX.json")).expect("INDEX")).expect("json");
    let mut checked = 0;
    for entry in index.as_array().expect("index") {
        let name = entry["name"].as_str().expect("name");
        let golden: Value =
            serde_json::from_str(&std::fs::read_to_string(goldens.join(format!("{name}.json"))).expect("golden"))
                .expect("json");
        let Some(img) = golden_input(&shared, &golden) else {
            continue;
        };
        check_model(name, &img, BLAZEFACE_FRONT, &golden["front"], &mut m);
        check_model(name, &img, BLAZEFACE_BACK, &golden["back"], &mut m);
        checked += 1;
    }
    assert!(checked >= 6, "only {checked} goldens could be checked");
    eprintln!("{checked} goldens checked (front and back)");
}

#[test]
fn shipped_models_match_their_manifest() {
    let store = common::models();
    for check in store.verify() {
        assert!(check.ok(), "{}: {:?} != {}", check.id, check.actual_sha256, check.expected_sha256);
    }
    // The reference's sha256 of the registry files, as an independent record.
    let front = sha256_file(&store.path(BLAZEFACE_FRONT.file)).expect("read");
    assert_eq!(front, "d388b1cf8a5f6f1af2b3f4c14f6d0f138bab970cd618cccd12dddb7484e82e51");
}
