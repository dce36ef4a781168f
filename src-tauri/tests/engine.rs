//! The app's engine without a window: real ONNX Runtime, real models, a real SQLite file, real photos as frames.
//! What the commands do: consent and policy refusals, malformed frames, live results, stop -> report.

use std::{
    sync::mpsc,
    time::{Duration, Instant},
};

use mien_app::{
    dto::{ConsentForm, LiveUpdate, StartSession},
    engine::{Engine, Paths},
};
use mien_core::Jurisdiction;
use mien_store::{ConsentMethod, SessionKind, SourceKind};
use mien_vision::{ExecutionProviderKind, frame::PixelLayout};

fn engine(dir: &tempfile::TempDir) -> Engine {
    Engine::open(Paths { db: dir.path().join("app.db"), resources: None, runtime_library: None }).expect("engine")
}

fn form(kind: SessionKind, consent: Option<bool>) -> StartSession {
    StartSession {
        kind,
        candidate_ref: Some("C-1".into()),
        role: None,
        interviewer: Some("Ann".into()),
        source: SourceKind::Camera,
        source_name: Some("Test camera".into()),
        consent: consent.map(|agreed| ConsentForm {
            method: ConsentMethod::Verbal,
            recorded_by: "Ann".into(),
            candidate_agreed: agreed,
        }),
        provider: ExecutionProviderKind::Cpu,
        smoothing_ms: 1000.0,
    }
}

fn sink() -> (mien_app::engine::UpdateSink, mpsc::Receiver<LiveUpdate>) {
    let (tx, rx) = mpsc::channel();
    (
        Box::new(move |u| {
            let _ = tx.send(u);
        }),
        rx,
    )
}

/// A real photo with a face, as the webview would send it (RGBA).
fn photo_rgba() -> Option<(u32, u32, Vec<u8>)> {
    let path = mien_testdata::media_dir()?.join("photos/fr_alex-lacamoire.png");
    let img = image::open(&path).expect("photo").to_rgba8();
    Some((img.width(), img.height(), img.into_raw()))
}

#[test]
fn interviews_need_consent_and_a_policy_that_allows_them() {
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(&dir);
    assert!(e.first_run().expect("settings"), "a new database starts unconfigured");
    // unset jurisdiction: practice only
    let err = e.start(&form(SessionKind::Interview, Some(true)), sink().0).expect_err("policy");
    assert_eq!(err.code, "policy_prohibits");
    e.store().set_policy(Jurisdiction::Uk, 30, "test").expect("policy");
    for consent in [None, Some(false)] {
        let err = e.start(&form(SessionKind::Interview, consent), sink().0).expect_err("consent");
        assert_eq!(err.code, "consent_required", "{consent:?}");
    }
    e.store().set_policy(Jurisdiction::EuEea, 30, "test").expect("policy");
    let err = e.start(&form(SessionKind::Interview, Some(true)), sink().0).expect_err("eu");
    assert_eq!(err.code, "policy_prohibits");
    assert!(e.store().list_sessions(None).expect("list").is_empty(), "nothing created by a refusal");
    // practice stays possible everywhere
    let started = e.start(&form(SessionKind::Practice, None), sink().0).expect("practice");
    assert_eq!(started.provider.active, ExecutionProviderKind::Cpu);
    e.stop("test").expect("stop");
}

#[test]
fn malformed_frames_and_calls_out_of_order_get_clear_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(&dir);
    let err = e.push_frame(0, 2, 2, PixelLayout::Rgba8, vec![0; 16]).expect_err("no session");
    assert_eq!(err.code, "no_session");
    assert_eq!(e.stop("test").expect_err("nothing to stop").code, "no_session");
    e.start(&form(SessionKind::Practice, None), sink().0).expect("start");
    assert_eq!(e.start(&form(SessionKind::Practice, None), sink().0).expect_err("twice").code, "session_running");
    for (w, h, len) in [(2, 2, 15), (0, 2, 0), (2, 0, 0), (4, 4, 4 * 4 * 3)] {
        let err = e.push_frame(0, w, h, PixelLayout::Rgba8, vec![0; len]).expect_err("bad frame");
        assert_eq!(err.code, "bad_frame", "{w}x{h} with {len} bytes");
    }
    // frame times must increase: a frame at or before the previous one is refused, and the session goes on
    let frame = || vec![90u8; 8 * 8 * 4];
    e.push_frame(500, 8, 8, PixelLayout::Rgba8, frame()).expect("first frame");
    for t in [500, 400, 0] {
        let err = e.push_frame(t, 8, 8, PixelLayout::Rgba8, frame()).expect_err("time going back");
        assert_eq!(err.code, "bad_frame_time", "t {t}: {}", err.message);
    }
    e.push_frame(600, 8, 8, PixelLayout::Rgba8, frame()).expect("a later frame");
    let report = e.stop("test").expect("stop");
    assert_eq!(report.session.status, mien_store::SessionStatus::Finished);
}

