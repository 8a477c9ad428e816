//! `ProfileStore` on a real directory: round trip, list/search, CRUD, corrupt-file isolation, schema versions,
//! import/export, file modes.

use std::fs;
use std::path::Path;

use tokenhop_core::diagnose::Diagnose;
use tokenhop_core::profile::file::parse_profile;
use tokenhop_core::profile::{slugify, Profile, ProfileError, ProfileStore, SCHEMA_VERSION};

fn profile(name: &str, tenant: &str, ias: &str) -> Profile {
    let text = format!(
        r#"
name = "{name}"
environment = "dev"
[entra]
tenant = "{tenant}"
client_id = "00000000-0000-0000-0000-000000000001"
flow = "device-code"
redirect_host = "127.0.0.1"
redirect_port = 8400
[ias]
url = "{ias}"
client_id = "ias-{tenant}"
client_auth = "post"
token_format = "opaque"
[api]
url = "https://api.example.com/v1"
header = "x-approuter-authorization"
method = "POST"
"#
    );
    parse_profile(&text, Path::new("t.toml")).unwrap()
}

fn store() -> (tempfile::TempDir, ProfileStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = ProfileStore::open(dir.path()).unwrap();
    (dir, store)
}

#[test]
fn a_profile_survives_a_round_trip_through_its_file() {
    let (_dir, store) = store();
    let original = profile("ACME dev", "contoso.onmicrosoft.com", "https://acme.accounts.ondemand.com");
    let slug = store.create(&original).unwrap();
    assert_eq!(slug, "acme-dev");
    assert!(store.path_of(&slug).is_file(), "the file is <slug>.toml under profiles/");
    assert_eq!(store.get(&slug).unwrap(), original, "every field must come back as written");
    let text = fs::read_to_string(store.path_of(&slug)).unwrap();
    assert!(text.starts_with(&format!("schema_version = {SCHEMA_VERSION}")), "the version is stamped: {text}");
}

#[cfg(unix)]
#[test]
fn profile_files_are_private_to_the_user() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, store) = store();
    let slug = store.create(&profile("Private", "contoso.com", "https://a.accounts.ondemand.com")).unwrap();
    let mode = fs::metadata(store.path_of(&slug)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "profile files must be 0600");
    let dir_mode = fs::metadata(store.dir()).unwrap().permissions().mode() & 0o777;
    assert_eq!(dir_mode, 0o700, "the profiles directory must be 0700");
}

#[test]
fn list_is_sorted_by_name_and_search_looks_at_name_tenant_client_ids_and_urls() {
    let (_dir, store) = store();
    store.create(&profile("zeta prod", "zeta.onmicrosoft.com", "https://zeta.accounts.ondemand.com")).unwrap();
    store.create(&profile("Alpha test", "alpha.onmicrosoft.com", "https://alpha.accounts.cloud.sap")).unwrap();
    store
        .create(&profile("beta dev", "72f988bf-86f1-41af-91ab-2d7cd011db47", "https://beta.accounts.ondemand.com"))
        .unwrap();

    let names: Vec<String> = store.list(None).unwrap().profiles.into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["Alpha test", "beta dev", "zeta prod"], "sorted by name, case-insensitively");

    let cases = [
        ("ZETA", vec!["zeta prod"]),
        ("72F988BF", vec!["beta dev"]),
        ("accounts.cloud.sap", vec!["Alpha test"]),
        ("ias-alpha", vec!["Alpha test"]),
        ("dev", vec!["Alpha test", "beta dev", "zeta prod"]),
        ("nothing-matches", vec![]),
        ("  ", vec!["Alpha test", "beta dev", "zeta prod"]),
    ];
    for (query, expected) in cases {
        let got: Vec<String> = store.list(Some(query)).unwrap().profiles.into_iter().map(|p| p.name).collect();
        assert_eq!(got, expected, "search for {query:?}");
    }
}

#[test]
fn create_refuses_a_taken_name_and_update_keeps_the_slug() {
    let (_dir, store) = store();
    let p = profile("ACME dev", "contoso.com", "https://acme.accounts.ondemand.com");
    let slug = store.create(&p).unwrap();
    let err = store.create(&profile("acme  DEV", "other.com", "https://x.accounts.ondemand.com")).unwrap_err();
    assert!(matches!(err, ProfileError::AlreadyExists { .. }), "same slug must be refused, got {err:?}");
    assert_eq!(store.get(&slug).unwrap(), p, "the existing file must be untouched");

    let mut changed = p.clone();
    changed.entra.tenant = "fabrikam.com".into();
    store.update(&slug, &changed).unwrap();
    assert_eq!(store.get(&slug).unwrap().entra.tenant, "fabrikam.com");

    changed.name = "Another name".into();
    let err = store.update(&slug, &changed).unwrap_err();
    assert!(matches!(err, ProfileError::NameChanged { .. }), "a new name goes through rename, got {err:?}");

    let mut invalid = p;
    invalid.entra.tenant = "common".into();
    let err = store.update(&slug, &invalid).unwrap_err();
    assert!(matches!(&err, ProfileError::Invalid(errors) if errors[0].field == "entra.tenant"), "got {err:?}");
}

