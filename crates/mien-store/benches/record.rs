//! How much of one core recording costs: one hour of samples at 10 per second (36,000 samples) written through the
//! `Recorder` (transactions of 3 samples as at 10/s, WAL, synchronous=NORMAL) into a file in the temp folder.
//!
//!     cargo bench -p mien-store --bench record
//!
//! CPU share = (time to write the hour) / 3600 s.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use mien_core::{ExpressionProbs, FaceBox, FaceObservation, QualityThresholds, Sample};
use mien_store::{NewSession, Recorder, RecorderConfig, SourceKind, Store, StoreOptions};

fn hour_of_samples() -> Vec<Sample> {
    let p = ExpressionProbs::new(&[0.1, 0.05, 0.05, 0.4, 0.1, 0.1, 0.2]).expect("valid");
    let f = FaceObservation { bbox: FaceBox::new(180.0, 90.0, 420.0, 330.0), score: 0.91 };
    (0..36_000u64)
        .map(|i| {
            if i % 50 == 0 {
                Sample::no_face(i * 100)
            } else {
                Sample::with_face(i * 100, 1, f, p, (640, 480), &QualityThresholds::default())
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let samples = hour_of_samples();
    let dir = tempfile::tempdir().expect("tmp");
    let db = dir.path().join("bench.db");
    let mut store = Store::open(&db).expect("open");
    let new = NewSession::practice(SourceKind::Camera, "bench", "cpu");
    let mut g = c.benchmark_group("recorder");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("one_hour_at_10_per_s", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let id = store.create_session(&new, "bench").expect("session");
                let start = Instant::now();
                // At 10 samples/s the recorder commits every 250 ms, i.e. ~3 samples per transaction: reproduce
                // that transaction count (12,000 commits for the hour) rather than fewer, larger batches.
                let config = RecorderConfig { batch_max: 3, ..Default::default() };
                let rec = Recorder::start(&db, id, StoreOptions::default(), config).expect("rec");
                for s in &samples {
                    rec.record(s.clone()).expect("record");
                }
                rec.finish().expect("finish");
                total += start.elapsed();
            }
            total
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
