//! Listing and aborting incomplete multipart uploads, which opendal has no call for: S3's
//! `ListMultipartUploads` (`GET /bucket?uploads&prefix=...`) and `AbortMultipartUpload`
//! (`DELETE /bucket/key?uploadId=...`), signed with SigV4 by reqsign (the signer opendal itself
//! uses) from the same credential chain, and sent through opendal's HTTP client.
//!
//! The listing is untrusted input like any other answer: it is read up to a bound, parsed by a
//! small parser that accepts only the few plain values it needs, and an upload is kept only
//! when its key is one of our archive names directly under the prefix.

use std::time::Duration;

use chrono::{DateTime, Utc};
use opendal::raw::oio::Read as _;
use opendal::raw::HttpClient;
use opendal::Buffer;
use reqsign_aws_v4::Credential;
use reqsign_core::{Context, OsEnv, ProvideCredentialChain, Signer};

use super::S3Location;
use crate::error::RemoteReason;

/// One listing page: S3 returns at most 1000 uploads (or parts), a few hundred bytes each.
const MAX_UPLOADS: usize = 1000;
/// Pages of uploads looked at per run (20,000 uploads under the prefix); the rest wait for the
/// next run.
const MAX_UPLOAD_PAGES: usize = 20;
/// S3 allows 10,000 parts to an upload: ten pages of parts.
const MAX_PART_PAGES: usize = 10;
/// An answer larger than a full page could be is refused before it is read further.
const MAX_ANSWER_BYTES: usize = 2 * 1024 * 1024;
/// S3's upload ids are about 100 characters; anything much longer is not one.
const MAX_UPLOAD_ID_BYTES: usize = 1024;
/// S3's longest key.
const MAX_KEY_BYTES: usize = 1024;
/// One name in a key: the file-name limit archive names obey.
const MAX_NAME_BYTES: usize = 255;
/// What every request here sends as its payload hash: the SHA-256 of an empty body.
const EMPTY_BODY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// An incomplete upload of ours, as the store listed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenUpload {
    /// The full key, under our prefix.
    pub key: String,
    pub upload_id: String,
    pub initiated: DateTime<Utc>,
}

/// The two calls, addressed path-style (`{endpoint}/{bucket}`) as opendal addresses the bucket.
pub struct UploadsApi {
    bucket_url: String,
    /// Keys of the store's objects start with this: the prefix and `/`, or nothing at the root.
    key_prefix: String,
    signer: Signer<Credential>,
    client: HttpClient,
    /// Each request, like each of opendal's, is given up on after this long.
    timeout: Duration,
}

impl UploadsApi {
    pub fn new(
        location: &S3Location,
        region: &str,
        credentials: ProvideCredentialChain<Credential>,
        timeout: Duration,
    ) -> opendal::Result<UploadsApi> {
        let endpoint = match &location.endpoint {
            Some(endpoint) => endpoint.clone(),
            None => format!("https://s3.{region}.amazonaws.com"),
        };
        let client = HttpClient::new()?;
        // The same context opendal builds: files for the `~/.aws` profiles, the process
        // environment, and its HTTP client for the providers that ask a service.
        let context = Context::new()
            .with_file_read(reqsign_file_read_tokio::TokioFileRead)
            .with_http_send(client.clone())
            .with_env(OsEnv);
        let signer = Signer::new(
            context,
            credentials,
            reqsign_aws_v4::RequestSigner::new("s3", region),
        );
        Ok(UploadsApi {
            bucket_url: format!("{endpoint}/{}", location.bucket),
            key_prefix: if location.prefix.is_empty() {
                String::new()
            } else {
                format!("{}/", location.prefix)
            },
            signer,
            client,
            timeout,
        })
    }

    /// The incomplete uploads of archives directly under our prefix, page after page (others'
    /// uploads under the prefix count towards a page too), up to [`MAX_UPLOAD_PAGES`].
    pub async fn list(&self) -> Result<Vec<OpenUpload>, RemoteReason> {
        let mut ours = Vec::new();
        let mut marker: Option<UploadsMarker> = None;
        for _ in 0..MAX_UPLOAD_PAGES {
            let mut url = format!(
                "{}?max-uploads={MAX_UPLOADS}&prefix={}&uploads=",
                self.bucket_url,
                encode(&self.key_prefix)
            );
            if let Some(marker) = &marker {
                url.push_str(&format!(
                    "&key-marker={}&upload-id-marker={}",
                    encode(&marker.key),
                    encode(&marker.upload_id)
                ));
            }
            let (status, body) = self.send(http::Method::GET, &url).await?;
            if status != 200 {
                return Err(reason_of_status(status));
            }
            let text = std::str::from_utf8(&body).map_err(|_| RemoteReason::Unexpected)?;
            let page = parse_uploads(text);
            ours.extend(
                page.uploads
                    .into_iter()
                    .filter(|upload| is_ours(&self.key_prefix, &upload.key)),
            );
            // A server that hands back the marker it was given would loop: stop there.
            match page.next {
                Some(next) if marker.as_ref() != Some(&next) => marker = Some(next),
                _ => break,
            }
        }
        Ok(ours)
    }

