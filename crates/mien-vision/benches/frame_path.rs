//! Criterion benchmark of the per-frame path on real 640x480 frames: JPEG decode, detection, crop, classification,
//! and the whole path. Frames are made in memory from the photos in `../shared/data/media/photos` (scaled to cover
//! 640x480, centre-cropped, JPEG-encoded at quality 90); nothing is written to disk.
//!
//!     taskset -c 0 cargo bench -p mien-vision --bench frame_path
//!
//! ONNX Runtime runs with one intra-op thread, so `taskset -c 0` gives the one-core figure.

use std::{hint::black_box, io::Cursor, time::Duration};

use criterion::{Criterion, criterion_group, criterion_main};
use image::{ImageFormat, RgbImage, imageops::FilterType};
use mien_vision::{
    AnalyzerConfig, ClassifierChoice, DetectorMode, ModelStore, Runtime, RuntimeConfig,
    crop::{DEFAULT_MARGIN, crop, crop_rect},
    detection::FaceDetect,
    frame::{DecodeLimits, decode_image},
    models::locate_models_dir,
};

const PHOTOS: &[&str] =
    &["skimage_astronaut.png", "fr_obama.jpg", "fr_two_people.jpg", "dlib_Tom_Cruise_avp_2014_4.jpg"];

fn frames() -> Vec<(RgbImage, Vec<u8>)> {
    let Some(dir) = mien_testdata::shared_subdir("data/media/photos") else { return Vec::new() };
    PHOTOS
        .iter()
        .filter_map(|name| {
            let img = image::open(dir.join(name)).ok()?.to_rgb8();
            let (w, h) = img.dimensions();
            let scale = (640.0 / w as f32).max(480.0 / h as f32);
            let (sw, sh) = ((w as f32 * scale).ceil() as u32, (h as f32 * scale).ceil() as u32);
            let scaled = image::imageops::resize(&img, sw.max(640), sh.max(480), FilterType::Triangle);
            let frame = image::imageops::crop_imm(&scaled, (sw.max(640) - 640) / 2, (sh.max(480) - 480) / 2, 640, 480)
                .to_image();
            let mut jpeg = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut Cursor::new(&mut jpeg), 90)
                .encode_image(&frame)
                .ok()?;
            let _ = ImageFormat::Jpeg;
            Some((frame, jpeg))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let frames = frames();
    if frames.is_empty() {
        eprintln!("SKIP: no test photos found (../shared/data/media/photos)");
        return;
    }
    let rt = Runtime::load(&RuntimeConfig { intra_threads: 1, ..Default::default() }).expect("ONNX Runtime");
    let store = ModelStore::open(&locate_models_dir(None, &[]).expect("models")).expect("models.json");
    let limits = DecodeLimits::default();

    let mut g = c.benchmark_group("frame_640x480");
    g.measurement_time(Duration::from_secs(4)).sample_size(30);

    g.bench_function("decode_jpeg", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % frames.len();
            black_box(decode_image(&frames[i].1, &limits).expect("decode"))
        })
    });

    for mode in [DetectorMode::Front, DetectorMode::Auto] {
        let mut det = store.detector(&rt, mode).expect("detector");
        g.bench_function(format!("detect_{mode:?}").to_lowercase(), |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % frames.len();
                black_box(det.detect(&frames[i].0).expect("detect"))
            })
        });
    }

    let mut det = store.detector(&rt, DetectorMode::Front).expect("detector");
    let crops: Vec<RgbImage> = frames
        .iter()
        .filter_map(|(f, _)| {
            let d = det.detect(f).ok()?.into_iter().next()?;
            Some(crop(f, crop_rect(&d.bbox, DEFAULT_MARGIN, f.dimensions()).ok()?))
        })
        .collect();
    g.bench_function("crop", |b| {
        let (f, _) = &frames[0];
        let d = det.detect(f).expect("detect").into_iter().next().expect("a face");
        b.iter(|| black_box(crop(f, crop_rect(&d.bbox, DEFAULT_MARGIN, f.dimensions()).expect("rect"))))
    });
    for choice in
        [ClassifierChoice::Mien, ClassifierChoice::MiniXception, ClassifierChoice::Faceapi, ClassifierChoice::Ensemble]
    {
        let mut cls = store.classifier(&rt, choice).expect("classifier");
        g.bench_function(format!("classify_{}", cls.id()), |b| {
            let mut i = 0;
            b.iter(|| {
                i = (i + 1) % crops.len();
                black_box(cls.classify(&crops[i]).expect("classify"))
            })
        });
    }

    for (mode, choice) in
        [(DetectorMode::Front, ClassifierChoice::Ensemble), (DetectorMode::Auto, ClassifierChoice::Ensemble)]
    {
        let mut analyzer = store.analyzer(&rt, mode, choice, AnalyzerConfig::default()).expect("analyzer");
        g.bench_function(format!("full_path_{mode:?}_{choice:?}").to_lowercase(), |b| {
            let mut i = 0;
            let mut t = 0;
            b.iter(|| {
                i = (i + 1) % frames.len();
                t += 100;
                let frame = decode_image(&frames[i].1, &limits).expect("decode");
                black_box(analyzer.analyze(t, &frame).expect("analyze"))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
