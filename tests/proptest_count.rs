//! The streaming counter against a reference: random conversations in every history shape,
//! counted by `count::parse` and by a plain walk over `serde_json::Value` written straight from
//! the formula in q-data.md §3. They must agree exactly, byte for byte.
//!
//! `PROPTEST_CASES` raises the case count (default 512 per property).

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use q_status::count::{self, tokens_from_bytes};
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------------------------
// The reference: q-data.md §3 over a `serde_json::Value`, no cleverness.

/// The CLI's value count: strings their bytes, scalars 1, containers the sum of their values.
fn value_count(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.len() as u64,
        Value::Null | Value::Bool(_) | Value::Number(_) => 1,
        Value::Array(a) => a.iter().map(value_count).sum(),
        Value::Object(o) => o.values().map(value_count).sum(),
    }
}

fn str_len(v: Option<&Value>) -> u64 {
    v.and_then(Value::as_str).map_or(0, |s| s.len() as u64)
}

fn tool_results_len(results: Option<&Value>) -> u64 {
    let Some(results) = results.and_then(Value::as_array) else {
        return 0;
    };
    let mut n = 0;
    for r in results {
        for block in r["content"].as_array().into_iter().flatten() {
            n += str_len(block.get("Text"));
            n += block.get("Json").map_or(0, value_count);
        }
    }
    n
}

/// `(bytes, is_prompt)` of a `UserMessage`.
fn user_len(u: &Value) -> (u64, bool) {
    let mut n = str_len(u.get("additional_context"));
    let mut is_prompt = false;
    if let Some(content) = u.get("content").and_then(Value::as_object) {
        for (variant, body) in content {
            if !matches!(
                variant.as_str(),
                "Prompt" | "ToolUseResults" | "CancelledToolUses"
            ) {
                continue;
            }
            n += str_len(body.get("prompt"));
            n += tool_results_len(body.get("tool_use_results"));
            is_prompt = variant == "Prompt";
        }
    }
    (n, is_prompt)
}

/// An `AssistantMessage`: `content` plus the value count of every tool use's `args`.
fn assistant_len(a: &Value) -> u64 {
    let mut n = 0;
    for body in a.as_object().into_iter().flat_map(|o| o.values()) {
        n += str_len(body.get("content"));
        for t in body["tool_uses"].as_array().into_iter().flatten() {
            n += t.get("args").map_or(0, value_count);
        }
    }
    n
}

#[derive(Debug, PartialEq)]
struct Expected {
    turns: Vec<(u64, u64, bool, Option<f64>)>,
    context: u64,
    tools: u64,
    model: Option<String>,
    window: Option<u64>,
    summarized: bool,
    credits: Option<f64>,
}

fn reference(row: &Value) -> Expected {
    let mut turns = Vec::new();
    for e in row["history"].as_array().into_iter().flatten() {
        let (user, assistant, meta) = match e {
            Value::Array(pair) => (pair.first(), pair.get(1), None),
            _ => (e.get("user"), e.get("assistant"), e.get("request_metadata")),
        };
        let (u, is_prompt) = user.map_or((0, false), user_len);
        let a = assistant.map_or(0, assistant_len);
        let pct = meta.and_then(|m| m.get("context_usage_percentage")?.as_f64());
        turns.push((u, a, is_prompt, pct));
    }
    let tools = row["tools"]
        .as_object()
        .map_or(0, |m| m.values().map(|v| v.to_string().len() as u64).sum());
    let context = row["context_message_length"]
        .as_u64()
        .map_or(0, |n| n + 154);
    let model = row["model_info"]["model_id"]
        .as_str()
        .or(row["model"].as_str())
        .map(str::to_owned);
    let usage_info = row["user_turn_metadata"]["usage_info"].as_array();
    let credits = usage_info
        .filter(|v| !v.is_empty())
        .map(|v| v.iter().map(|u| u["value"].as_f64().unwrap_or(0.0)).sum());
    Expected {
        turns,
        context,
        tools,
        model,
        window: row["model_info"]["context_window_tokens"].as_u64(),
        summarized: !row["latest_summary"].is_null(),
        credits,
    }
}

