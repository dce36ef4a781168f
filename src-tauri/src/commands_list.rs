// The IPC commands the webview may call. `build.rs` declares each in the app manifest (so Tauri generates an
// `allow-<command>` permission), `capabilities/main.json` grants them to the main window, and `tests/security.rs`
// checks this list against the handlers and the capability.
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
