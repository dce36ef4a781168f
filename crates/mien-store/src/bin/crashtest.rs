//! Test helper for the crash test (`tests/crash.rs`): records samples into a new practice session of the store at
//! `argv[1]` as fast as it can, flushing every 10 samples and printing `committed N` after each flush, until it is
//! killed. Not installed, not used by the product.

use std::{io::Write, path::PathBuf};

use mien_core::{ExpressionProbs, FaceBox, FaceObservation, QualityThresholds, Sample};
use mien_store::{NewSession, Recorder, RecorderConfig, SourceKind, Store, StoreOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db = PathBuf::from(std::env::args().nth(1).ok_or("usage: mien-store-crashtest DB")?);
    let mut store = Store::open(&db)?;
    let id = store.create_session(&NewSession::practice(SourceKind::Camera, "crashtest", "cpu"), "crashtest")?;
    drop(store);
    let rec = Recorder::start(&db, id, StoreOptions::default(), RecorderConfig { batch_max: 5, ..Default::default() })?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "session {id}")?;
    out.flush()?;
    let probs = ExpressionProbs::new(&[0.1, 0.0, 0.1, 0.5, 0.1, 0.1, 0.1])?;
    let face = FaceObservation { bbox: FaceBox::new(10.0, 10.0, 110.0, 110.0), score: 0.9 };
    for i in 0u64.. {
        let s = if i % 7 == 3 {
            Sample::no_face(i * 10)
        } else {
            Sample::with_face(i * 10, 1, face, probs, (640, 480), &QualityThresholds::default())
        };
        rec.record(s)?;
        if i % 10 == 9 {
            let n = rec.flush()?;
            writeln!(out, "committed {n}")?;
            out.flush()?;
        }
    }
    Ok(())
}
