//! OpenID Connect discovery documents and a JWKS cache shared by every issuer of the chain.

pub mod discovery;
pub mod jwks;

pub use discovery::{discover, Discovery, DiscoveryError};
pub use jwks::{JwksCache, JwksError, KeySet};
