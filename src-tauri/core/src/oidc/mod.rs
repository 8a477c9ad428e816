//! OpenID Connect discovery documents and a JWKS cache shared by every issuer of the chain, its keys
//! checking RSA with ring.

pub mod discovery;
pub mod jwks;
mod ring_key;

pub use discovery::{discover, Discovery, DiscoveryError};
pub use jwks::{JwksCache, JwksError, KeySet};
