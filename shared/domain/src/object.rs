//! A JSON object read only as an object.
//!
//! serde's derived `Deserialize` for a struct also takes the sequence form, fields in
//! order, so `[{…}, {…}]` would read as a manifest and `[["", ""]]` as run results. dbt
//! writes objects only; [`Object`] around a derived type refuses anything else.

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// A `T` that was a JSON object (never an array) in the input.
pub(crate) struct Object<T>(pub(crate) T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map))
            }
        }
        deserializer
            .deserialize_map(ObjectVisitor(PhantomData))
            .map(Object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Pair {
        a: u32,
        #[serde(default)]
        b: Option<String>,
    }

    #[test]
    fn an_object_reads_and_an_array_of_the_same_fields_is_refused() {
        let read = |text: &str| serde_json::from_str::<Object<Pair>>(text).map(|o| o.0);
        assert_eq!(read(r#"{"a": 1}"#).ok(), Some(Pair { a: 1, b: None }));
        assert!(
            serde_json::from_str::<Pair>(r#"[1, "x"]"#).is_ok(),
            "serde's own default"
        );
        let err = read(r#"[1, "x"]"#).expect_err("an array").to_string();
        assert!(err.contains("expected an object"), "{err}");
    }
}
