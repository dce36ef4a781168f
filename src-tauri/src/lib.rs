//! Mien's desktop app: Tauri commands that adapt IPC to the library crates, and nothing else.
//!
//! - Frames arrive as the **raw body** of `push_frame` (never a JSON array) with their size and time in headers,
//!   and go to the one analyzer worker ([`mien_vision::LiveAnalyzer`]), whose one-frame mailbox drops stale frames.
//! - Results stream back through the `Channel` given to `start_session`.
//! - Errors reach the UI as `{code, message}` ([`error::AppError`]).
//! - The models and ONNX Runtime are bundled resources (`tauri.conf.json` > `bundle.resources`).
//! - Export paths are chosen in a native save dialog opened here, never passed in by the webview.
//!
//! Test switches (environment, read once at start-up; documented in README.md): `MIEN_DB` (database file),
//! `MIEN_MOCK_CAMERA=1` (WebKit's mock capture device, for machines without a camera), `MIEN_E2E_SAVE_DIR` (exports
//! go to this folder instead of asking in a dialog: WebDriver cannot drive native dialogs).

pub mod commands_list;
pub mod dto;
pub mod engine;
pub mod error;

use std::{path::PathBuf, sync::Arc};

use mien_core::Jurisdiction;
use mien_report::ExportFormat;
use mien_store::{SessionExport, SessionInfo, Settings};
use mien_vision::frame::{PixelLayout, YuvMatrix};
use tauri::{
    AppHandle, Manager, State,
    ipc::{Channel, InvokeBody, Request},
    webview::{PermissionKind, PermissionResponse},
};
use tauri_plugin_dialog::DialogExt;

use crate::{
    dto::{AppInfo, Exported, FrameAck, JurisdictionInfo, LiveUpdate, SessionStarted, StartSession},
    engine::{Engine, NOTICE_TEXT, NOTICE_VERSION, Paths},
    error::{AppError, AppResult},
};

/// The commands, in the order of `build.rs`'s `COMMANDS` (a test checks that the two lists match).
macro_rules! app_commands {
    () => {
        tauri::generate_handler![
            app_info,
            save_policy,
            list_sessions,
            start_session,
            push_frame,
            set_paused,
            add_marker,
            add_note,
            stop_session,
            get_report,
            export_session,
            delete_session
        ]
    };
}

type EngineState<'a> = State<'a, Arc<Engine>>;

const ACTOR: &str = "app";

fn mock_camera() -> bool {
    std::env::var("MIEN_MOCK_CAMERA").is_ok_and(|v| v == "1")
}

#[tauri::command]
async fn app_info(engine: EngineState<'_>) -> AppResult<AppInfo> {
    let settings = engine.store().settings()?;
    let (engine_info, engine_error) = match engine.engine_info() {
        Ok(i) => (Some(i), None),
        Err(e) => (None, Some(e)),
    };
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        first_run: engine.first_run()?,
        policy_explanation: settings.jurisdiction.explanation().to_string(),
        settings,
        engine: engine_info,
        engine_error,
        mock_camera: mock_camera(),
        notice_text: NOTICE_TEXT.to_string(),
        notice_version: NOTICE_VERSION.to_string(),
        jurisdictions: Jurisdiction::ALL
            .into_iter()
            .map(|j| JurisdictionInfo {
                id: j,
                interviews_allowed: j.policy() == mien_core::Policy::InterviewsAllowed,
                explanation: j.explanation().to_string(),
            })
            .collect(),
    })
}

#[tauri::command]
async fn save_policy(engine: EngineState<'_>, jurisdiction: Jurisdiction, retention_days: u32) -> AppResult<Settings> {
    Ok(engine.store().set_policy(jurisdiction, retention_days, ACTOR)?)
}

#[tauri::command]
async fn list_sessions(engine: EngineState<'_>, search: Option<String>) -> AppResult<Vec<SessionInfo>> {
    let search = search.as_deref().map(str::trim).filter(|s| !s.is_empty());
    Ok(engine.store().list_sessions(search)?)
}