// ---------------------------------------------------------------------------------------------
// Generators: the shapes of q-data.md §2, with noise the count must skip.

fn text() -> BoxedStrategy<String> {
    prop_oneof![
        4 => "[a-z /._-]{0,16}",
        2 => vec(any::<char>(), 0..12).prop_map(String::from_iter),
        1 => Just(String::new()),
        2 => r#"["\\\x00-\x1f\x7fé€😀\u{202e}\u{200b}]{0,10}"#,
    ]
    .boxed()
}

fn number() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        (-1000i64..1000).prop_map(|n| Value::from(n as f64 / 8.0)),
    ]
    .boxed()
}

fn leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ]
    .boxed()
}

fn any_json() -> BoxedStrategy<Value> {
    leaf()
        .prop_recursive(5, 48, 6, |inner| {
            prop_oneof![
                vec(inner.clone(), 0..6).prop_map(Value::Array),
                btree_map(text(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
        .boxed()
}

/// A chain of up to 100 nested arrays and objects (serde_json stops at 128 levels in all).
fn deep_json() -> BoxedStrategy<Value> {
    (1usize..100, leaf(), any::<u64>())
        .prop_map(|(depth, mut v, pattern)| {
            for i in 0..depth {
                v = if pattern >> (i % 64) & 1 == 0 {
                    json!([v, 1])
                } else {
                    json!({"k": v, "n": null})
                };
            }
            v
        })
        .boxed()
}

fn json_arg() -> BoxedStrategy<Value> {
    prop_oneof![4 => any_json(), 1 => deep_json()].boxed()
}

fn block() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => text().prop_map(|s| json!({"Text": s})),
        3 => json_arg().prop_map(|v| json!({"Json": v})),
        1 => any_json().prop_map(|v| json!({"Image": v})),
    ]
    .boxed()
}

fn tool_results() -> BoxedStrategy<Value> {
    vec(
        (
            text(),
            vec(block(), 0..4),
            prop_oneof![Just("Success"), Just("Error")],
        ),
        0..4,
    )
    .prop_map(|rs| {
        Value::Array(
            rs.into_iter()
                .map(|(id, content, status)| {
                    json!({"tool_use_id": id, "content": content, "status": status})
                })
                .collect(),
        )
    })
    .boxed()
}

fn user_content() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => text().prop_map(|p| json!({"Prompt": {"prompt": p}})),
        3 => tool_results().prop_map(|r| json!({"ToolUseResults": {"tool_use_results": r}})),
        1 => (text(), tool_results())
            .prop_map(|(p, r)| json!({"CancelledToolUses": {"prompt": p, "tool_use_results": r}})),
        1 => tool_results()
            .prop_map(|r| json!({"CancelledToolUses": {"prompt": null, "tool_use_results": r}})),
        1 => any_json().prop_map(|v| json!({"FutureVariant": v})),
        1 => Just(Value::Null),
    ]
    .boxed()
}

fn user() -> BoxedStrategy<Value> {
    (
        prop::option::of(text()),
        user_content(),
        prop_oneof![
            Just(Value::Null),
            Just(json!("2025-09-01T10:20:30.123+02:00")),
            text().prop_map(Value::String),
        ],
        prop_oneof![
            Just(Value::Null),
            vec(any::<u8>(), 0..40).prop_map(|b| json!([[b]]))
        ],
        any_json(),
    )
        .prop_map(|(ctx, content, ts, images, env)| {
            let mut m = Map::new();
            if let Some(c) = ctx {
                m.insert("additional_context".into(), c.into());
            }
            m.insert("env_context".into(), json!({"env_state": env}));
            m.insert("content".into(), content);
            if !ts.is_null() {
                m.insert("timestamp".into(), ts);
            }
            m.insert("images".into(), images);
            Value::Object(m)
        })
        .boxed()
}

fn assistant() -> BoxedStrategy<Value> {
    let tool_use = (text(), json_arg(), any_json()).prop_map(|(name, args, orig)| {
        json!({"id": "tooluse_1", "name": name, "orig_name": name, "args": args, "orig_args": orig})
    });
    prop_oneof![
        (text(), text()).prop_map(|(id, c)| json!({"Response": {"message_id": id, "content": c}})),
        (text(), vec(tool_use, 0..4), prop::option::of(text())).prop_map(|(c, uses, thinking)| {
            json!({"ToolUse": {"message_id": "m", "content": c, "tool_uses": uses, "thinking": thinking}})
        }),
    ]
    .boxed()
}

fn request_metadata() -> BoxedStrategy<Value> {
    prop_oneof![
        1 => Just(Value::Null),
        3 => (
            prop::option::of(0.0f64..150.0),
            prop::option::of(0i64..2_000_000_000_000),
            text(),
            any::<u32>(),
        )
            .prop_map(|(pct, start, model, len)| {
                json!({"request_id": "r", "message_id": "m", "context_usage_percentage": pct,
                    "request_start_timestamp_ms": start, "stream_end_timestamp_ms": start.map(|s| s + 900),
                    "time_to_first_chunk": {"secs": 1, "nanos": 5}, "time_between_chunks": [],
                    "user_prompt_length": len, "response_size": len, "model_id": model,
                    "chat_conversation_type": "NotToolUse", "tool_use_ids_and_names": [],
                    "message_meta_tags": []})
            }),
    ]
    .boxed()
}

fn entry() -> BoxedStrategy<Value> {
    prop_oneof![
        (user(), assistant()).prop_map(|(u, a)| json!([u, a])),
        (user(), assistant(), request_metadata())
            .prop_map(|(u, a, m)| json!({"user": u, "assistant": a, "request_metadata": m})),
    ]
    .boxed()
}

fn tools() -> BoxedStrategy<Value> {
    let spec = (text(), text(), any_json()).prop_map(|(name, desc, schema)| {
        json!({"ToolSpecification": {"name": name, "description": desc, "input_schema": {"json": schema}}})
    });
    prop_oneof![
        1 => Just(Value::Null),
        3 => btree_map(text(), vec(spec, 0..4), 0..4)
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k, Value::Array(v))).collect())),
        1 => btree_map(text(), any_json(), 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
    ]
    .boxed()
}

