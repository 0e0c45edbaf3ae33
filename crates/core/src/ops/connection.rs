//! "Test connection" for a shared S3 store.
//!
//! The test does what backups will do, on a small scale: it lists the prefix, publishes a probe
//! object with `If-None-Match: *`, reads it back and deletes it. Every failure is a value, not an
//! error: it is the answer to the question the analyst asked, said in plain words with what to
//! do next. Messages are built from the failure's kind and our own validated fields only (the
//! store's address, never a key, a signature or the server's text).

use serde::Serialize;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, RemoteReason};
use crate::limits::quoted;
use crate::store::names::ARCHIVE_SUFFIX;
use crate::store::remote::RemoteStore;
use crate::store::settings::RemoteChoice;
use crate::sys::s3::Publish;

/// Names the probe object; the store's readers ignore it (not an archive, sidecar or entry).
const PROBE_PREFIX: &str = ".results-backup-connection-test-";
const PROBE_BYTES: &[u8] = b"Results Backup connection test; safe to delete.\n";

/// What went wrong, in the kinds an analyst (or IT) can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionProblem {
    /// Nothing answered at the endpoint (wrong address or port, no network).
    Unreachable,
    /// The bucket does not exist on that server.
    NoSuchBucket,
    /// No AWS keys anywhere the AWS chain looks (environment, profile files).
    NoKeys,
    /// The keys were refused, or may not even list the prefix.
    WrongCredentials,
    /// Listing works, writing is refused.
    CannotWrite,
    /// Writing works, deleting is refused (a probe object was left behind).
    CannotDelete,
    /// The settings cannot be used as they are (endpoint, region, missing keys, a profile).
    Misconfigured,
    /// The server answered something we do not understand, or returned other bytes.
    Unexpected,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ConnectionCheck {
    Connected {
        /// `s3://bucket/prefix`.
        store: String,
        message: String,
        /// Archives found directly in the prefix (`.tar.gz` objects).
        archives: u32,
    },
    Failed {
        store: String,
        problem: ConnectionProblem,
        message: String,
        hint: String,
    },
}

/// Opens the store, lists the prefix, writes a probe object (only if absent), reads it back and
/// deletes it.
pub fn test_connection(choice: &RemoteChoice) -> ConnectionCheck {
    let store_shown = choice.location.shown();
    let failed =
        |problem: ConnectionProblem, message: String, hint: &str| ConnectionCheck::Failed {
            store: store_shown.clone(),
            problem,
            message,
            hint: hint.to_string(),
        };
    let store = match RemoteStore::open_choice(choice) {
        Ok(store) => store,
        Err(error) => return explain(choice, Step::Open, &error),
    };
    let objects = store.objects();
    let listed = match objects.list("") {
        Ok(listed) => listed,
        Err(error) => return explain(choice, Step::List, &error),
    };
    let probe = probe_name();
    if let Err(error) = objects.put_small(&probe, PROBE_BYTES.to_vec(), Publish::IfAbsent) {
        return explain(choice, Step::Write, &error);
    }
    let read_back = objects.read_small(&probe, PROBE_BYTES.len() as u64);
    let deleted = objects.delete(&probe);
    match read_back {
        Ok(bytes) if bytes == PROBE_BYTES => {}
        Ok(_) => {
            return failed(
                ConnectionProblem::Unexpected,
                format!("{store_shown} returned other bytes than were written to it"),
                "Ask IT whether the endpoint is an S3 server that keeps objects as written.",
            )
        }
        Err(error) => return explain(choice, Step::ReadBack, &error),
    }
    if let Err(error) = deleted {
        return explain(choice, Step::Delete, &error);
    }
    let archives = listed
        .iter()
        .filter(|object| object.name.ends_with(ARCHIVE_SUFFIX))
        .count();
    ConnectionCheck::Connected {
        message: format!("Connected: can read and write in {store_shown}"),
        store: store_shown,
        archives: u32::try_from(archives).unwrap_or(u32::MAX),
    }
}

/// A name no two tests share, so `If-None-Match: *` never meets an earlier probe.
fn probe_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    format!("{PROBE_PREFIX}{}-{nanos}", std::process::id())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Open,
    List,
    Write,
    ReadBack,
    Delete,
}

