//! What the fuzz targets share: JSON values built from fuzz input, and a check for
//! numbers that do not survive a text round trip bit for bit.

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use serde_json::{Map, Value};

/// Keys the decoders look for, so that built objects reach past "missing field".
const KEYS: &[&str] = &["video_path", "session_id", "last_seq", "force"];

/// A JSON value of at most `depth` levels of arrays and objects.
pub fn json_value(u: &mut Unstructured, depth: u32) -> Result<Value> {
    let kinds = if depth == 0 { 3 } else { 5 };
    Ok(match u.int_in_range(0..=kinds)? {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => json_number(u)?,
        3 => Value::String(u.arbitrary()?),
        4 => {
            let len = u.int_in_range(0..=4)?;
            let items = (0..len).map(|_| json_value(u, depth - 1));
            Value::Array(items.collect::<Result<_>>()?)
        }
        _ => Value::Object(json_object(u, depth - 1)?),
    })
}

/// An object whose keys are mostly the ones the decoders know.
pub fn json_object(u: &mut Unstructured, depth: u32) -> Result<Map<String, Value>> {
    let len = u.int_in_range(0..=4)?;
    let mut object = Map::new();
    for _ in 0..len {
        let key = if u.ratio(3, 4)? {
            (*u.choose(KEYS)?).to_owned()
        } else {
            u.arbitrary()?
        };
        object.insert(key, json_value(u, depth)?);
    }
    Ok(object)
}

fn json_number(u: &mut Unstructured) -> Result<Value> {
    Ok(match u.int_in_range(0..=2)? {
        0 => Value::from(u.arbitrary::<i64>()?),
        1 => Value::from(u.arbitrary::<u64>()?),
        // Not finite becomes null.
        _ => Value::from(u.arbitrary::<f64>()?),
    })
}

/// True if `value` holds a floating-point number anywhere: serde_json's default
/// parser may read one back a unit in the last place away from what it wrote.
pub fn has_float(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.is_f64(),
        Value::Array(items) => items.iter().any(has_float),
        Value::Object(map) => map.values().any(has_float),
        _ => false,
    }
}