#[tauri::command]
async fn start_session(
    engine: EngineState<'_>,
    form: StartSession,
    on_update: Channel<LiveUpdate>,
) -> AppResult<SessionStarted> {
    let engine = engine.inner().clone();
    tauri::async_runtime::spawn_blocking(move || {
        engine.start(
            &form,
            Box::new(move |u| {
                let _ = on_update.send(u);
            }),
        )
    })
    .await
    .map_err(|e| AppError::new("internal", e.to_string()))?
}

fn header_u64(request: &Request<'_>, name: &str) -> AppResult<u64> {
    header(request, name)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| AppError::new("bad_frame", format!("missing or invalid header {name}")))
}

fn header<'a>(request: &'a Request<'_>, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The pixel layout named by `x-frame-format` (`rgba`, the default, or `i420`) with `x-frame-matrix` (`bt601`,
/// `bt709`) and `x-frame-range` (`limited`, `full`) for I420.
fn frame_layout(request: &Request<'_>) -> AppResult<PixelLayout> {
    let bad = |what: &str| AppError::new("bad_frame", format!("unsupported {what}"));
    match header(request, "x-frame-format").unwrap_or("rgba") {
        "rgba" => Ok(PixelLayout::Rgba8),
        "i420" => Ok(PixelLayout::I420 {
            matrix: match header(request, "x-frame-matrix").unwrap_or("bt601") {
                "bt601" => YuvMatrix::Bt601,
                "bt709" => YuvMatrix::Bt709,
                _ => return Err(bad("x-frame-matrix")),
            },
            full_range: match header(request, "x-frame-range").unwrap_or("limited") {
                "limited" => false,
                "full" => true,
                _ => return Err(bad("x-frame-range")),
            },
        }),
        _ => Err(bad("x-frame-format")),
    }
}

/// A frame: the pixels as the raw body; `x-frame-width`, `x-frame-height`, `x-frame-t` (ms) and optionally
/// `x-frame-format` (see [`frame_layout`]) as headers.
#[tauri::command]
async fn push_frame(engine: EngineState<'_>, request: Request<'_>) -> AppResult<FrameAck> {
    let InvokeBody::Raw(data) = request.body() else {
        return Err(AppError::new("bad_frame", "a frame must be sent as raw bytes, not JSON"));
    };
    let width = u32::try_from(header_u64(&request, "x-frame-width")?)
        .map_err(|_| AppError::new("bad_frame", "frame width out of range"))?;
    let height = u32::try_from(header_u64(&request, "x-frame-height")?)
        .map_err(|_| AppError::new("bad_frame", "frame height out of range"))?;
    let t_ms = header_u64(&request, "x-frame-t")?;
    let layout = frame_layout(&request)?;
    let accepted = engine.push_frame(t_ms, width, height, layout, data.clone())?;
    Ok(FrameAck { accepted })
}

#[tauri::command]
async fn set_paused(engine: EngineState<'_>, paused: bool) -> AppResult<()> {
    engine.set_paused(paused)
}

#[tauri::command]
async fn add_marker(engine: EngineState<'_>, t_ms: u64, label: String) -> AppResult<()> {
    engine.add_marker(t_ms, &label)
}

#[tauri::command]
async fn add_note(engine: EngineState<'_>, session_id: Option<i64>, t_ms: Option<u64>, text: String) -> AppResult<()> {
    engine.add_note(session_id, t_ms, &text)
}

#[tauri::command]
async fn stop_session(engine: EngineState<'_>) -> AppResult<SessionExport> {
    let engine = engine.inner().clone();
    tauri::async_runtime::spawn_blocking(move || engine.stop(ACTOR))
        .await
        .map_err(|e| AppError::new("internal", e.to_string()))?
}

#[tauri::command]
async fn get_report(engine: EngineState<'_>, id: i64) -> AppResult<SessionExport> {
    Ok(engine.store().report(id, ACTOR)?)
}