/// History shape: all pairs (Q v1.10 – v1.12), all objects (v1.13+, Kiro), or mixed.
fn history() -> BoxedStrategy<Vec<Value>> {
    (0u8..3, vec(entry(), 0..8))
        .prop_map(|(shape, entries)| {
            entries
                .into_iter()
                .filter(|e| match shape {
                    0 => e.is_array(),
                    1 => e.is_object(),
                    _ => true,
                })
                .collect()
        })
        .boxed()
}

fn conversation() -> BoxedStrategy<Value> {
    (
        history(),
        tools(),
        prop_oneof![Just(Value::Null), (0u64..10_000_000).prop_map(Value::from)],
        prop_oneof![
            Just(Value::Null),
            text().prop_map(Value::String),
            text().prop_map(|s| json!([s, {"request_id": "r"}])),
        ],
        (
            prop::option::of(text()),
            prop::option::of((prop::option::of(text()), prop::option::of(0u64..2_000_000))),
        ),
        prop::option::of(vec(prop::option::of(0.0f64..10.0), 0..4)),
    )
        .prop_map(|(history, tools, cml, summary, (model, info), usage)| {
            let snapshot = Value::Array(history.clone());
            let mut m = Map::new();
            m.insert("conversation_id".into(), json!("5f1e2c4a"));
            m.insert("history".into(), Value::Array(history));
            m.insert("valid_history_range".into(), json!([0, 3]));
            m.insert("transcript".into(), json!(["> hi", "hello"]));
            m.insert("tools".into(), tools);
            m.insert("context_manager".into(), json!({"paths": ["AGENTS.md"]}));
            m.insert("context_message_length".into(), cml);
            m.insert("latest_summary".into(), summary);
            if let Some(model) = model {
                m.insert("model".into(), model.into());
            }
            if let Some((id, window)) = info {
                m.insert(
                    "model_info".into(),
                    json!({"model_name": "n", "model_id": id, "context_window_tokens": window}),
                );
            }
            // Full copies of the history that must never be counted.
            m.insert(
                "checkpoint_manager".into(),
                json!({"checkpoints": [{"history_snapshot": snapshot}]}),
            );
            if let Some(values) = usage {
                let info: Vec<Value> = values
                    .into_iter()
                    .map(|v| json!({"value": v, "unit": "credit", "unit_plural": "credits"}))
                    .collect();
                m.insert(
                    "user_turn_metadata".into(),
                    json!({"continuation_id": "c", "requests": [], "usage_info": info}),
                );
            }
            Value::Object(m)
        })
        .boxed()
}