    /// When the newest part of `upload` was stored, `None` when it has none: a live upload
    /// sends a part every few minutes, however long it has been running. Every page of parts
    /// is read (parts come in part-number order, not time order).
    pub async fn newest_part(
        &self,
        upload: &OpenUpload,
    ) -> Result<Option<DateTime<Utc>>, RemoteReason> {
        let mut newest = None;
        let mut marker = 0u32;
        for _ in 0..MAX_PART_PAGES {
            let url = format!(
                "{}/{}?max-parts={MAX_UPLOADS}&part-number-marker={marker}&uploadId={}",
                self.bucket_url,
                upload.key,
                encode(&upload.upload_id)
            );
            let (status, body) = self.send(http::Method::GET, &url).await?;
            if status != 200 {
                return Err(reason_of_status(status));
            }
            let text = std::str::from_utf8(&body).map_err(|_| RemoteReason::Unexpected)?;
            let page = parse_parts(text);
            newest = newest.max(page.newest);
            match page.next_marker {
                Some(next) if next > marker => marker = next,
                _ => return Ok(newest),
            }
        }
        Ok(newest)
    }

    /// Aborts one upload; one that is already gone (completed or aborted meanwhile) is fine.
    pub async fn abort(&self, upload: &OpenUpload) -> Result<(), RemoteReason> {
        // Only a key `is_ours` accepted reaches here: its characters need no escaping but `/`.
        let url = format!(
            "{}/{}?uploadId={}",
            self.bucket_url,
            upload.key,
            encode(&upload.upload_id)
        );
        match self.send(http::Method::DELETE, &url).await? {
            (200 | 204 | 404, _) => Ok(()),
            (status, _) => Err(reason_of_status(status)),
        }
    }

    /// One signed request with an empty body; the status and the body, read up to the bound.
    async fn send(&self, method: http::Method, url: &str) -> Result<(u16, Vec<u8>), RemoteReason> {
        let request = async {
            let (mut head, ()) = http::Request::builder()
                .method(method)
                .uri(url)
                .header("x-amz-content-sha256", EMPTY_BODY_SHA256)
                .body(())
                .map_err(|_| RemoteReason::Misconfigured)?
                .into_parts();
            // A signing failure is a credential the chain could not load or use.
            self.signer
                .sign(&mut head, None)
                .await
                .map_err(|_| RemoteReason::AccessDenied)?;
            let response = self
                .client
                .fetch(http::Request::from_parts(head, Buffer::new()))
                .await
                .map_err(|_| RemoteReason::Unreachable)?;
            let status = response.status().as_u16();
            let mut body = response.into_body();
            let mut bytes: Vec<u8> = Vec::new();
            loop {
                let piece = body
                    .read()
                    .await
                    .map_err(|_| RemoteReason::ConnectionLost)?;
                if piece.is_empty() {
                    break;
                }
                if bytes.len() + piece.len() > MAX_ANSWER_BYTES {
                    return Err(RemoteReason::Unexpected);
                }
                bytes.extend_from_slice(&piece.to_bytes());
            }
            Ok::<_, RemoteReason>((status, bytes))
        };
        tokio::time::timeout(self.timeout, request)
            .await
            .map_err(|_| RemoteReason::Unreachable)?
    }
}