#[test]
fn rename_duplicate_and_delete_move_copy_and_remove_files() {
    let (_dir, store) = store();
    let slug = store.create(&profile("ACME dev", "contoso.com", "https://acme.accounts.ondemand.com")).unwrap();
    let renamed = store.rename(&slug, "ACME test").unwrap();
    assert_eq!(renamed, "acme-test");
    assert!(!store.path_of(&slug).exists(), "the old file must be gone after a rename");
    assert_eq!(store.get(&renamed).unwrap().name, "ACME test");

    assert_eq!(store.rename(&renamed, "acme TEST").unwrap(), "acme-test", "a case change keeps the file");
    assert_eq!(store.get("acme-test").unwrap().name, "acme TEST");

    let copy = store.duplicate("acme-test", "ACME copy").unwrap();
    assert_eq!(store.list(None).unwrap().profiles.len(), 2);
    assert_eq!(store.get(&copy).unwrap().entra, store.get("acme-test").unwrap().entra, "a copy has the same settings");
    assert!(matches!(store.duplicate("acme-test", "ACME copy"), Err(ProfileError::AlreadyExists { .. })));
    assert!(matches!(store.rename(&copy, "acme test"), Err(ProfileError::AlreadyExists { .. })));
    assert!(store.path_of(&copy).exists(), "a refused rename must leave the profile in place");

    store.delete(&copy).unwrap();
    assert!(matches!(store.get(&copy), Err(ProfileError::NotFound { .. })));
    assert!(matches!(store.delete(&copy), Err(ProfileError::NotFound { .. })));
}

#[test]
fn slugs_cannot_escape_the_profiles_directory() {
    let (dir, store) = store();
    fs::write(dir.path().join("outside.toml"), "name = \"x\"").unwrap();
    for evil in ["../outside", "..", "/etc/passwd", "a/b", ""] {
        assert!(matches!(store.get(evil), Err(ProfileError::NotFound { .. })), "{evil:?} must not be read");
        assert!(matches!(store.delete(evil), Err(ProfileError::NotFound { .. })), "{evil:?} must not be deleted");
    }
    assert!(dir.path().join("outside.toml").exists());
}

#[test]
fn slugify_makes_readable_file_names() {
    for (name, slug) in
        [("ACME dev", "acme-dev"), ("  Kunde A / Prod  ", "kunde-a-prod"), ("Müller GmbH", "müller-gmbh"), ("--", "")]
    {
        assert_eq!(slugify(name), slug, "slug of {name:?}");
    }
    assert_eq!(slugify(&"x".repeat(200)).len(), 64, "slugs are capped");
}

#[test]
fn a_corrupt_file_is_reported_with_line_and_column_and_the_others_still_load() {
    let (_dir, store) = store();
    store.create(&profile("Good one", "contoso.com", "https://acme.accounts.ondemand.com")).unwrap();
    let cases = [
        ("syntax.toml", "name = \"x\"\n[entra\ntenant = \"t\"\n", 2, "unclosed table"),
        ("unknown.toml", "name = \"x\"\n[entra]\ntenant = \"t\"\nclient_id = \"c\"\ncolour = \"red\"\n", 5, "colour"),
        (
            "badenum.toml",
            "name = \"x\"\n[entra]\ntenant = \"t\"\nclient_id = \"c\"\nflow = \"implicit\"\n",
            5,
            "implicit",
        ),
    ];
    for (file, text, _, _) in &cases {
        fs::write(store.dir().join(file), text).unwrap();
    }
    let list = store.list(None).unwrap();
    assert_eq!(list.profiles.len(), 1, "the good profile must still load");
    assert_eq!(list.errors.len(), cases.len(), "each corrupt file is reported: {:?}", list.errors);
    for (file, text, line, word) in cases {
        let error = list.errors.iter().find(|e| e.file.ends_with(file)).unwrap_or_else(|| panic!("{file} reported"));
        assert_eq!(error.line, Some(line), "{file}: line of the problem ({error:?})");
        assert!(error.column.is_some(), "{file}: a column is given");
        assert!(error.message.contains(word), "{file}: the message names {word:?}: {}", error.message);
        assert_eq!(fs::read_to_string(store.dir().join(file)).unwrap(), text, "{file} must be left untouched");
    }
    let err = store.get("unknown").unwrap_err();
    let diagnosis = err.diagnosis();
    assert_eq!(diagnosis.code, "profile.parse");
    assert!(diagnosis.message.contains("unknown.toml") && diagnosis.message.contains("line 5"), "{diagnosis:?}");
}