/// The plain sentence for a failure at `step`. The same reason means different things at
/// different steps: a refusal to list is about the keys, a refusal to write about permissions.
fn explain(choice: &RemoteChoice, step: Step, error: &Error) -> ConnectionCheck {
    let store = choice.location.shown();
    let server = match &choice.location.endpoint {
        Some(endpoint) => endpoint.clone(),
        None => "AWS S3".to_string(),
    };
    let bucket = &choice.location.bucket;
    let (problem, message, hint) = match (error, step) {
        (Error::InvalidStoreAddress { .. }, _) => (
            ConnectionProblem::Misconfigured,
            error.to_string(),
            "Leave \"AWS profile\" empty and start the app with AWS_PROFILE set, or with the keys in the environment.",
        ),
        (Error::Remote { reason, .. }, _) => match (reason, step) {
            (RemoteReason::Unreachable, _) => (
                ConnectionProblem::Unreachable,
                format!("Cannot reach {server}: nothing answered there"),
                "Check the endpoint's address and port, and that this computer is on a network that reaches it.",
            ),
            (RemoteReason::NotFound, Step::List | Step::Open | Step::Write) => (
                ConnectionProblem::NoSuchBucket,
                format!("There is no bucket {} at {server}", quoted(bucket)),
                "Check the bucket's name with IT, and the endpoint: a bucket lives on one server.",
            ),
            (RemoteReason::AccessDenied, Step::List | Step::Open) => (
                ConnectionProblem::WrongCredentials,
                format!("{server} refused the keys in use, or they may not read {store}"),
                "Ask IT for a key pair that may read and write this bucket, and set it in the AWS environment or profile files.",
            ),
            (RemoteReason::AccessDenied, Step::Write) => (
                ConnectionProblem::CannotWrite,
                format!("The keys in use may read {store} but not write there"),
                "Ask IT to allow writing (PutObject) in this bucket and folder for your keys.",
            ),
            (RemoteReason::AccessDenied, Step::Delete) => (
                ConnectionProblem::CannotDelete,
                format!("The keys in use may write in {store} but not delete there; a small test object was left behind"),
                "Ask IT to allow deleting (DeleteObject): removing old backups needs it.",
            ),
            // The client cannot sign a request without keys, and says no more than "unexpected".
            (RemoteReason::Unexpected, Step::List) if !keys_in_sight(&|name| std::env::var_os(name)) => (
                ConnectionProblem::NoKeys,
                "No AWS keys were found on this computer".to_string(),
                "Ask IT for a key pair (access key ID and secret) for this bucket; put it in ~/.aws/credentials or in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, then restart the app.",
            ),
            (RemoteReason::Misconfigured, _) => (
                ConnectionProblem::Misconfigured,
                format!("{store} cannot be used with these settings"),
                "Check the endpoint and region, and that AWS keys are set (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws).",
            ),
            _ => (
                ConnectionProblem::Unexpected,
                error.to_string(),
                "Check that the endpoint is an S3 server, then try again.",
            ),
        },
        _ => (
            ConnectionProblem::Unexpected,
            error.to_string(),
            "Try again; if it keeps failing, ask IT to check the store.",
        ),
    };
    ConnectionCheck::Failed {
        store,
        problem,
        message,
        hint: hint.to_string(),
    }
}

/// Whether the AWS chain has anywhere to find keys: the variables, a profile, or the profile
/// files. Only presence is looked at; no key is read here.
fn keys_in_sight(env: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    let set = |name: &str| env(name).is_some_and(|value| !value.is_empty());
    let file_exists = |path: std::path::PathBuf| path.is_file();
    let home_file = |name: &str| {
        env("HOME")
            .is_some_and(|home| file_exists(std::path::Path::new(&home).join(".aws").join(name)))
    };
    set("AWS_ACCESS_KEY_ID")
        || set("AWS_PROFILE")
        || set("AWS_WEB_IDENTITY_TOKEN_FILE")
        || env("AWS_SHARED_CREDENTIALS_FILE").is_some_and(|file| file_exists(file.into()))
        || env("AWS_CONFIG_FILE").is_some_and(|file| file_exists(file.into()))
        || home_file("credentials")
        || home_file("config")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::s3::S3Location;

    fn failed_at(step: Step, reason: RemoteReason) -> ConnectionProblem {
        let choice = RemoteChoice {
            location: S3Location::parse("s3://team/results")
                .and_then(|l| l.with_endpoint("http://127.0.0.1:9"))
                .expect("valid"),
            profile: None,
        };
        let error = Error::Remote {
            store: choice.location.shown(),
            action: "list",
            object: String::new(),
            reason,
        };
        match explain(&choice, step, &error) {
            ConnectionCheck::Failed {
                problem, message, ..
            } => {
                assert!(!message.is_empty());
                problem
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_failure_is_explained_by_what_was_being_tried() {
        use ConnectionProblem as P;
        assert_eq!(
            failed_at(Step::List, RemoteReason::Unreachable),
            P::Unreachable
        );
        assert_eq!(
            failed_at(Step::List, RemoteReason::NotFound),
            P::NoSuchBucket
        );
        assert_eq!(
            failed_at(Step::List, RemoteReason::AccessDenied),
            P::WrongCredentials
        );
        assert_eq!(
            failed_at(Step::Write, RemoteReason::AccessDenied),
            P::CannotWrite
        );
        assert_eq!(
            failed_at(Step::Delete, RemoteReason::AccessDenied),
            P::CannotDelete
        );
        assert_eq!(
            failed_at(Step::Open, RemoteReason::Misconfigured),
            P::Misconfigured
        );
    }

    #[test]
    fn keys_are_in_sight_only_where_the_aws_chain_looks() {
        let none = |_: &str| None;
        assert!(!keys_in_sight(&none));
        let with_key = |name: &str| (name == "AWS_ACCESS_KEY_ID").then(|| "AKIA".into());
        assert!(keys_in_sight(&with_key));
        let empty_key = |name: &str| (name == "AWS_ACCESS_KEY_ID").then(std::ffi::OsString::new);
        assert!(!keys_in_sight(&empty_key));
    }
}