/// Only uploads this app starts: an archive (`<name>.tar.gz`, a name of the characters archive
/// names use) directly under the prefix (`key_prefix` is it with its `/`). Small documents are
/// never uploaded in parts, and nothing deeper (`catalog.d/`) or elsewhere is touched.
fn is_ours(key_prefix: &str, key: &str) -> bool {
    let Some(name) = key.strip_prefix(key_prefix) else {
        return false;
    };
    let stem = name.strip_suffix(".tar.gz").unwrap_or_default();
    !stem.is_empty()
        && name.len() <= MAX_NAME_BYTES
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

fn reason_of_status(status: u16) -> RemoteReason {
    match status {
        403 => RemoteReason::AccessDenied,
        404 => RemoteReason::BucketMissing,
        429 | 503 => RemoteReason::Throttled,
        500..=599 => RemoteReason::Unreachable,
        _ => RemoteReason::Unexpected,
    }
}

/// Percent-encodes everything but S3's unreserved characters, as SigV4 expects a query value.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Where the next page of a truncated `ListMultipartUploadsResult` starts.
#[derive(Clone, Debug, PartialEq, Eq)]
struct UploadsMarker {
    key: String,
    upload_id: String,
}

/// One page of a `ListMultipartUploadsResult`.
struct UploadsPage {
    uploads: Vec<OpenUpload>,
    /// Set when the listing is truncated and says where it goes on.
    next: Option<UploadsMarker>,
}

/// The `<Upload>` entries of a `ListMultipartUploadsResult`, each with its `Key`, `UploadId`
/// and `Initiated`, and where the next page starts. Only plain values are accepted: one holding
/// markup or an entity (`<`, `&`), or a malformed time, makes its entry skipped rather than
/// guessed at (and a marker like that ends the listing). Everything is found by linear scans of
/// text already bounded in size.
fn parse_uploads(xml: &str) -> UploadsPage {
    let mut uploads = Vec::new();
    const OPEN: &str = "<Upload>";
    for (start, _) in xml.match_indices(OPEN) {
        let Some((entry, _)) = xml[start + OPEN.len()..].split_once("</Upload>") else {
            break;
        };
        let key = value_of(entry, "Key");
        let upload_id = value_of(entry, "UploadId").filter(|id| plain_upload_id(id));
        let initiated = value_of(entry, "Initiated")
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
            .map(|time| time.with_timezone(&Utc));
        if let (Some(key), Some(upload_id), Some(initiated)) = (key, upload_id, initiated) {
            uploads.push(OpenUpload {
                key: key.to_string(),
                upload_id: upload_id.to_string(),
                initiated,
            });
        }
        if uploads.len() == MAX_UPLOADS {
            break;
        }
    }
    // The markers sit after the entries; only the text outside them is looked at.
    let tail = xml.rfind("</Upload>").map_or(xml, |end| &xml[end..]);
    let head = xml.find(OPEN).map_or(xml, |start| &xml[..start]);
    let marker_of = |tag: &str| value_of(tail, tag).or_else(|| value_of(head, tag));
    let truncated = marker_of("IsTruncated") == Some("true");
    let next = marker_of("NextKeyMarker")
        .filter(|key| truncated && key.len() <= MAX_KEY_BYTES)
        .map(|key| UploadsMarker {
            key: key.to_string(),
            upload_id: marker_of("NextUploadIdMarker")
                .filter(|id| plain_upload_id(id))
                .unwrap_or_default()
                .to_string(),
        });
    UploadsPage { uploads, next }
}

fn plain_upload_id(id: &str) -> bool {
    id.len() <= MAX_UPLOAD_ID_BYTES && id.bytes().all(|b| b.is_ascii_graphic())
}

/// One page of a `ListPartsResult`.
struct PartsPage {
    /// The latest `LastModified` of its parts.
    newest: Option<DateTime<Utc>>,
    /// Where the next page starts, when the listing is truncated.
    next_marker: Option<u32>,
}

/// Reads the parts' times the same careful way as [`parse_uploads`]: a part whose time cannot
/// be read makes the page unreadable as a whole (`newest` far in the future), so an upload is
/// never judged stale on a guess.
fn parse_parts(xml: &str) -> PartsPage {
    const OPEN: &str = "<Part>";
    let mut newest: Option<DateTime<Utc>> = None;
    for (start, _) in xml.match_indices(OPEN).take(MAX_UPLOADS) {
        let part = xml[start + OPEN.len()..]
            .split_once("</Part>")
            .map(|(part, _)| part)
            .unwrap_or_default();
        let time = value_of(part, "LastModified")
            .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
            .map(|time| time.with_timezone(&Utc))
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        newest = newest.max(Some(time));
    }
    let truncated = value_of(xml, "IsTruncated") == Some("true");
    PartsPage {
        newest,
        next_marker: value_of(xml, "NextPartNumberMarker")
            .and_then(|text| text.parse().ok())
            .filter(|_| truncated),
    }
}

/// The text of the first `<tag>...</tag>` in `entry`, when it is a plain value.
fn value_of<'a>(entry: &'a str, tag: &str) -> Option<&'a str> {
    let (_, rest) = entry.split_once(&format!("<{tag}>"))?;
    let (value, _) = rest.split_once(&format!("</{tag}>"))?;
    (!value.is_empty() && !value.contains(['<', '&'])).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_yields_only_plain_complete_entries() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>bucket</Bucket>
  <Upload><Key>team/alpha_20261130_101500.tar.gz</Key><UploadId>abc-123</UploadId>
    <Initiator><ID>x</ID></Initiator><Initiated>2026-11-30T10:15:00.000Z</Initiated></Upload>
  <Upload><Key>team/&lt;x&gt;.tar.gz</Key><UploadId>def</UploadId><Initiated>2026-11-30T10:15:00Z</Initiated></Upload>
  <Upload><Key>team/b.tar.gz</Key><UploadId>ghi</UploadId><Initiated>yesterday</Initiated></Upload>
  <Upload><Key>team/c.tar.gz</Key><UploadId>has space</UploadId><Initiated>2026-11-30T10:15:00Z</Initiated></Upload>
  <Upload><Key>team/cut.tar.gz</Key><UploadId>jkl</UploadId>
