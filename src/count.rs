//! Parse-and-count: turns one conversation row (the CLI's `ConversationState` JSON) into byte
//! counts, without building a `serde_json::Value` of the whole row.
//!
//! Every field the count needs is read by a small serde visitor that keeps only a number
//! (`ByteLen`, `ValueCount`, `CompactLen`); everything else is skipped with `IgnoredAny`. That keeps
//! a 10 MB row to one pass and a few kilobytes of allocations. The rules are the CLI's own
//! (`docs/q-data.md` §3): every "char" is a UTF-8 byte.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// What one row holds, reduced to what q-status shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversation {
    pub conversation_id: Option<String>,
    /// `model_info.model_id`, else the legacy `model` string.
    pub model: Option<String>,
    /// `model_info.context_window_tokens`.
    pub context_window: Option<u64>,
    /// `context_message_length + 154` when present, else 0.
    pub context_bytes: u64,
    pub tools_bytes: u64,
    pub turns: Vec<Turn>,
    /// Σ `user_turn_metadata.usage_info[].value` (credits of the current user turn).
    pub credits: Option<f64>,
    /// Whether the conversation has been compacted (`latest_summary` is set).
    pub summarized: bool,
}

/// One history entry (a request and its response).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Turn {
    pub user_bytes: u64,
    pub assistant_bytes: u64,
    /// True when the user content was a typed prompt (not tool results).
    pub is_prompt: bool,
    /// `request_metadata.context_usage_percentage`: the service's own figure.
    pub backend_pct: Option<f64>,
    /// Unix milliseconds: `request_start_timestamp_ms`, else the user message's `timestamp`.
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    /// `request_metadata.model_id`.
    pub model_id: Option<String>,
}

impl Conversation {
    pub fn user_bytes(&self) -> u64 {
        self.turns.iter().map(|t| t.user_bytes).sum()
    }

    pub fn assistant_bytes(&self) -> u64 {
        self.turns.iter().map(|t| t.assistant_bytes).sum()
    }

    /// The newest non-null service percentage in the history.
    pub fn backend_pct(&self) -> Option<f64> {
        self.turns.iter().rev().find_map(|t| t.backend_pct)
    }

    /// Time of the newest activity recorded in the row, in unix milliseconds.
    pub fn last_activity_ms(&self) -> Option<i64> {
        self.turns
            .iter()
            .rev()
            .find_map(|t| t.end_ms.or(t.start_ms))
    }
}

/// Parses one conversation row.
pub fn parse(json: &[u8]) -> Result<Conversation, serde_json::Error> {
    // Validating UTF-8 once up front lets serde_json skip the check on every string it reads
    // (about a tenth of the parse); invalid input still gets serde_json's positioned error.
    let raw: RawConversation = match std::str::from_utf8(json) {
        Ok(text) => serde_json::from_str(text)?,
        Err(_) => serde_json::from_slice(json)?,
    };
    Ok(raw.into())
}

/// The CLI's token estimate: `(chars / 4 + 5) / 10 * 10`, applied once to the total.
pub fn tokens_from_bytes(bytes: u64) -> u64 {
    (bytes / 4 + 5) / 10 * 10
}

#[derive(serde::Deserialize)]
struct RawConversation {
    conversation_id: Option<String>,
    #[serde(default)]
    history: Vec<RawEntry>,
    tools: Option<ToolsLen>,
    context_message_length: Option<u64>,
    model: Option<String>,
    model_info: Option<RawModelInfo>,
    latest_summary: Option<IgnoredAny>,
    user_turn_metadata: Option<RawTurnMetadata>,
}

impl From<RawConversation> for Conversation {
    fn from(raw: RawConversation) -> Self {
        let (model_id, window) = match raw.model_info {
            Some(info) => (info.model_id, info.context_window_tokens),
            None => (None, None),
        };
        let credits = raw
            .user_turn_metadata
            .and_then(|m| m.usage_info)
            .filter(|v| !v.is_empty())
            .map(|v| v.iter().map(|u| u.value.unwrap_or(0.0)).sum());
        Conversation {
            conversation_id: raw.conversation_id,
            model: model_id.or(raw.model),
            context_window: window,
            // The row states this number; a hostile one must not overflow the sums below.
            context_bytes: raw
                .context_message_length
                .map_or(0, |n| n.saturating_add(154)),
            tools_bytes: raw.tools.map_or(0, |t| t.0),
            turns: raw.history.into_iter().map(|e| e.0).collect(),
            credits,
            summarized: raw.latest_summary.is_some(),
        }
    }
}

#[derive(serde::Deserialize)]
struct RawModelInfo {
    model_id: Option<String>,
    context_window_tokens: Option<u64>,
}

#[derive(serde::Deserialize)]
struct RawTurnMetadata {
    usage_info: Option<Vec<RawUsageInfo>>,
}

