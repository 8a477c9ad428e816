//! The Postman export: a collection v2.1.0 that replays the chain from variables, and an environment
//! that holds those variables — endpoints, client ids, the run's tokens (typed `secret`) and their
//! expiry — in the exact shape Postman itself exports, so both import and run in Postman and newman.
//!
//! Both are serialized from typed structs (field order is part of the format) and indented with tabs,
//! as Postman writes them.

mod collection;
mod environment;
mod scripts;

use serde::Serialize;

use super::vars::Vars;
use super::{ExportError, ExportFile, ExportOptions};

pub(super) fn render(vars: &Vars, options: &ExportOptions) -> Result<Vec<ExportFile>, ExportError> {
    let collection = collection::build(vars, options.ids.next_uuid());
    let environment = environment::build(vars, options.ids.next_uuid());
    Ok(vec![
        ExportFile {
            file_name: format!("{}.postman_collection.json", vars.file_stem),
            contents: to_json(&collection)?,
            contains_tokens: false,
        },
        ExportFile {
            file_name: format!("{}.postman_environment.json", vars.file_stem),
            contents: to_json(&environment)?,
            contains_tokens: vars.has_live_values(),
        },
    ])
}

/// Tab-indented JSON with a final newline, as Postman's own exports look.
fn to_json<T: Serialize>(value: &T) -> Result<String, ExportError> {
    let mut out = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, serde_json::ser::PrettyFormatter::with_indent(b"\t"));
    value.serialize(&mut ser)?;
    out.push(b'\n');
    Ok(String::from_utf8(out).expect("serde_json writes UTF-8"))
}
