//! Any bytes as a conversation row: parse, count and build the usage model without a panic,
//! an overflow or a hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use q_status::count;
use q_status::usage::{per_turn_pct, Usage};

fuzz_target!(|data: &[u8]| {
    let Ok(c) = count::parse(data) else { return };
    let u = Usage::from_conversation(&c);
    assert_eq!(u.turns, c.turns.len());
    assert!(u.window > 0);
    // A row with nothing countable may still be well-formed; counts never exceed the row,
    // except the context figure, which is a number the row states.
    let counted = u.breakdown.user + u.breakdown.assistant;
    assert!(counted <= data.len() as u64, "{counted} > {}", data.len());
    let _ = per_turn_pct(&c, u.window);
});
