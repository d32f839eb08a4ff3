//! Tenant and subject identifiers.
//!
//! Ids are not secret: they are bound into associated data so ciphertexts
//! cannot be swapped, and they appear (as hex) in `Debug`, `Display` and
//! error messages.

use std::fmt;

use rand_core::{OsRng, RngCore};

/// A tenant (one client organisation), 16 bytes (a UUID's worth).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(pub [u8; 16]);

/// A data subject (a person or organisation whose data is sealed), 16 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SubjectId(pub [u8; 16]);

macro_rules! id_impls {
    ($ty:ident) => {
        impl $ty {
            /// A fresh id from the operating system's random number generator.
            ///
            /// # Panics
            ///
            /// If the OS random number generator fails, which leaves no
            /// safe way to continue.
            pub fn random() -> Self {
                let mut bytes = [0u8; 16];
                OsRng.fill_bytes(&mut bytes);
                Self(bytes)
            }

            /// Lower-case hex, 32 characters.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            /// Parses 32 hex characters; `None` for anything else.
            pub fn from_hex(s: &str) -> Option<Self> {
                let mut bytes = [0u8; 16];
                hex::decode_to_slice(s, &mut bytes).ok()?;
                Some(Self(bytes))
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($ty), "({})"), self.to_hex())
            }
        }
    };
}

id_impls!(TenantId);
id_impls!(SubjectId);
