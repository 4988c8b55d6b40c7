//! `kebab_enum!`: the typed enums of the report codes and actions
//! ([`crate::claude::NoteCode`], [`crate::history::ChangeAction`], …). Each is
//! serialized as its kebab-case string (what JS receives), lists every value
//! in `ALL` (the TypeScript unions are checked against it), and compares with
//! a `&str`.

/// Defines a `Copy` enum whose variants each stand for one kebab-case string,
/// with `as_str`, `ALL`, `parse`, `Display`, `Serialize` and `ToJson` as that
/// string, and `PartialEq<&str>`. Lists that may grow (note codes, actions) are marked
/// `#[non_exhaustive]` where they are defined.
macro_rules! kebab_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The kebab-case string JS receives.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The value whose string is `s`.
            #[allow(dead_code)] // not every enum is read from options
            pub(crate) fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        #[cfg(any(target_arch = "wasm32", test))]
        impl $crate::to_json::ToJson for $name {
            fn write_json(&self, out: &mut String) {
                self.as_str().write_json(out);
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}