#[derive(serde::Deserialize)]
struct RawUsageInfo {
    value: Option<f64>,
}

#[derive(serde::Deserialize)]
struct RawRequestMetadata {
    context_usage_percentage: Option<f64>,
    request_start_timestamp_ms: Option<i64>,
    stream_end_timestamp_ms: Option<i64>,
    model_id: Option<String>,
}

/// A history entry: `[user, assistant]` (Q v1.10 – v1.12) or
/// `{"user", "assistant", "request_metadata"}` (v1.13+, Kiro).
struct RawEntry(Turn);

impl<'de> Deserialize<'de> for RawEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = RawEntry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a history entry (array or object)")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawEntry, A::Error> {
                let user: Option<RawUser> = seq.next_element()?;
                let assistant: Option<AssistantLen> = seq.next_element()?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                let mut turn = Turn::default();
                turn.start_ms = user.unwrap_or_default().apply(&mut turn);
                turn.assistant_bytes = assistant.map_or(0, |a| a.0);
                Ok(RawEntry(turn))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawEntry, A::Error> {
                let mut turn = Turn::default();
                let mut meta: Option<RawRequestMetadata> = None;
                let mut user_ts: Option<i64> = None;
                while let Some(key) = map.next_key::<Key>()? {
                    match key {
                        Key::User => {
                            let user: Option<RawUser> = map.next_value()?;
                            user_ts = user.unwrap_or_default().apply(&mut turn);
                        }
                        Key::Assistant => {
                            let a: Option<AssistantLen> = map.next_value()?;
                            turn.assistant_bytes = a.map_or(0, |a| a.0);
                        }
                        Key::RequestMetadata => meta = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                if let Some(m) = meta {
                    turn.backend_pct = m.context_usage_percentage;
                    turn.start_ms = m.request_start_timestamp_ms;
                    turn.end_ms = m.stream_end_timestamp_ms;
                    turn.model_id = m.model_id;
                }
                turn.start_ms = turn.start_ms.or(user_ts);
                Ok(RawEntry(turn))
            }
        }
        d.deserialize_any(EntryVisitor)
    }
}

/// The map keys the counter branches on; any other key is `Other` and its value is skipped.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    User,
    Assistant,
    RequestMetadata,
    Prompt,
    ToolUseResults,
    CancelledToolUses,
    Text,
    Json,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "user" => Key::User,
                    "assistant" => Key::Assistant,
                    "request_metadata" => Key::RequestMetadata,
                    "Prompt" => Key::Prompt,
                    "ToolUseResults" => Key::ToolUseResults,
                    "CancelledToolUses" => Key::CancelledToolUses,
                    "Text" => Key::Text,
                    "Json" => Key::Json,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// `UserMessage`: `{additional_context, content, timestamp, ...}`.
#[derive(Default, serde::Deserialize)]
struct RawUser {
    additional_context: Option<ByteLen>,
    content: Option<UserContentLen>,
    #[serde(default, deserialize_with = "rfc3339_ms")]
    timestamp: Option<i64>,
}

impl RawUser {
    /// Adds this message's bytes to `turn`; returns its timestamp.
    fn apply(self, turn: &mut Turn) -> Option<i64> {
        let content = self.content.unwrap_or_default();
        turn.user_bytes = self.additional_context.map_or(0, |b| b.0) + content.bytes;
        turn.is_prompt = content.is_prompt;
        self.timestamp
    }
}

fn rfc3339_ms<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let s: Option<std::borrow::Cow<'de, str>> = Option::deserialize(d)?;
    Ok(s.and_then(|s| crate::time::parse_rfc3339_ms(&s)))
}

/// `{"Prompt":{prompt}}`, `{"ToolUseResults":{tool_use_results}}` or
/// `{"CancelledToolUses":{prompt, tool_use_results}}`; an unknown variant counts nothing.
#[derive(Default)]
struct UserContentLen {
    bytes: u64,
    is_prompt: bool,
}