// ---------------------------------------------------------------------------------------------

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(512)
}

/// Counts `text` both ways and compares every figure.
fn check(text: &str) -> Result<(), TestCaseError> {
    let row: Value = serde_json::from_str(text).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let want = reference(&row);
    let got = count::parse(text.as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let turns: Vec<_> = got
        .turns
        .iter()
        .map(|t| (t.user_bytes, t.assistant_bytes, t.is_prompt, t.backend_pct))
        .collect();
    prop_assert_eq!(&turns, &want.turns);
    prop_assert_eq!(got.context_bytes, want.context);
    prop_assert_eq!(got.tools_bytes, want.tools);
    prop_assert_eq!(&got.model, &want.model);
    prop_assert_eq!(got.context_window, want.window);
    prop_assert_eq!(got.summarized, want.summarized);
    prop_assert_eq!(got.credits, want.credits);
    let total: u64 = want.context + want.tools + want.turns.iter().map(|t| t.0 + t.1).sum::<u64>();
    let usage = q_status::usage::Usage::from_conversation(&got);
    prop_assert_eq!(usage.estimate_tokens(), tokens_from_bytes(total));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Compact JSON, as the CLIs write it.
    #[test]
    fn counter_matches_reference(conv in conversation()) {
        check(&serde_json::to_string(&conv).unwrap())?;
    }

    /// Pretty JSON with unicode escapes: whitespace and `\uXXXX` must change nothing.
    #[test]
    fn counter_ignores_layout_and_escapes(conv in conversation()) {
        let pretty = serde_json::to_string_pretty(&conv).unwrap();
        check(&pretty)?;
        // The same document with every non-ASCII character written as a \u escape.
        let mut ascii = String::with_capacity(pretty.len());
        for c in pretty.chars() {
            if c.is_ascii() {
                ascii.push(c);
            } else {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    ascii.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
        check(&ascii)?;
    }

    /// Any JSON value as a tool's `args` or a result's `Json` block: the value count.
    #[test]
    fn value_count_matches_reference(v in json_arg()) {
        let text = serde_json::to_string(&v).unwrap();
        let reparsed: Value = serde_json::from_str(&text).unwrap();
        let got: count::ValueCount = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(got.0, value_count(&reparsed));
        let got: count::CompactLen = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(got.0, reparsed.to_string().len() as u64);
    }
}

/// Regressions found by the properties and the fuzzer, kept as plain tests.
#[test]
fn null_args_count_one_like_any_null() {
    let row = r#"{"history":[{"user":{"content":{"Prompt":{"prompt":"ab"}}},"assistant":{"ToolUse":{"content":"c","tool_uses":[{"id":"t","name":"n","args":null}]}},"request_metadata":null}]}"#;
    check(row).unwrap();
    assert_eq!(count::parse(row.as_bytes()).unwrap().assistant_bytes(), 2);
}

#[test]
fn huge_context_message_length_does_not_overflow() {
    let row = format!(
        r#"{{"context_message_length":{},"history":[],"tools":{{"a":[1]}}}}"#,
        u64::MAX
    );
    let c = count::parse(row.as_bytes()).unwrap();
    let u = q_status::usage::Usage::from_conversation(&c);
    assert_eq!(c.context_bytes, u64::MAX);
    assert!(u.estimate_tokens() > 0);
}
