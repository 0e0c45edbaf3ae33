//! Keys of a named AWS profile, read from the shared files the AWS tools write:
//! `AWS_SHARED_CREDENTIALS_FILE` (else `~/.aws/credentials`, sections `[NAME]`) and
//! `AWS_CONFIG_FILE` (else `~/.aws/config`, sections `[profile NAME]`, and `[default]`).
//!
//! The files are untrusted text: each is read bounded, parsed line by line without panicking,
//! and only the three key lines are taken. Values never reach a message: errors name the profile
//! and the files, never what was in them.

use std::path::{Path, PathBuf};

use super::read_bounded;
use super::s3::S3Credentials;
use crate::error::{Error, Result};

/// AWS credential files are a few hundred bytes; a megabyte is far beyond any real one.
const MAX_PROFILE_FILE_BYTES: u64 = 1024 * 1024;
/// Longer values are no AWS key (a session token is about a kilobyte).
const MAX_VALUE_BYTES: usize = 4096;
pub const CREDENTIALS_FILE_ENV: &str = "AWS_SHARED_CREDENTIALS_FILE";
pub const CONFIG_FILE_ENV: &str = "AWS_CONFIG_FILE";

/// The two files, by the environment or under the home folder.
pub fn profile_files() -> (Option<PathBuf>, Option<PathBuf>) {
    let home_file = |name: &str| dirs::home_dir().map(|home| home.join(".aws").join(name));
    let chosen = |env: &str, name: &str| {
        std::env::var_os(env)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
            .or_else(|| home_file(name))
    };
    (
        chosen(CREDENTIALS_FILE_ENV, "credentials"),
        chosen(CONFIG_FILE_ENV, "config"),
    )
}

/// The keys of `profile` (a name already checked by `check_profile`). The credentials file wins
/// over the config file, key by key, as in the AWS tools.
pub fn profile_credentials(
    profile: &str,
    credentials_file: Option<&Path>,
    config_file: Option<&Path>,
) -> Result<S3Credentials> {
    let shown_files = [credentials_file, config_file]
        .into_iter()
        .flatten()
        .map(|path| path.display().to_string())
        .collect::<Vec<_>>()
        .join(" and ");
    let unusable = |detail: &str| Error::AwsProfileUnusable {
        profile: profile.to_string(),
        files: if shown_files.is_empty() {
            "the AWS files (no home folder was found to hold them)".into()
        } else {
            shown_files.clone()
        },
        detail: detail.to_string(),
    };
    let mut keys = ProfileKeys::default();
    let mut found = false;
    if let Some(path) = credentials_file {
        if let Some(text) = read_profile_file(path)? {
            found |= keys.take_from(&text, profile);
        }
    }
    if let Some(path) = config_file {
        if let Some(text) = read_profile_file(path)? {
            let section = if profile == "default" {
                "default".to_string()
            } else {
                format!("profile {profile}")
            };
            found |= keys.take_from(&text, &section);
        }
    }
    if !found {
        return Err(unusable("is not in"));
    }
    match (keys.access_key_id, keys.secret_access_key) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(S3Credentials {
            access_key_id,
            secret_access_key,
            session_token: keys.session_token,
        }),
        _ => Err(unusable(
            "has no aws_access_key_id and aws_secret_access_key in",
        )),
    }
}

/// `None` when the file does not exist; too large or unreadable is an error naming the file.
fn read_profile_file(path: &Path) -> Result<Option<String>> {
    // Following links: these are the person's own files, often linked from a dotfiles folder.
    let Some(bytes) = read_bounded(path, true, MAX_PROFILE_FILE_BYTES)? else {
        return Ok(None);
    };
    if bytes.len() as u64 > MAX_PROFILE_FILE_BYTES {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            detail: "an AWS profile file is read only up to 1 MB".into(),
        });
    }
    // A file that is not UTF-8 holds no usable keys; its lines are read as far as they decode.
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

#[derive(Default)]
struct ProfileKeys {
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    session_token: Option<String>,
}

