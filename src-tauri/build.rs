//! Declares every IPC command in the app manifest, so that each one gets an `allow-<command>` permission that
//! `capabilities/main.json` grants to the main window only (anything not granted is refused by Tauri's ACL).

/// Every command the webview may call; `tests/security.rs` checks this list against the handlers and the capability.
pub const COMMANDS: &[&str] = &[
    "app_info",
    "save_policy",
    "list_sessions",
    "start_session",
    "push_frame",
    "set_paused",
    "add_marker",
    "add_note",
    "stop_session",
    "get_report",
    "export_session",
    "delete_session",
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("tauri-build failed");
}
