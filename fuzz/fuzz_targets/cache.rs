//! Any text as the cache file: a lookup is a miss or the entry of the directory asked for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use q_status::cache;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(e) = cache::lookup(text, "/home/u/project") {
        assert_eq!(e.dir, "/home/u/project");
    }
    for (e, hash_ok) in cache::entries(text).unwrap_or_default() {
        let found = cache::lookup(text, &e.dir);
        if hash_ok {
            assert_eq!(found.map(|f| f.dir), Some(e.dir));
        }
    }
});
