//! `profile` and `secret` subcommands, parsed by the CLI's own parser (`tokenhop_cli::Cli`, the one the binary
//! uses) and run in-process against a temp config dir; the secret store is a `MemoryStore` standing in for
//! the keychain (the real Secret Service is tested in tokenhop-core's `keychain_secret_service`).

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use tokenhop_cli::{profile, secret, Cli, Cmd};
use tokenhop_core::secrets::{EnvOverrides, Layered, MemoryStore, SecretError, SecretKind, SecretStore};

struct Run {
    code: ExitCode,
    out: String,
    err: String,
}

/// Runs argv (after `tokenhop-cli`) with `keychain` as the secret store and `stdin` as input.
fn cli(dir: &Path, args: &[&str], keychain: Option<&'static MemoryStore>, stdin: &str) -> Run {
    let mut argv = vec!["tokenhop-cli", "--config-dir", dir.to_str().unwrap()];
    argv.extend_from_slice(args);
    let parsed = Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("{args:?} must parse: {e}"));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = match parsed.cmd {
        Cmd::Profile(cmd) => {
            let store: Option<Box<dyn SecretStore>> = keychain.map(|k| Box::new(Shared(k)) as _);
            let layered = Layered::new(EnvOverrides::none(), store);
            profile::execute(cmd, parsed.config_dir, &layered, &mut out, &mut err).unwrap()
        }
        Cmd::Secret(cmd) => {
            let keychain: Result<&dyn SecretStore, SecretError> = match keychain {
                Some(k) => Ok(k),
                None => Err(SecretError::Unavailable { reason: "no session bus".into() }),
            };
            secret::execute(cmd, parsed.config_dir, keychain, &mut stdin.as_bytes(), false, &mut out, &mut err).unwrap()
        }
        _ => panic!("{args:?} is not a profile or secret command"),
    };
    Run { code, out: String::from_utf8(out).unwrap(), err: String::from_utf8(err).unwrap() }
}