#[test]
fn a_newer_schema_is_refused_and_an_older_one_is_migrated() {
    let (_dir, store) = store();
    let body = "name = \"Versioned\"\n[entra]\ntenant = \"contoso.com\"\nclient_id = \"c\"\n";
    fs::write(store.path_of("future"), format!("schema_version = {}\n{body}", SCHEMA_VERSION + 1)).unwrap();
    let err = store.get("future").unwrap_err();
    assert!(matches!(err, ProfileError::UnsupportedVersion { found, .. } if found == SCHEMA_VERSION + 1), "{err:?}");
    assert_eq!(err.diagnosis().code, "profile.unsupported_version");
    assert!(store.list(None).unwrap().errors[0].message.contains("newer"), "the list names the reason");

    fs::write(store.path_of("versioned"), format!("schema_version = 0\n{body}")).unwrap();
    assert_eq!(store.get("versioned").unwrap().schema_version, SCHEMA_VERSION, "old files are migrated on read");
}

#[test]
fn export_then_import_elsewhere_gives_the_same_profile_and_a_clash_is_refused() {
    let (dir, store) = store();
    let original = profile("Shared", "contoso.com", "https://acme.accounts.ondemand.com");
    let slug = store.create(&original).unwrap();
    let file = dir.path().join("for-a-colleague.toml");
    store.export(&slug, &file).unwrap();

    let (_other_dir, colleague) = self::store();
    let imported = colleague.import(&file).unwrap();
    assert_eq!(colleague.get(&imported).unwrap(), original, "import must reproduce the exported profile");

    let err = colleague.import(&file).unwrap_err();
    assert!(matches!(err, ProfileError::AlreadyExists { .. }), "a name clash must be refused: {err:?}");
    assert!(err.diagnosis().hint.contains("another name"), "{:?}", err.diagnosis());

    fs::write(&file, fs::read_to_string(&file).unwrap().replace("contoso.com", "common")).unwrap();
    let (_third_dir, third) = self::store();
    assert!(matches!(third.import(&file), Err(ProfileError::Invalid(_))), "imports are validated");
    assert!(matches!(third.import(&dir.path().join("missing.toml")), Err(ProfileError::NotFound { .. })));
}

#[test]
fn resolve_accepts_a_slug_or_a_name() {
    let (_dir, store) = store();
    store.create(&profile("Kunde A / Prod", "contoso.com", "https://acme.accounts.ondemand.com")).unwrap();
    for input in ["kunde-a-prod", "Kunde A / Prod", "kunde a / prod"] {
        assert_eq!(store.resolve(input).unwrap(), "kunde-a-prod", "{input:?}");
    }
    assert!(matches!(store.resolve("nobody"), Err(ProfileError::NotFound { .. })));
}

#[test]
fn list_sees_files_changed_added_or_removed_behind_its_back() {
    let (_dir, store) = store();
    let slug = store.create(&profile("Watched", "contoso.com", "https://acme.accounts.ondemand.com")).unwrap();
    assert_eq!(store.list(None).unwrap().profiles[0].tenant, "contoso.com");

    // Another process (the CLI, an editor) rewrites the file in place, same length.
    let path = store.path_of(&slug);
    let text = fs::read_to_string(&path).unwrap().replace("contoso.com", "fabrika.com");
    fs::write(&path, text).unwrap();
    let mtime = fs::metadata(&path).unwrap().modified().unwrap();
    let file = fs::File::options().write(true).open(&path).unwrap();
    file.set_modified(mtime + std::time::Duration::from_secs(1)).unwrap();
    assert_eq!(store.list(None).unwrap().profiles[0].tenant, "fabrika.com", "an edited file must be re-read");

    fs::write(store.path_of("added"), "name = \"Added\"\n[entra]\ntenant = \"t.com\"\nclient_id = \"c\"\n").unwrap();
    assert_eq!(store.list(None).unwrap().profiles.len(), 2, "a new file must appear");
    fs::remove_file(&path).unwrap();
    let names: Vec<String> = store.list(None).unwrap().profiles.into_iter().map(|p| p.name).collect();
    assert_eq!(names, ["Added"], "a removed file must disappear");
}

