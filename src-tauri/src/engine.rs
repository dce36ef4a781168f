//! The app's state behind the commands: the session store, the ONNX Runtime with the models, and the one live
//! session (analyzer worker + recorder + the thread that forwards results to the UI). No Tauri types in here except
//! the result channel, so the logic is tested without a window (`tests` below and `tests/live_session.rs`).

use std::{
    path::PathBuf,
    sync::{Arc, Mutex, mpsc},
    thread::JoinHandle,
};

use mien_core::{Jurisdiction, SmoothingConfig};
use mien_store::{ConsentInput, NewSession, Recorder, RecorderConfig, SessionExport, Store, StoreOptions};
use mien_vision::{
    AnalyzerConfig, ClassifierChoice, DetectorMode, FrameIn, LiveAnalyzer, LiveEvent, LiveMonitor, ModelStore, Runtime,
    RuntimeConfig, frame::PixelLayout, models::locate_models_dir,
};

use crate::{
    dto::{ConsentForm, EngineInfo, LiveUpdate, SessionStarted, StartSession},
    error::{AppError, AppResult},
};

/// Version of the candidate notice; stored with each consent record. Change it whenever the text changes.
pub const NOTICE_VERSION: &str = "2026-12-04";
pub const NOTICE_TEXT: &str = "During this interview, the software Mien will analyse your facial expressions from the \
video, a few times per second, and sort them into three broad categories (positive, neutral, negative). No video, \
photo or image of your face is stored: only these categories and their confidence over time. The results help the \
interviewer notice how the conversation is going; facial expressions are not reliable indicators of emotions, \
honesty or suitability and will not be used to score or decide about you. Taking part is voluntary: if you say no, \
the interview goes on without analysis. You can ask for the record to be deleted at any time.";

/// Receives live updates (a Tauri `Channel` in the app, a closure in tests).
pub type UpdateSink = Box<dyn Fn(LiveUpdate) + Send + 'static>;

/// Where things are.
#[derive(Debug, Clone)]
pub struct Paths {
    pub db: PathBuf,
    /// Extra folders to look for the models and the runtime in (the app's resource folder).
    pub resources: Option<PathBuf>,
    /// An explicit ONNX Runtime library (else: `ORT_DYLIB_PATH`, the resources, the usual places).
    pub runtime_library: Option<PathBuf>,
}

struct Loaded {
    runtime: Arc<Runtime>,
    models: ModelStore,
}

struct Active {
    id: i64,
    live: LiveAnalyzer,
    recorder: Arc<Recorder>,
    forwarder: JoinHandle<()>,
}

pub struct Engine {
    paths: Paths,
    store: Mutex<Store>,
    loaded: Result<Loaded, AppError>,
    active: Mutex<Option<Active>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("paths", &self.paths).finish()
    }
}

fn load(paths: &Paths) -> AppResult<Loaded> {
    let resources = paths.resources.as_deref();
    let extra: Vec<PathBuf> = resources.map(|r| vec![r.join("runtime")]).unwrap_or_default();
    let config = RuntimeConfig {
        library: paths.runtime_library.clone(),
        search_dirs: extra,
        intra_threads: 1,
        ..Default::default()
    };
    let runtime = process_runtime(&config)?;
    let extra_models: Vec<PathBuf> = resources.map(|r| vec![r.join("models")]).unwrap_or_default();
    let models = ModelStore::open(&locate_models_dir(None, &extra_models)?)?;
    Ok(Loaded { runtime, models })
}