/// Lets the test keep using the (leaked, hence 'static) store the command wrote to.
struct Shared(&'static MemoryStore);
impl SecretStore for Shared {
    fn get(&self, p: &str, k: SecretKind) -> Result<Option<tokenhop_core::Secret>, SecretError> {
        self.0.get(p, k)
    }
    fn set(&self, p: &str, k: SecretKind, v: &tokenhop_core::Secret) -> Result<(), SecretError> {
        self.0.set(p, k, v)
    }
    fn delete(&self, p: &str, k: SecretKind) -> Result<(), SecretError> {
        self.0.delete(p, k)
    }
}
fn write_profile(dir: &Path, file: &str, name: &str) -> std::path::PathBuf {
    let path = dir.join(file);
    std::fs::write(
        &path,
        format!(
            "name = \"{name}\"\nenvironment = \"dev\"\n[entra]\ntenant = \"contoso.onmicrosoft.com\"\n\
             client_id = \"00000000-0000-0000-0000-000000000001\"\n[ias]\nurl = \"https://acme.accounts.ondemand.com\"\nclient_id = \"ias\"\n"
        ),
    )
    .unwrap();
    path
}

fn ok(run: &Run) -> bool {
    format!("{:?}", run.code) == format!("{:?}", ExitCode::SUCCESS)
}

#[test]
fn import_list_show_export_and_rm_work_by_name_or_slug() {
    let config = tempfile::tempdir().unwrap();
    let file = write_profile(config.path(), "incoming.toml", "ACME Dev");
    let keychain: &'static MemoryStore = Box::leak(Box::new(MemoryStore::new()));

    let run = cli(config.path(), &["profile", "import", file.to_str().unwrap()], Some(keychain), "");
    assert!(ok(&run) && run.out.contains("acme-dev"), "import reports the slug: {}{}", run.out, run.err);

    let run = cli(config.path(), &["profile", "list"], Some(keychain), "");
    assert!(ok(&run) && run.out.contains("acme-dev") && run.out.contains("ACME Dev [dev]"), "{}", run.out);
    let run = cli(config.path(), &["profile", "list", "fabrikam"], Some(keychain), "");
    assert!(ok(&run) && !run.out.contains("acme-dev"), "the query filters: {}", run.out);
    let run = cli(config.path(), &["profile", "list", "--json"], Some(keychain), "");
    let json: serde_json::Value = serde_json::from_str(&run.out).expect("--json prints JSON");
    assert_eq!(json["profiles"][0]["slug"], "acme-dev");

    keychain.set("acme-dev", SecretKind::IasClientSecret, &"hidden-value".into()).unwrap();
    let run = cli(config.path(), &["profile", "show", "ACME Dev"], Some(keychain), "");
    assert!(ok(&run) && run.out.contains("tenant = \"contoso.onmicrosoft.com\""), "{}", run.out);
    assert!(
        run.out.contains("ias-client-secret: keychain") && run.out.contains("entra-password: missing"),
        "{}",
        run.out
    );
    assert!(!run.out.contains("hidden-value"), "show must never print a secret value");

    let exported = config.path().join("out.toml");
    let run =
        cli(config.path(), &["profile", "export", "acme-dev", "--out", exported.to_str().unwrap()], Some(keychain), "");
    assert!(ok(&run), "{}", run.err);
    assert!(std::fs::read_to_string(&exported).unwrap().contains("name = \"ACME Dev\""));
    let run = cli(config.path(), &["profile", "export", "acme-dev"], Some(keychain), "");
    assert!(run.out.contains("[ias]"), "export without --out prints the TOML: {}", run.out);

    let run = cli(config.path(), &["profile", "rm", "ACME Dev"], Some(keychain), "");
    assert!(ok(&run), "{}", run.err);
    assert!(
        keychain.get("acme-dev", SecretKind::IasClientSecret).unwrap().is_none(),
        "rm deletes the profile's secrets"
    );
    let run = cli(config.path(), &["profile", "show", "acme-dev"], Some(keychain), "");
    assert!(!ok(&run), "a deleted profile is gone");
}

#[test]
fn errors_print_message_and_hint_without_debug_output() {
    let config = tempfile::tempdir().unwrap();
    let run = cli(config.path(), &["profile", "show", "nobody"], None, "");
    assert!(!ok(&run));
    assert!(run.err.starts_with("error: there is no profile \"nobody\"\n  hint: "), "{}", run.err);
    assert!(!run.err.contains("NotFound"), "no Rust debug dump: {}", run.err);

    write_profile(config.path(), "dup.toml", "Dup");
    let file = config.path().join("dup.toml");
    assert!(ok(&cli(config.path(), &["profile", "import", file.to_str().unwrap()], None, "")));
    let run = cli(config.path(), &["profile", "import", file.to_str().unwrap()], None, "");
    assert!(!ok(&run) && run.err.contains("already exists") && run.err.contains("hint:"), "{}", run.err);

    std::fs::write(config.path().join("profiles/broken.toml"), "name = \"x\"\n[entra]\ncolour = 1\n").unwrap();
    let run = cli(config.path(), &["profile", "list"], None, "");
    assert!(ok(&run) && run.out.contains("dup"), "the good profiles still list: {}", run.out);
    assert!(
        run.err.contains("broken.toml:3:1") && run.err.contains("colour"),
        "corrupt files warned with position: {}",
        run.err
    );
}

#[test]
fn secret_set_reads_stdin_trims_one_newline_and_rm_deletes() {
    let config = tempfile::tempdir().unwrap();
    let file = write_profile(config.path(), "p.toml", "Kunde A");
    assert!(ok(&cli(config.path(), &["profile", "import", file.to_str().unwrap()], None, "")));
    let keychain: &'static MemoryStore = Box::leak(Box::new(MemoryStore::new()));

    let run = cli(config.path(), &["secret", "set", "Kunde A", "xsuaa-client-secret"], Some(keychain), "ab+/c=\n\n");
    assert!(ok(&run), "{}", run.err);
    let stored = keychain.get("kunde-a", SecretKind::XsuaaClientSecret).unwrap().unwrap();
    assert_eq!(stored.expose_secret(), "ab+/c=\n", "exactly one trailing newline is removed");
    assert!(!run.out.contains("ab+/c="), "the value is never echoed");

    let run = cli(config.path(), &["secret", "set", "kunde-a", "ias-client-secret"], Some(keychain), "x\r\n");
    assert!(ok(&run));
    assert_eq!(keychain.get("kunde-a", SecretKind::IasClientSecret).unwrap().unwrap().expose_secret(), "x");

    let run = cli(config.path(), &["secret", "set", "kunde-a", "entra-password"], Some(keychain), "\n");
    assert!(!ok(&run) && run.err.contains("no value"), "an empty value is refused: {}", run.err);

    let run = cli(config.path(), &["secret", "rm", "kunde-a", "xsuaa-client-secret"], Some(keychain), "");
    assert!(ok(&run));
    assert!(keychain.get("kunde-a", SecretKind::XsuaaClientSecret).unwrap().is_none());
}

#[test]
fn secret_commands_explain_a_missing_keychain_and_unknown_kinds() {
    let config = tempfile::tempdir().unwrap();
    let file = write_profile(config.path(), "p.toml", "Dev");
    assert!(ok(&cli(config.path(), &["profile", "import", file.to_str().unwrap()], None, "")));
    let run = cli(config.path(), &["secret", "set", "dev", "ias-client-secret"], None, "value");
    assert!(!ok(&run), "with no keychain nothing is stored");
    assert!(run.err.contains("No keychain available") && run.err.contains("TOKENHOP_IAS_CLIENT_SECRET"), "{}", run.err);

    let err =
        Cli::try_parse_from(["tokenhop-cli", "secret", "set", "dev", "api-key"]).expect_err("unknown kind refused");
    assert!(err.to_string().contains("ias-client-secret"), "the error lists the kinds: {err}");
}