impl<'de> Deserialize<'de> for UserContentLen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Body {
            prompt: Option<ByteLen>,
            tool_use_results: Option<Vec<ToolResultLen>>,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = UserContentLen;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a user message content")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = UserContentLen::default();
                while let Some(key) = map.next_key::<Key>()? {
                    match key {
                        Key::Prompt | Key::ToolUseResults | Key::CancelledToolUses => {
                            let body: Option<Body> = map.next_value()?;
                            if let Some(b) = body {
                                out.bytes += b.prompt.map_or(0, |p| p.0);
                                out.bytes += b
                                    .tool_use_results
                                    .map_or(0, |r| r.iter().map(|r| r.0).sum());
                            }
                            out.is_prompt = key == Key::Prompt;
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}

/// A tool result: `{tool_use_id, content:[{"Text": str} | {"Json": any}], status}`.
struct ToolResultLen(u64);

impl<'de> Deserialize<'de> for ToolResultLen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Raw {
            #[serde(default)]
            content: Vec<ResultBlockLen>,
        }
        let raw = Raw::deserialize(d)?;
        Ok(ToolResultLen(raw.content.iter().map(|b| b.0).sum()))
    }
}

/// `{"Text": str}` counts its bytes, `{"Json": any}` its value count.
struct ResultBlockLen(u64);

impl<'de> Deserialize<'de> for ResultBlockLen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ResultBlockLen;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a tool result block")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut n = 0;
                while let Some(key) = map.next_key::<Key>()? {
                    n += match key {
                        Key::Text => map.next_value::<Option<ByteLen>>()?.map_or(0, |b| b.0),
                        Key::Json => map.next_value::<ValueCount>()?.0,
                        _ => map.next_value::<IgnoredAny>().map(|_| 0)?,
                    };
                }
                Ok(ResultBlockLen(n))
            }
        }
        d.deserialize_map(V)
    }
}

/// `{"Response":{content}}` or `{"ToolUse":{content, tool_uses:[{args}]}}`:
/// content bytes plus the value count of every tool use's `args`.
struct AssistantLen(u64);

impl<'de> Deserialize<'de> for AssistantLen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Body {
            content: Option<ByteLen>,
            tool_uses: Option<Vec<ToolUse>>,
        }
        #[derive(serde::Deserialize)]
        struct ToolUse {
            // Missing counts nothing; `null` counts 1 like any null (q-data.md §3).
            #[serde(default)]
            args: ValueCount,
        }
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AssistantLen;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an assistant message")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut n = 0;
                while let Some(_variant) = map.next_key::<IgnoredAny>()? {
                    if let Some(body) = map.next_value::<Option<Body>>()? {
                        n += body.content.map_or(0, |c| c.0);
                        n += body
                            .tool_uses
                            .map_or(0, |uses| uses.iter().map(|u| u.args.0).sum());
                    }
                }
                Ok(AssistantLen(n))
            }
        }
        d.deserialize_map(V)
    }
}

/// The byte length of a JSON string, read without keeping the string.
#[derive(Debug, Clone, Copy)]
pub struct ByteLen(pub u64);

impl<'de> Deserialize<'de> for ByteLen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = ByteLen;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ByteLen, E> {
                Ok(ByteLen(v.len() as u64))
            }
        }
        d.deserialize_str(V)
    }
}

/// The CLI's "value count" of arbitrary JSON: a string counts its bytes; null, bool and number
/// count 1; arrays and objects the sum of their elements / values; keys count nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct ValueCount(pub u64);

impl<'de> Deserialize<'de> for ValueCount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ValueCount;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ValueCount, E> {
                Ok(ValueCount(v.len() as u64))
            }
            fn visit_bool<E>(self, _: bool) -> Result<ValueCount, E> {
                Ok(ValueCount(1))
            }
            fn visit_i64<E>(self, _: i64) -> Result<ValueCount, E> {
                Ok(ValueCount(1))
            }
            fn visit_u64<E>(self, _: u64) -> Result<ValueCount, E> {
                Ok(ValueCount(1))
            }
            fn visit_f64<E>(self, _: f64) -> Result<ValueCount, E> {
                Ok(ValueCount(1))
            }
            fn visit_unit<E>(self) -> Result<ValueCount, E> {
                Ok(ValueCount(1))
            }
            fn visit_none<E>(self) -> Result<ValueCount, E> {
                Ok(ValueCount(1))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ValueCount, A::Error> {
                let mut n = 0;
                while let Some(v) = seq.next_element::<ValueCount>()? {
                    n += v.0;
                }
                Ok(ValueCount(n))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ValueCount, A::Error> {
                let mut n = 0;
                while let Some((_, v)) = map.next_entry::<IgnoredAny, ValueCount>()? {
                    n += v.0;
                }
                Ok(ValueCount(n))
            }
        }
        d.deserialize_any(V)
    }
}

/// `tools`: Σ over the map's values of the length of their compact JSON serialisation.
struct ToolsLen(u64);

impl<'de> Deserialize<'de> for ToolsLen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ToolsLen;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of tool lists")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ToolsLen, A::Error> {
                let mut n = 0;
                while let Some((_, v)) = map.next_entry::<IgnoredAny, CompactLen>()? {
                    n += v.0;
                }
                Ok(ToolsLen(n))
            }
        }
        d.deserialize_map(V)
    }
}

/// The byte length `serde_json::to_string` would give for a value, computed while reading it.
#[derive(Debug, Clone, Copy)]
pub struct CompactLen(pub u64);