#[test]
fn a_live_session_streams_results_records_them_and_reports() {
    let Some((w, h, rgba)) = photo_rgba() else {
        eprintln!("SKIP: ../shared/data/media not found");
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(&dir);
    e.store().set_policy(Jurisdiction::Uk, 30, "test").expect("policy");
    let (sink, rx) = sink();
    let started = e.start(&form(SessionKind::Interview, Some(true)), sink).expect("start");
    let mut updates = Vec::new();
    for i in 0..20u64 {
        // wait for each result so none is dropped as stale
        e.push_frame(i * 100, w, h, PixelLayout::Rgba8, rgba.clone()).expect("push");
        let deadline = Instant::now() + Duration::from_secs(20);
        let u = rx.recv_timeout(deadline - Instant::now()).expect("an update per frame");
        updates.push(u);
        if i == 5 {
            e.add_marker(i * 100, "Question 2").expect("marker");
            e.add_note(None, Some(i * 100), "note").expect("note");
        }
    }
    assert!(updates.iter().all(|u| u.error.is_none()), "{:?}", updates.iter().find(|u| u.error.is_some()));
    let last = updates.last().expect("updates");
    let s = last.sample.as_ref().expect("sample");
    assert_eq!(s.t_ms, 1900);
    assert!(s.face.is_some() && s.attitude.is_some() && s.smoothed.is_some(), "{s:?}");
    assert!(!last.faces.is_empty());
    assert!(last.latency_ms > 0.0);
    let report = e.stop("test").expect("stop");
    assert_eq!(report.session.id, started.session_id);
    assert_eq!(report.samples.len(), 20, "every analysed frame is stored");
    assert_eq!(report.markers.len(), 1);
    assert_eq!(report.notes.len(), 1);
    assert!(report.summary.face_samples == 20 && report.summary.overall.shares.sum() > 0.99);
    let consent = report.session.consent.expect("consent record");
    assert_eq!(consent.notice_version, mien_app::engine::NOTICE_VERSION);
    // a note on a finished session, from the report view
    e.add_note(Some(started.session_id), None, "after the call").expect("late note");
    assert_eq!(e.store().notes(started.session_id).expect("notes").len(), 2);
}

#[test]
fn a_missing_runtime_leaves_reports_readable_and_says_why() {
    let dir = tempfile::tempdir().expect("tmp");
    let missing = dir.path().join("lib/libonnxruntime.so");
    let e =
        Engine::open(Paths { db: dir.path().join("app.db"), resources: None, runtime_library: Some(missing.clone()) })
            .expect("the app still opens");
    let err = e.engine_info().expect_err("no runtime");
    assert_eq!(err.code, "runtime_missing");
    assert!(err.message.contains(&missing.display().to_string()), "{}", err.message);
    assert_eq!(e.start(&form(SessionKind::Practice, None), sink().0).expect_err("no engine").code, "runtime_missing");
    assert!(e.store().list_sessions(None).expect("store works").is_empty());
}

/// RGBA -> I420 (BT.601, limited range, chroma averaged over 2x2), as a decoded video file arrives from WebCodecs.
fn rgba_to_i420(w: u32, h: u32, rgba: &[u8]) -> Vec<u8> {
    let (w, h) = (w as usize, h as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let px = |x: usize, y: usize| {
        let i = (y.min(h - 1) * w + x.min(w - 1)) * 4;
        [rgba[i], rgba[i + 1], rgba[i + 2]].map(|v| f32::from(v) / 255.0)
    };
    let luma = |[r, g, b]: [f32; 3]| 0.299 * r + 0.587 * g + 0.114 * b;
    let mut out = Vec::with_capacity(w * h + 2 * cw * ch);
    for y in 0..h {
        for x in 0..w {
            out.push((16.0 + 219.0 * luma(px(x, y))).round() as u8);
        }
    }
    let mut u = Vec::with_capacity(cw * ch);
    let mut v = Vec::with_capacity(cw * ch);
    for cy in 0..ch {
        for cx in 0..cw {
            let quad = [px(2 * cx, 2 * cy), px(2 * cx + 1, 2 * cy), px(2 * cx, 2 * cy + 1), px(2 * cx + 1, 2 * cy + 1)];
            let (mut cb, mut cr) = (0.0, 0.0);
            for p in quad {
                let yv = luma(p);
                cb += (p[2] - yv) / 1.772 / 4.0;
                cr += (p[0] - yv) / 1.402 / 4.0;
            }
            u.push((128.0 + 224.0 * cb).round() as u8);
            v.push((128.0 + 224.0 * cr).round() as u8);
        }
    }
    out.extend(u);
    out.extend(v);
    out
}

#[test]
fn i420_frames_from_a_video_file_are_analysed_like_rgba() {
    let Some((w, h, rgba)) = photo_rgba() else {
        eprintln!("SKIP: ../shared/data/media not found");
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let e = engine(&dir);
    let (sink, rx) = sink();
    e.start(&form(SessionKind::Practice, None), sink).expect("start");
    let i420 = PixelLayout::I420 { matrix: mien_vision::frame::YuvMatrix::Bt601, full_range: false };
    let mut labels = Vec::new();
    for (i, (layout, data)) in
        [(PixelLayout::Rgba8, rgba.clone()), (i420, rgba_to_i420(w, h, &rgba))].into_iter().enumerate()
    {
        e.push_frame(i as u64 * 100, w, h, layout, data).expect("push");
        let u = rx.recv_timeout(Duration::from_secs(20)).expect("update");
        let s = u.sample.expect("sample");
        assert!(s.face.is_some(), "{layout:?}: no face");
        labels.push(s.label);
    }
    assert_eq!(labels[0], labels[1], "the same photo gets the same attitude either way");
    let err = e.push_frame(0, w, h, i420, vec![0; 10]).expect_err("short");
    assert_eq!(err.code, "bad_frame");
    e.stop("test").expect("stop");
}
