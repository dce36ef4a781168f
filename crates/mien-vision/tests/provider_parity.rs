//! Outputs on a GPU execution provider match the CPU within tolerance. Runs only when `MIEN_TEST_PROVIDER` names
//! the provider to check (e.g. `cuda`, after `MIEN_GPU=1 scripts/setup.sh`; see scripts/gpu_check.sh); otherwise
//! it says so and passes without checking anything.
//!
//! Tolerances (GPU convolutions sum in another order): boxes 0.05 px, scores 1e-3, probabilities 2e-3.

mod common;

use mien_vision::{
    ClassifierChoice, DetectorMode, ExecutionProviderKind,
    crop::{DEFAULT_MARGIN, crop, crop_rect},
    detection::FaceDetect,
    frame::{DecodeLimits, load_image},
};

#[test]
fn gpu_outputs_match_cpu() {
    let Some(name) = std::env::var("MIEN_TEST_PROVIDER").ok().filter(|v| !v.is_empty()) else {
        eprintln!("SKIP: set MIEN_TEST_PROVIDER=cuda (or directml/coreml) to compare a GPU provider with the CPU");
        return;
    };
    let kind: ExecutionProviderKind = name.parse().expect("provider name");
    let Some(shared) = common::shared_dir() else { return };
    let rt = common::runtime();
    let store = common::models();
    let photos = ["skimage_astronaut.png", "fr_two_people.jpg", "fr_obama.jpg", "dlib_Tom_Cruise_avp_2014_4.jpg"];
    let images: Vec<_> = photos
        .iter()
        .map(|p| load_image(&shared.join("data/media/photos").join(p), &DecodeLimits::default()).expect("photo"))
        .collect();

    let run = |provider| {
        rt.request_provider(provider);
        let mut det = store.detector(&rt, DetectorMode::Front).expect("detector");
        let mut cls = store.classifier(&rt, ClassifierChoice::Ensemble).expect("classifier");
        let status = rt.provider_status();
        assert_eq!(status.active, provider, "{provider} is not active: {:?}", status.fallback_reason);
        images
            .iter()
            .map(|img| {
                let dets = det.detect(img).expect("detect");
                let probs: Vec<_> = dets
                    .iter()
                    .map(|d| {
                        let c = crop(img, crop_rect(&d.bbox, DEFAULT_MARGIN, img.dimensions()).expect("rect"));
                        cls.classify(&c).expect("classify")
                    })
                    .collect();
                (dets, probs)
            })
            .collect::<Vec<_>>()
    };
    let cpu = run(ExecutionProviderKind::Cpu);
    let gpu = run(kind);
    for (i, ((dc, pc), (dg, pg))) in cpu.iter().zip(&gpu).enumerate() {
        assert_eq!(dc.len(), dg.len(), "{}: number of faces", photos[i]);
        for (a, b) in dc.iter().zip(dg) {
            for (x, y) in
                [(a.bbox.x1, b.bbox.x1), (a.bbox.y1, b.bbox.y1), (a.bbox.x2, b.bbox.x2), (a.bbox.y2, b.bbox.y2)]
            {
                assert!((x - y).abs() < 0.05, "{}: box {x} vs {y}", photos[i]);
            }
            assert!((a.score - b.score).abs() < 1e-3, "{}: score", photos[i]);
        }
        for (a, b) in pc.iter().zip(pg) {
            for (x, y) in a.values().iter().zip(b.values()) {
                assert!((x - y).abs() < 2e-3, "{}: probability {x} vs {y}", photos[i]);
            }
        }
    }
    eprintln!("{kind} matches the CPU on {} photos", photos.len());
}