/// Length of a string once quoted and escaped the way serde_json writes it.
pub fn escaped_len(s: &str) -> u64 {
    let extra: u64 = s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
            0..=0x1f => 5,
            _ => 0,
        })
        .sum();
    s.len() as u64 + extra + 2
}

fn digits(mut n: u64) -> u64 {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

impl<'de> Deserialize<'de> for CompactLen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CompactLen;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CompactLen, E> {
                Ok(CompactLen(escaped_len(v)))
            }
            fn visit_bool<E>(self, v: bool) -> Result<CompactLen, E> {
                Ok(CompactLen(if v { 4 } else { 5 }))
            }
            fn visit_u64<E>(self, v: u64) -> Result<CompactLen, E> {
                Ok(CompactLen(digits(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<CompactLen, E> {
                Ok(CompactLen(digits(v.unsigned_abs()) + u64::from(v < 0)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<CompactLen, E> {
                // Rare in tool schemas; serde_json's own formatter gives the exact text.
                Ok(CompactLen(
                    serde_json::to_string(&v).map_or(4, |s| s.len() as u64),
                ))
            }
            fn visit_unit<E>(self) -> Result<CompactLen, E> {
                Ok(CompactLen(4))
            }
            fn visit_none<E>(self) -> Result<CompactLen, E> {
                Ok(CompactLen(4))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CompactLen, A::Error> {
                let (mut n, mut count) = (2, 0);
                while let Some(v) = seq.next_element::<CompactLen>()? {
                    n += v.0;
                    count += 1;
                }
                Ok(CompactLen(n + count.max(1) - 1))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<CompactLen, A::Error> {
                let (mut n, mut count) = (2, 0);
                while let Some((k, v)) = map.next_entry::<CompactLen, CompactLen>()? {
                    n += k.0 + 1 + v.0;
                    count += 1;
                }
                Ok(CompactLen(n + count.max(1) - 1))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_len_matches_serde_json() {
        let samples = [
            r#"{"a":[1,-20,3.5,true,false,null,"x\"y\\z\n\u0001é"],"b":{},"c":[]}"#,
            r#"[{"k":"v"},{"k2":[[],[{}]]}]"#,
            r#""plain""#,
            "1e300",
            "-0",
        ];
        for s in samples {
            let v: serde_json::Value = serde_json::from_str(s).unwrap();
            let want = serde_json::to_string(&v).unwrap().len() as u64;
            let got: CompactLen = serde_json::from_str(s).unwrap();
            assert_eq!(got.0, want, "{s}");
        }
    }

    #[test]
    fn value_count_rules() {
        let got: ValueCount =
            serde_json::from_str(r#"{"key-not-counted":["ab",1,null,true,{"x":"héllo"}]}"#)
                .unwrap();
        assert_eq!(got.0, 2 + 1 + 1 + 1 + 6);
    }

    #[test]
    fn tokens_formula() {
        assert_eq!(tokens_from_bytes(56247), 14060);
        assert_eq!(tokens_from_bytes(0), 0);
        assert_eq!(tokens_from_bytes(19), 0);
        assert_eq!(tokens_from_bytes(20), 10);
    }

    #[test]
    fn pair_entries_and_legacy_model() {
        let row = r#"{"conversation_id":"c","model":"claude-3.7","history":[
            [{"additional_context":"ab","content":{"Prompt":{"prompt":"hello"}}},
             {"Response":{"message_id":"m","content":"hey"}}],
            [{"content":{"ToolUseResults":{"tool_use_results":[{"tool_use_id":"t","content":[{"Text":"1234"},{"Json":{"a":[1,2]}}],"status":"Success"}]}}},
             {"ToolUse":{"message_id":"m","content":"x","tool_uses":[{"id":"i","name":"n","args":{"p":"abc"},"orig_args":{"p":"abcdefgh"}}]}}]
        ],"latest_summary":"sum","checkpoint_manager":{"checkpoints":[{"history_snapshot":[1,2,3]}]}}"#;
        let c = parse(row.as_bytes()).unwrap();
        assert_eq!(c.model.as_deref(), Some("claude-3.7"));
        assert_eq!(c.turns.len(), 2);
        assert_eq!(c.user_bytes(), 2 + 5 + 4 + 2);
        assert_eq!(c.assistant_bytes(), 3 + 1 + 3);
        assert!(c.summarized);
        assert!(c.turns[0].is_prompt);
        assert!(!c.turns[1].is_prompt);
    }

    #[test]
    fn unknown_variants_count_nothing() {
        let row = r#"{"history":[{"user":{"content":{"Future":{"x":1}}},"assistant":{"Other":{"content":"abc"}},"request_metadata":null,"extra":1}]}"#;
        let c = parse(row.as_bytes()).unwrap();
        assert_eq!(c.user_bytes(), 0);
        assert_eq!(c.assistant_bytes(), 3);
    }
}
