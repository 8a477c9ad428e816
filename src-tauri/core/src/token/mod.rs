//! Tokens: decode any JWT without trusting it, verify its signature against a JWKS, and describe it as a
//! [`TokenView`](crate::report::TokenView) for the inspector.

pub mod decode;
pub mod inspect;
pub mod verify;

pub use decode::{decode, DecodeError, DecodedJwt};
pub use inspect::inspect;
pub use verify::{verify_signature, VerifyError};