impl ProfileKeys {
    /// Takes the keys of section `[wanted]` not already known; whether the section was there.
    fn take_from(&mut self, text: &str, wanted: &str) -> bool {
        let mut inside = false;
        let mut found = false;
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
                continue;
            }
            if let Some(header) = line.strip_prefix('[') {
                let name = header.split(']').next().unwrap_or_default();
                // `[profile  name]` with extra spaces is the same section to the AWS tools.
                let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
                inside = name == wanted;
                found |= inside;
                continue;
            }
            if !inside {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim();
            if value.is_empty() || value.len() > MAX_VALUE_BYTES {
                continue;
            }
            let slot = match key.trim() {
                "aws_access_key_id" => &mut self.access_key_id,
                "aws_secret_access_key" => &mut self.secret_access_key,
                "aws_session_token" => &mut self.session_token,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(value.to_string());
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn files(credentials: &str, config: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
        let temp = tempfile::tempdir().expect("temp dir");
        let credentials_path = temp.path().join("credentials");
        let config_path = temp.path().join("config");
        std::fs::write(&credentials_path, credentials).expect("write");
        std::fs::write(&config_path, config).expect("write");
        (temp, credentials_path, config_path)
    }

    #[test]
    fn a_named_profile_is_read_from_the_credentials_file() {
        let credentials = format!(
            "[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = other\n\n\
             # team store\n[team]\naws_access_key_id=AKIATEAM\naws_secret_access_key = {SECRET}\n\
             aws_session_token = TOKEN\n"
        );
        let (_temp, creds, config) = files(&credentials, "");
        let keys = profile_credentials("team", Some(&creds), Some(&config)).expect("profile");
        assert_eq!(keys.access_key_id, "AKIATEAM");
        assert_eq!(keys.secret_access_key, SECRET);
        assert_eq!(keys.session_token.as_deref(), Some("TOKEN"));
    }

    #[test]
    fn a_profile_in_the_config_file_uses_its_profile_section() {
        let config = format!(
            "[team]\naws_access_key_id = WRONG\n[profile  team]\nregion = eu-west-1\n\
             aws_access_key_id = AKIACONFIG\naws_secret_access_key = {SECRET}\n"
        );
        let (_temp, creds, config) = files("", &config);
        let keys = profile_credentials("team", Some(&creds), Some(&config)).expect("profile");
        assert_eq!(keys.access_key_id, "AKIACONFIG");
        assert_eq!(keys.session_token, None);
    }

    #[test]
    fn a_missing_profile_names_the_profile_and_files_never_a_key() {
        let credentials =
            format!("[other]\naws_access_key_id = AKIA\naws_secret_access_key = {SECRET}\n");
        let (_temp, creds, config) =
            files(&credentials, "[profile half]\naws_access_key_id = AKIA\n");
        for profile in ["team", "half"] {
            let err = profile_credentials(profile, Some(&creds), Some(&config))
                .expect_err("no usable profile");
            let message = format!("{err} {}", err.hint());
            assert_eq!(err.code(), "aws_profile_unusable");
            assert!(message.contains(profile), "{message}");
            assert!(message.contains(&creds.display().to_string()), "{message}");
            assert!(
                !message.contains(SECRET) && !message.contains("AKIA"),
                "{message}"
            );
        }
        let err = profile_credentials("team", None, None).expect_err("no files");
        assert_eq!(err.code(), "aws_profile_unusable");
    }

    #[test]
    fn hostile_profile_files_never_panic_or_allocate_without_bound() {
        let huge = "x".repeat(MAX_VALUE_BYTES + 1);
        let hostile = format!(
            "[\n[]\n[team\naws_access_key_id\n=\n aws_access_key_id = {huge}\n\u{0}\u{feff}=\n\
             aws_secret_access_key = S\n"
        );
        let (_temp, creds, config) = files(&hostile, "[");
        // `[team` with no closing bracket opens the section; the oversized key is skipped.
        let err = profile_credentials("team", Some(&creds), Some(&config)).expect_err("no key");
        assert_eq!(err.code(), "aws_profile_unusable");
        std::fs::write(&creds, vec![b'a'; MAX_PROFILE_FILE_BYTES as usize + 1]).expect("write");
        let err = profile_credentials("team", Some(&creds), None).expect_err("too large");
        assert_eq!(err.code(), "too_large");
        std::fs::write(&creds, [0xff, 0xfe, b'[', b't', 0x80]).expect("write");
        assert!(profile_credentials("team", Some(&creds), None).is_err());
    }
}