</ListMultipartUploadsResult>"#;
        let page = parse_uploads(xml);
        assert_eq!(page.next, None, "not truncated");
        let uploads = page.uploads;
        assert_eq!(uploads.len(), 1, "{uploads:?}");
        assert_eq!(uploads[0].key, "team/alpha_20261130_101500.tar.gz");
        assert_eq!(uploads[0].upload_id, "abc-123");
        assert_eq!(
            uploads[0].initiated.to_rfc3339(),
            "2026-11-30T10:15:00+00:00"
        );
        assert!(parse_uploads("<Upload><Key>").uploads.is_empty());
        assert!(parse_uploads("").uploads.is_empty());
    }

    #[test]
    fn a_truncated_listing_says_where_it_goes_on_and_entries_cannot_forge_that() {
        let page = parse_uploads(
            r#"<ListMultipartUploadsResult><Bucket>b</Bucket><KeyMarker></KeyMarker>
  <NextKeyMarker>team/notes.bin</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>
  <MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated>
  <Upload><Key>team/a.tar.gz</Key><UploadId>u1</UploadId><Initiated>2026-11-30T10:15:00Z</Initiated></Upload>
</ListMultipartUploadsResult>"#,
        );
        assert_eq!(
            page.next,
            Some(UploadsMarker {
                key: "team/notes.bin".into(),
                upload_id: "u2".into()
            })
        );
        // Not truncated: no next page, whatever markers say.
        let last =
            parse_uploads("<NextKeyMarker>team/x</NextKeyMarker><IsTruncated>false</IsTruncated>");
        assert_eq!(last.next, None);
        // A marker inside an entry is not the listing's.
        let forged = parse_uploads(
            "<IsTruncated>true</IsTruncated><Upload><Key>k</Key><NextKeyMarker>team/z</NextKeyMarker></Upload>",
        );
        assert_eq!(forged.next, None);
    }

    #[test]
    fn only_archives_directly_under_the_prefix_are_ours() {
        let team = "team/results/";
        assert!(is_ours(team, "team/results/alpha_20261130_101500.tar.gz"));
        assert!(is_ours(team, "team/results/alpha_20261130_101500_2.tar.gz"));
        for other in [
            "team/results/catalog.d/alpha_20261130_101500.tar.gz.json",
            "team/results/alpha_20261130_101500.manifest.json",
            "team/results/sub/alpha.tar.gz",
            "team/results/.tar.gz",
            "team/results/a b.tar.gz",
            "team/other/alpha.tar.gz",
            "team/results-alpha.tar.gz",
            "alpha.tar.gz",
        ] {
            assert!(!is_ours(team, other), "{other}");
        }
        assert!(is_ours("", "alpha_20261130_101500.tar.gz"));
        assert!(!is_ours("", "team/alpha_20261130_101500.tar.gz"));
    }

    #[test]
    fn the_newest_part_counts_and_an_unreadable_one_is_never_old() {
        let page = parse_parts(
            "<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker>\
             <Part><PartNumber>1</PartNumber><LastModified>2026-11-30T10:00:00.000Z</LastModified></Part>\
             <Part><PartNumber>2</PartNumber><LastModified>2026-11-30T11:00:00.000Z</LastModified></Part>\
             </ListPartsResult>",
        );
        assert_eq!(
            page.newest.map(|t| t.to_rfc3339()),
            Some("2026-11-30T11:00:00+00:00".to_string())
        );
        assert_eq!(page.next_marker, Some(2));
        let hostile = parse_parts("<Part><LastModified>&amp;</LastModified></Part>");
        assert_eq!(hostile.newest, Some(DateTime::<Utc>::MAX_UTC));
        assert_eq!(hostile.next_marker, None);
        let none =
            parse_parts("<ListPartsResult><IsTruncated>false</IsTruncated></ListPartsResult>");
        assert_eq!(none.newest, None);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("team/results/"), "team%2Fresults%2F");
        assert_eq!(encode("a+b=c~d"), "a%2Bb%3Dc~d");
    }
}
