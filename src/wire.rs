//! An enum's wire name, read from its serde attributes: the names a status or a kind has in JSON,
//! in SQL columns and in query strings are written once, as `#[serde(rename_all = …)]` (which the
//! OpenAPI document reads too), and `as_str` / `parse` ask serde for them.

use serde::de::value::{Error as ValueError, StrDeserializer};
use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::ser::{self, Impossible, Serialize};

/// The wire name of a unit variant (`""` for anything else, which no caller passes).
pub fn name<T: Serialize>(value: &T) -> &'static str {
    value.serialize(VariantName).unwrap_or("")
}

/// The unit variant with this wire name.
pub fn parse<T: DeserializeOwned>(text: &str) -> Option<T> {
    let text: StrDeserializer<'_, ValueError> = text.into_deserializer();
    T::deserialize(text).ok()
}

/// A unit-only enum whose variants all have wire names, listed in order (for choices and for
/// "`x` is not one of …").
pub trait Named: Serialize + DeserializeOwned + Copy + PartialEq + 'static {
    const ALL: &'static [Self];

    fn wire(self) -> &'static str {
        name(&self)
    }

    /// The variant named `text`, or why not in words: "`x` is not one of a, b, c".
    fn named(text: &str) -> Result<Self, String> {
        Self::ALL.iter().copied().find(|k| k.wire() == text).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|k| k.wire()).collect();
            format!("`{text}` is not one of {}", names.join(", "))
        })
    }
}

/// Implements [`Named`] by listing each enum's variants (their names come from serde).
#[macro_export]
macro_rules! named {
    ($($ty:ident: [$($variant:ident),+ $(,)?]),+ $(,)?) => {$(
        impl $crate::wire::Named for $ty {
            const ALL: &'static [$ty] = &[$($ty::$variant),+];
        }
    )+};
}

/// A serializer that only answers for unit variants, with the name serde gives them.
struct VariantName;

#[derive(Debug)]
struct NotAUnitVariant;

impl std::fmt::Display for NotAUnitVariant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a unit variant")
    }
}

impl std::error::Error for NotAUnitVariant {}

impl ser::Error for NotAUnitVariant {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        NotAUnitVariant
    }
}

/// Every method but `serialize_unit_variant` refuses.
macro_rules! refuse {
    ($($method:ident($($arg:ty),*) -> $out:ty;)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<$out, NotAUnitVariant> {
            Err(NotAUnitVariant)
        }
    )*};
}

impl ser::Serializer for VariantName {
    type Ok = &'static str;
    type Error = NotAUnitVariant;
    type SerializeSeq = Impossible<&'static str, NotAUnitVariant>;
    type SerializeTuple = Impossible<&'static str, NotAUnitVariant>;
    type SerializeTupleStruct = Impossible<&'static str, NotAUnitVariant>;
    type SerializeTupleVariant = Impossible<&'static str, NotAUnitVariant>;
    type SerializeMap = Impossible<&'static str, NotAUnitVariant>;
    type SerializeStruct = Impossible<&'static str, NotAUnitVariant>;
    type SerializeStructVariant = Impossible<&'static str, NotAUnitVariant>;

    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<&'static str, Self::Error> {
        Ok(variant)
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<&'static str, Self::Error> {
        Err(NotAUnitVariant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<&'static str, Self::Error> {
        Err(NotAUnitVariant)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<&'static str, Self::Error> {
        Err(NotAUnitVariant)
    }

    refuse! {
        serialize_bool(bool) -> &'static str;
        serialize_i8(i8) -> &'static str;
        serialize_i16(i16) -> &'static str;
        serialize_i32(i32) -> &'static str;
        serialize_i64(i64) -> &'static str;
        serialize_u8(u8) -> &'static str;
        serialize_u16(u16) -> &'static str;
        serialize_u32(u32) -> &'static str;
        serialize_u64(u64) -> &'static str;
        serialize_f32(f32) -> &'static str;
        serialize_f64(f64) -> &'static str;
        serialize_char(char) -> &'static str;
        serialize_str(&str) -> &'static str;
        serialize_bytes(&[u8]) -> &'static str;
        serialize_none() -> &'static str;
        serialize_unit() -> &'static str;
        serialize_unit_struct(&'static str) -> &'static str;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        PercentOff,
        #[serde(rename = "cash")]
        Cashback,
    }

    #[test]
    fn names_come_from_serde() {
        assert_eq!(super::name(&Kind::PercentOff), "percent_off");
        assert_eq!(super::name(&Kind::Cashback), "cash");
        assert_eq!(super::parse::<Kind>("percent_off"), Some(Kind::PercentOff));
        assert_eq!(super::parse::<Kind>("cash"), Some(Kind::Cashback));
        assert_eq!(super::parse::<Kind>("PercentOff"), None);
        assert_eq!(super::name(&7), "");
    }
}