#[test]
fn optional_fields_are_left_out_of_the_json_rather_than_null() {
    let (_dir, store) = store();
    let mut p = profile("Minimal", "contoso.com", "https://acme.accounts.ondemand.com");
    p.environment = None;
    p.api = None;
    store.create(&p).unwrap();
    let json = serde_json::to_value(store.list(None).unwrap()).unwrap();
    let summary = json["profiles"][0].as_object().unwrap();
    assert!(
        !summary.contains_key("environment") && !summary.contains_key("api_url"),
        "TS has `?:`, not null: {summary:?}"
    );
    assert_eq!(summary["ias_url"], "https://acme.accounts.ondemand.com");
}

#[test]
fn temp_files_of_killed_writers_are_cleaned_up_once_stale() {
    let (dir, store) = store();
    let stale = store.dir().join(".old.toml.1.0000000000000001.tmp");
    let fresh = store.dir().join(".new.toml.2.0000000000000002.tmp");
    fs::write(&stale, "half").unwrap();
    fs::write(&fresh, "half").unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    fs::File::options().write(true).open(&stale).unwrap().set_modified(old).unwrap();
    ProfileStore::open(dir.path()).unwrap();
    assert!(!stale.exists(), "an hour-old temp file is debris");
    assert!(fresh.exists(), "a fresh temp file may belong to a running writer");
}

#[test]
fn a_large_store_loads_in_parallel_with_every_profile_and_error_in_place() {
    let (_dir, store) = store();
    // Enough files for the index to parse on several threads; a few corrupt ones spread among them.
    for i in 0..300 {
        let text = if i % 97 == 5 {
            format!("name = \"Broken {i:03}\"\n[entra\n")
        } else {
            format!("name = \"Tenant {i:03}\"\n[entra]\ntenant = \"t{i}.example.com\"\nclient_id = \"c{i}\"\n")
        };
        fs::write(store.dir().join(format!("tenant-{i:03}.toml")), text).unwrap();
    }
    // A symlinked profile file counts, stamped by its target.
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("linked.toml");
    fs::write(&target, "name = \"Linked\"\n[entra]\ntenant = \"l.example.com\"\nclient_id = \"c\"\n").unwrap();
    std::os::unix::fs::symlink(&target, store.dir().join("linked.toml")).unwrap();

    let list = store.list(None).unwrap();

    let broken: Vec<usize> = (0..300).filter(|i| i % 97 == 5).collect();
    assert_eq!(list.errors.len(), broken.len(), "each corrupt file is reported once: {:?}", list.errors);
    assert_eq!(list.profiles.len(), 300 - broken.len() + 1);
    let names: Vec<&str> = list.profiles.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names[0], "Linked", "sorted by name, case-insensitively");
    assert!(names[1..].windows(2).all(|w| w[0] < w[1]), "sorted by name");
    assert_eq!(list.profiles[1].tenant, "t0.example.com", "each summary belongs to its own file");
    assert_eq!(store.list(Some("T299.EXAMPLE")).unwrap().profiles[0].name, "Tenant 299", "search ignores case");

    fs::write(&target, "name = \"Linked\"\n[entra]\ntenant = \"moved.example.com\"\nclient_id = \"c\"\n").unwrap();
    let linked = store.list(Some("linked")).unwrap().profiles;
    assert_eq!(linked[0].tenant, "moved.example.com", "a changed symlink target is re-read");
}

/// Issue 23 item 4: an import reads a regular file of a sensible size, and nothing else — a FIFO would block
/// the app forever, a device never end or hold no profile, a huge file fill memory.
#[cfg(unix)]
#[test]
fn import_refuses_fifos_devices_and_huge_files() {
    use std::sync::mpsc;
    use std::time::Duration;

    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
    assert!(made.success(), "mkfifo made the FIFO");
    let huge = dir.path().join("huge.toml");
    fs::write(&huge, format!("name = \"x\"\n# {}\n", "a".repeat(5 * 1024 * 1024))).unwrap();

    for path in [fifo, std::path::PathBuf::from("/dev/null"), huge] {
        let (tx, rx) = mpsc::channel();
        let (store_dir, file) = (dir.path().join("store"), path.clone());
        // On a thread, so that an import stuck on the FIFO fails this test instead of hanging it.
        std::thread::spawn(move || {
            let store = ProfileStore::open(&store_dir).unwrap();
            let _ = tx.send(store.import(&file).map_err(|e| e.diagnosis().code));
        });
        let outcome = rx.recv_timeout(Duration::from_secs(5));
        assert_eq!(
            outcome,
            Ok(Err("profile.not_a_profile".to_owned())),
            "{} must be refused at once, unread",
            path.display()
        );
    }
}
