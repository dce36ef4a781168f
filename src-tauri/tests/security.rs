//! The security configuration, checked: every command declared and granted to the main window only, nothing else
//! granted (no shell, filesystem, HTTP, opener or dialog access for the webview), a strict CSP without remote
//! origins, and the handler list equal to the declared list.

use std::path::Path;

use mien_app::commands_list::COMMANDS;
use serde_json::Value;

fn read(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn json(rel: &str) -> Value {
    serde_json::from_str(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The names inside `tauri::generate_handler![...]` in lib.rs.
fn handler_names() -> Vec<String> {
    let src = read("src/lib.rs");
    let start = src.find("tauri::generate_handler![").expect("generate_handler!") + "tauri::generate_handler![".len();
    let end = start + src[start..].find(']').expect("]");
    src[start..end].split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

#[test]
fn handlers_match_the_declared_commands() {
    assert_eq!(handler_names(), COMMANDS.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    let src = read("src/lib.rs");
    let defined = src.matches("#[tauri::command]").count();
    assert_eq!(defined, COMMANDS.len(), "every #[tauri::command] is in the list, and nothing else");
    for c in COMMANDS {
        assert!(src.contains(&format!("async fn {c}(")), "{c} is an async command (never blocks the main thread)");
    }
}

#[test]
fn capabilities_grant_the_commands_to_the_main_window_only() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("capabilities");
    let files: Vec<_> = std::fs::read_dir(&dir).expect("capabilities/").flatten().collect();
    assert_eq!(files.len(), 1, "one capability file");
    let cap = json("capabilities/main.json");
    assert_eq!(cap["windows"], serde_json::json!(["main"]));
    assert!(cap.get("webviews").is_none() && cap.get("remote").is_none(), "no remote origins, no other webviews");
    assert_eq!(cap["local"], Value::Bool(true));
    let granted: Vec<&str> =
        cap["permissions"].as_array().expect("permissions").iter().filter_map(Value::as_str).collect();
    let expected: Vec<String> = COMMANDS.iter().map(|c| format!("allow-{}", c.replace('_', "-"))).collect();
    for e in &expected {
        assert!(granted.contains(&e.as_str()), "{e} not granted");
    }
    for g in &granted {
        let ok = expected.iter().any(|e| e == g);
        assert!(ok, "unexpected permission {g}: the webview gets Mien's commands and nothing else");
        for bad in
            ["shell", "fs:", "http", "opener", "dialog", "process", "core:default", "core:webview", "core:window"]
        {
            assert!(!g.contains(bad), "forbidden permission {g}");
        }
    }
}

#[test]
fn the_csp_is_strict_and_local() {
    let conf = json("tauri.conf.json");
    let sec = &conf["app"]["security"];
    assert_eq!(sec["freezePrototype"], Value::Bool(true));
    assert!(sec.get("dangerousDisableAssetCspModification").is_none());
    assert!(sec.get("assetProtocol").is_none(), "no asset protocol: the webview reads no files");
    assert_eq!(conf["app"]["withGlobalTauri"], Value::Bool(false));
    let csp = sec["csp"].as_object().expect("csp as directives");
    assert_eq!(csp["default-src"], "'self'");
    assert_eq!(csp["object-src"], "'none'");
    assert_eq!(csp["base-uri"], "'none'");
    for (directive, value) in csp {
        let v = value.as_str().expect("string");
        for bad in ["'unsafe-eval'", "'unsafe-inline'", "*", "https:", "http:", "data:", "wss:", "ws:"] {
            let allowed_ipc = directive == "connect-src" && v == "ipc: http://ipc.localhost";
            assert!(allowed_ipc || !v.split(' ').any(|t| t == bad.trim()), "{directive} allows {bad}: {v}");
        }
        for token in v.split(' ') {
            let remote = token.contains("://") && !token.starts_with("http://ipc.localhost");
            assert!(!remote, "{directive} names a remote origin {token}");
        }
    }
    let windows = conf["app"]["windows"].as_array().expect("windows");
    assert_eq!(windows.len(), 1);
    assert_eq!(windows[0]["label"], "main");
    assert!(windows[0].get("url").is_none_or(|u| !u.as_str().unwrap_or("").contains("://")), "local content only");
}

#[test]
fn no_risky_tauri_features_or_plugins() {
    let cargo = read("Cargo.toml");
    for bad in ["protocol-asset", "tauri-plugin-shell", "tauri-plugin-fs", "tauri-plugin-http", "devtools", "unstable"]
    {
        assert!(!cargo.contains(bad), "Cargo.toml mentions {bad}");
    }
    let src = read("src/lib.rs");
    assert!(src.contains("PermissionKind::Camera => PermissionResponse::Allow"));
    assert!(src.contains("_ => PermissionResponse::Deny"), "every other webview permission is denied");
}
