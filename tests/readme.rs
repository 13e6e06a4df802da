//! The README documents every placeholder and every config key the code knows, so the two
//! cannot drift apart silently.

use std::path::Path;

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

#[test]
fn every_placeholder_is_in_the_readme_table() {
    let readme = read("README.md");
    for (name, _) in q_status::template::PLACEHOLDERS {
        assert!(
            readme.contains(&format!("| `<{name}>` |")),
            "README lacks <{name}>"
        );
    }
}

#[test]
fn every_config_key_is_in_the_readme() {
    let readme = read("README.md");
    let src = read("src/config.rs");
    let start = src.find("pub struct Config {").unwrap() + "pub struct Config {".len();
    let body = &src[start..];
    let body = &body[..body.find("\n}").unwrap()];
    let keys: Vec<&str> = body
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub "))
        .filter_map(|l| l.split(':').next())
        .collect();
    assert!(keys.len() >= 10, "{keys:?}");
    for key in keys {
        let documented =
            readme.contains(&format!("\n{key} =")) || readme.contains(&format!("[{key}]"));
        assert!(documented, "README's config examples lack `{key}`");
    }
}