/// Write a session to a file the user picks in a save dialog (`path: null` when they cancel).
#[tauri::command]
async fn export_session(app: AppHandle, engine: EngineState<'_>, id: i64, format: ExportFormat) -> AppResult<Exported> {
    // the name needs the session row only; the export itself is read (and audited) once the path is known
    let name = mien_report::file_name(&engine.store().session(id)?, format);
    let path: Option<PathBuf> = match std::env::var_os("MIEN_E2E_SAVE_DIR") {
        Some(dir) => Some(PathBuf::from(dir).join(&name)),
        None => {
            let picked = app
                .dialog()
                .file()
                .set_title("Export session")
                .set_file_name(&name)
                .add_filter(format.name().to_uppercase(), &[format.extension()])
                .blocking_save_file();
            match picked {
                Some(p) => {
                    Some(p.into_path().map_err(|e| AppError::new("invalid_input", format!("not a file path: {e}")))?)
                }
                None => None,
            }
        }
    };
    let Some(path) = path else { return Ok(Exported { path: None, bytes: 0 }) };
    // Audit the export first: an export that is not in the audit log must not exist.
    let export = engine.store().export(id, ACTOR, format.name())?;
    let bytes = mien_report::render(&export, format);
    let tmp = path.with_extension(format!("{}.part", format.extension()));
    std::fs::write(&tmp, &bytes).and_then(|()| std::fs::rename(&tmp, &path)).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        let code = if e.raw_os_error() == Some(28) { "disk_full" } else { "storage" };
        AppError::new(code, format!("cannot write {}: {e}", path.display()))
    })?;
    Ok(Exported { path: Some(path.display().to_string()), bytes: bytes.len() as u64 })
}

#[tauri::command]
async fn delete_session(engine: EngineState<'_>, id: i64) -> AppResult<()> {
    engine.store().delete_session(id, ACTOR)?;
    Ok(())
}

/// Let the webview use the camera (WebKitGTK denies it without a handler); on request, use WebKit's mock device.
#[cfg(target_os = "linux")]
fn configure_webview(window: &tauri::WebviewWindow) {
    let mock = mock_camera();
    let _ = window.with_webview(move |wv| {
        use webkit2gtk::{SettingsExt, WebViewExt};
        let view = wv.inner();
        if let Some(settings) = view.settings() {
            settings.set_enable_media_stream(true);
            if mock {
                settings.set_enable_mock_capture_devices(true);
                settings.set_enable_webrtc(true);
            }
        }
        if mock {
            view.reload();
        }
    });
}

#[cfg(not(target_os = "linux"))]
fn configure_webview(_window: &tauri::WebviewWindow) {}

/// The same database as the `mien` command line (`MIEN_DB`, else `~/.local/share/mien/mien.db`), so sessions saved
/// by either appear in both; else the platform's app data folder.
fn db_path(app: &AppHandle) -> AppResult<PathBuf> {
    if let Some(p) = mien_store::default_db_path() {
        return Ok(p);
    }
    let dir = app
        .path()
        .app_data_dir()
        .map_err(|e| AppError::new("storage", format!("no data folder for this user: {e}")))?;
    Ok(dir.join("mien.db"))
}

pub fn run() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MIEN_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,ort=warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .on_permission_request(|_, kind| match kind {
            PermissionKind::Camera => PermissionResponse::Allow,
            _ => PermissionResponse::Deny,
        })
        .setup(|app| {
            let handle = app.handle();
            let paths =
                Paths { db: db_path(handle)?, resources: app.path().resource_dir().ok(), runtime_library: None };
            let engine = Engine::open(paths)?;
            app.manage(Arc::new(engine));
            if let Some(window) = app.get_webview_window("main") {
                configure_webview(&window);
            }
            Ok(())
        })
        .invoke_handler(app_commands!())
        .build(tauri::generate_context!());
    let app = match app {
        Ok(a) => a,
        Err(e) => {
            eprintln!("Mien could not start: {e}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event
            && let Some(engine) = handle.try_state::<Arc<Engine>>()
        {
            engine.shutdown();
        }
    });
}
