//! The `.env` export: `KEY=value` lines with the tokens of the run and nothing else (no endpoints, no
//! secrets), readable by `source` in bash and by dotenv libraries alike.

use super::vars::Vars;
use super::{ExportError, ExportFile};

pub(super) fn render(vars: &Vars) -> Result<ExportFile, ExportError> {
    let mut out = format!(
        "# TokenHop tokens of profile \"{}\", exported {}. Live tokens: keep this file private.\n",
        one_line(&vars.profile_name),
        vars.exported_at_human
    );
    let mut any = false;
    for token in vars.tokens.iter().filter(|t| t.value.is_some()) {
        out.push_str(&format!("{}={}\n", token.key.to_uppercase(), quote(token.value())));
        any = true;
    }
    if !any {
        return Err(ExportError::NoTokens);
    }
    Ok(ExportFile { file_name: format!("{}.env", vars.file_stem), contents: out, contains_tokens: true })
}

/// JWTs (`[A-Za-z0-9_.-]`) and base64 stay bare; anything else is single-quoted, which both bash and dotenv
/// read literally. `~` is not bare: bash expands `X=~user` (tilde expansion in assignments).
pub(super) fn quote(value: &str) -> String {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-+/=".contains(&b)) {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_characters_stay_bare_and_others_are_single_quoted() {
        assert_eq!(quote("eyJ.a-b_c.d"), "eyJ.a-b_c.d");
        assert_eq!(quote("opaque token"), "'opaque token'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$HOME"), "'$HOME'", "no shell expansion when sourced");
        assert_eq!(quote("~root"), "'~root'", "no tilde expansion when sourced");
    }
}
