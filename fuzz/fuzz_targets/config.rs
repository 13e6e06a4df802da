//! Any text as the config file: a config or an error message, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match q_status::config::parse(text, Path::new("/c/config.toml")) {
        Ok(cfg) => {
            if let Some(f) = &cfg.format {
                let _ = q_status::template::Template::parse(f);
            }
        }
        Err(e) => assert!(e.starts_with("/c/config.toml:"), "{e}"),
    }
});