/// ONNX Runtime allows one environment per process: the first successful load is kept and shared (the app has one
/// engine; tests open several). A library that cannot be found is still reported as such.
fn process_runtime(config: &RuntimeConfig) -> AppResult<Arc<Runtime>> {
    static RUNTIME: Mutex<Option<Arc<Runtime>>> = Mutex::new(None);
    mien_vision::runtime::locate_library(config)?;
    let mut slot = lock(&RUNTIME);
    if let Some(r) = slot.as_ref() {
        return Ok(r.clone());
    }
    let r = Arc::new(Runtime::load(config)?);
    *slot = Some(r.clone());
    Ok(r)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn clean(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl Engine {
    /// Open the database (creating or migrating it) and load the runtime and the models. A missing runtime or model
    /// does not stop the app: reports stay readable and `engine_error` says what to fix.
    pub fn open(paths: Paths) -> AppResult<Self> {
        if let Some(dir) = paths.db.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| AppError::new("storage", format!("cannot create {}: {e}", dir.display())))?;
        }
        let store = Store::open(&paths.db)?;
        let loaded = load(&paths);
        if let Err(e) = &loaded {
            tracing::error!(%e, "analysis unavailable");
        }
        Ok(Self { paths, store: Mutex::new(store), loaded, active: Mutex::new(None) })
    }

    pub fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        lock(&self.store)
    }

    pub fn engine_info(&self) -> Result<EngineInfo, AppError> {
        let l = self.loaded.as_ref().map_err(Clone::clone)?;
        Ok(EngineInfo {
            runtime_version: l.runtime.version().to_string(),
            runtime_path: l.runtime.library().path.display().to_string(),
            available_providers: l.runtime.available_providers(),
            provider: l.runtime.provider_status(),
            model: ClassifierChoice::default().name().to_string(),
        })
    }

    pub fn first_run(&self) -> AppResult<bool> {
        Ok(self.store().settings()?.jurisdiction == Jurisdiction::Unset)
    }

    /// Create the session (the store enforces consent and policy), build an analyzer and start recording.
    pub fn start(&self, form: &StartSession, sink: UpdateSink) -> AppResult<SessionStarted> {
        let mut active = lock(&self.active);
        if active.is_some() {
            return Err(AppError::new("session_running", "a session is already running; stop it first"));
        }
        let l = self.loaded.as_ref().map_err(Clone::clone)?;
        if !(0.0..=10_000.0).contains(&form.smoothing_ms) {
            return Err(AppError::new("invalid_input", "smoothing must be 0 to 10 000 ms"));
        }
        let choice = ClassifierChoice::default();
        let mut new = NewSession {
            kind: form.kind,
            candidate_ref: clean(&form.candidate_ref),
            role: clean(&form.role),
            interviewer: clean(&form.interviewer),
            source: form.source,
            source_name: clean(&form.source_name),
            model: choice.name().to_string(),
            provider: form.provider.name().to_string(),
            consent: form.consent.as_ref().map(|c: &ConsentForm| ConsentInput {
                notice_version: NOTICE_VERSION.to_string(),
                method: c.method,
                recorded_by: c.recorded_by.trim().to_string(),
                candidate_agreed: c.candidate_agreed,
            }),
        };
        // The store's own rules (policy, consent), checked before the models are loaded: a refusal costs nothing.
        self.store().check_new_session(&new)?;
        l.runtime.request_provider(form.provider);
        let config = AnalyzerConfig {
            smoothing: SmoothingConfig { tau_ms: form.smoothing_ms, ..Default::default() },
            ..Default::default()
        };
        let analyzer = l.models.analyzer(&l.runtime, DetectorMode::Auto, choice, config)?;
        let provider = l.runtime.provider_status();
        new.provider = provider.active.name().to_string();
        let actor = new.interviewer.clone().unwrap_or_else(|| "app".into());
        let id = self.store().create_session(&new, &actor)?;
        let recorder = match Recorder::start(&self.paths.db, id, StoreOptions::default(), RecorderConfig::default()) {
            Ok(r) => Arc::new(r),
            Err(e) => {
                let _ = self.store().finish_session(id);
                return Err(e.into());
            }
        };
        let (tx, rx) = mpsc::channel::<LiveEvent>();
        let live = LiveAnalyzer::start(analyzer, tx)
            .map_err(|e| AppError::new("analysis", format!("cannot start the analysis thread: {e}")))?;
        let rec = recorder.clone();
        let monitor = live.monitor();
        let forwarder = std::thread::Builder::new()
            .name("mien-forward".into())
            .spawn(move || forward(rx, &rec, &monitor, sink))
            .map_err(|e| AppError::new("analysis", format!("cannot start the result thread: {e}")))?;
        *active = Some(Active { id, live, recorder, forwarder });
        tracing::info!(session = id, provider = %provider.active, "session started");
        Ok(SessionStarted { session_id: id, provider, model: choice.name().to_string() })
    }

    /// Hand a raw frame (RGBA from a canvas or a camera `VideoFrame`, I420 from a decoded video file) to the
    /// analyzer; never blocks on analysis.
    pub fn push_frame(
        &self,
        t_ms: u64,
        width: u32,
        height: u32,
        layout: PixelLayout,
        data: Vec<u8>,
    ) -> AppResult<bool> {
        let expected = layout.frame_len(width, height);
        if width == 0 || height == 0 || data.len() != expected {
            return Err(AppError::new(
                "bad_frame",
                format!("frame of {width}x{height} needs {expected} bytes, got {}", data.len()),
            ));
        }
        let active = lock(&self.active);
        let a = active.as_ref().ok_or_else(|| AppError::new("no_session", "no session is running"))?;
        Ok(a.live.submit(FrameIn { t_ms, width, height, layout, data })?)
    }

    pub fn set_paused(&self, paused: bool) -> AppResult<()> {
        let active = lock(&self.active);
        let a = active.as_ref().ok_or_else(|| AppError::new("no_session", "no session is running"))?;
        a.live.set_paused(paused);
        Ok(())
    }

    pub fn add_marker(&self, t_ms: u64, label: &str) -> AppResult<()> {
        let active = lock(&self.active);
        match active.as_ref() {
            Some(a) => Ok(a.recorder.marker(t_ms, label.trim())?),
            None => Err(AppError::new("no_session", "no session is running")),
        }
    }

    /// A note on the running session, or (with `session_id`) on a finished one from the report view.
    pub fn add_note(&self, session_id: Option<i64>, t_ms: Option<u64>, text: &str) -> AppResult<()> {
        let active = lock(&self.active);
        match (session_id, active.as_ref()) {
            (Some(id), a) if a.is_none_or(|a| a.id != id) => {
                drop(active);
                self.store().add_note(id, t_ms, text.trim())?;
                Ok(())
            }
            (_, Some(a)) => Ok(a.recorder.note(t_ms, text.trim())?),
            (_, None) => Err(AppError::new("no_session", "no session is running")),
        }
    }

    /// Stop analysis, commit everything and return the report (the after-call summary).
    pub fn stop(&self, actor: &str) -> AppResult<SessionExport> {
        let a = lock(&self.active).take().ok_or_else(|| AppError::new("no_session", "no session is running"))?;
        let id = a.id;
        let _ = a.live.stop(); // drops the event sender: the forwarder drains what is left and ends
        let _ = a.forwarder.join();
        let recorder =
            Arc::try_unwrap(a.recorder).map_err(|_| AppError::new("storage", "the recorder is still in use"))?;
        recorder.finish()?;
        tracing::info!(session = id, "session stopped");
        Ok(self.store().report(id, actor)?)
    }

    /// Stop a running session when the app closes (the recorder marks it finished; nothing is lost).
    pub fn shutdown(&self) {
        if lock(&self.active).is_some()
            && let Err(e) = self.stop("app")
        {
            tracing::error!(%e, "could not stop the running session cleanly");
        }
    }
}

/// Record each analysed sample and pass it (or the error) on to the UI, until the analyzer stops.
fn forward(rx: mpsc::Receiver<LiveEvent>, recorder: &Recorder, monitor: &LiveMonitor, sink: UpdateSink) {
    for event in rx {
        let stats = monitor.stats();
        let update = match event {
            LiveEvent::Sample { sample, faces, latency_ms } => {
                if let Err(e) = recorder.record(sample.clone()) {
                    tracing::error!(%e, "recording failed");
                }
                LiveUpdate {
                    t_ms: sample.t_ms,
                    faces: faces.iter().map(|d| [d.bbox.x1, d.bbox.y1, d.bbox.x2, d.bbox.y2, d.score]).collect(),
                    sample: Some(sample),
                    latency_ms,
                    error: recorder.last_error(),
                    stats,
                    committed: recorder.committed(),
                }
            }
            LiveEvent::Error { t_ms, message } => LiveUpdate {
                t_ms,
                sample: None,
                faces: Vec::new(),
                latency_ms: 0.0,
                error: Some(message),
                stats,
                committed: recorder.committed(),
            },
        };
        sink(update);
    }
}
