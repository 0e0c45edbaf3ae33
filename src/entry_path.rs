//! The rules an archive member's path and link target must obey before anything touches the disk.
//! They are strict on purpose: an archive may come from anywhere (mailed, dragged in), so only the
//! shape our own backups have is accepted: one strategy folder, plain relative names inside it.

use crate::manifest::EMBEDDED_MANIFEST_PATH;

/// What an archive member path turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberPath {
    /// `.results-backup/manifest.json`: our embedded manifest.
    EmbeddedManifest,
    /// `.results-backup/`: the folder that holds it.
    ManifestFolder,
    /// Something inside the strategy folder; `inside` is empty for the folder itself.
    Strategy {
        strategy: String,
        inside: Vec<String>,
    },
}

impl MemberPath {
    /// The canonical `strategy/a/b` form used in manifests.
    pub fn canonical(&self) -> String {
        match self {
            MemberPath::EmbeddedManifest => EMBEDDED_MANIFEST_PATH.to_string(),
            MemberPath::ManifestFolder => ".results-backup".to_string(),
            MemberPath::Strategy { strategy, inside } => {
                let mut s = strategy.clone();
                for part in inside {
                    s.push('/');
                    s.push_str(part);
                }
                s
            }
        }
    }
}

/// Classifies a raw member path, or says in plain words why it is refused.
pub fn classify(raw: &[u8]) -> Result<MemberPath, String> {
    let text = std::str::from_utf8(raw).map_err(|_| "has a name that is not valid UTF-8")?;
    if text.is_empty() {
        return Err("has an empty name".into());
    }
    if text.contains('\0') {
        return Err("has a name containing a NUL byte".into());
    }
    if text.contains('\\') {
        return Err("contains a backslash, which Windows reads as a folder separator".into());
    }
    if text.starts_with('/') {
        return Err("is an absolute path".into());
    }
    let parts: Vec<&str> = text
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if let Some(first) = parts.first() {
        if has_drive_prefix(first) {
            return Err("starts with a drive letter".into());
        }
    }
    for part in &parts {
        if *part == ".." {
            return Err("climbs out of its folder with \"..\"".into());
        }
        if cfg!(windows) && part.contains(':') {
            return Err("contains \":\", which Windows treats as a stream name".into());
        }
    }
    match parts.as_slice() {
        [] => Err("names no file (it is only \".\")".into()),
        [".results-backup"] => Ok(MemberPath::ManifestFolder),
        [".results-backup", "manifest.json"] => Ok(MemberPath::EmbeddedManifest),
        [".results-backup", ..] => Err("is outside the strategy folder".into()),
        [strategy, rest @ ..] => Ok(MemberPath::Strategy {
            strategy: strategy.to_string(),
            inside: rest.iter().map(|s| s.to_string()).collect(),
        }),
    }
}

fn has_drive_prefix(component: &str) -> bool {
    let bytes = component.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}

/// Checks that a link stored at `link_inside` (path inside the strategy folder, last element the
/// link's own name) points somewhere inside the strategy folder. Only leading `..` are allowed:
/// a `..` after a named folder could climb out through another link, so it is refused too.
pub fn check_link_target(link_inside: &[String], target: &[u8]) -> Result<(), String> {
    let text =
        std::str::from_utf8(target).map_err(|_| "is a link whose target is not valid UTF-8")?;
    if text.is_empty() {
        return Err("is a link with an empty target".into());
    }
    if text.starts_with('/') || text.contains('\\') || has_drive_prefix(text) {
        return Err(format!(
            "is a link to \"{text}\", outside the strategy folder"
        ));
    }
    let depth = link_inside.len().saturating_sub(1);
    let mut climbs = 0usize;
    let mut named = false;
    for part in text.split('/').filter(|p| !p.is_empty() && *p != ".") {
        if part == ".." {
            if named {
                return Err(format!(
                    "is a link to \"{text}\", which climbs with \"..\" after a folder name"
                ));
            }
            climbs += 1;
            if climbs > depth {
                return Err(format!(
                    "is a link to \"{text}\", outside the strategy folder"
                ));
            }
        } else {
            named = true;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inside(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn accepts_plain_members_and_the_manifest() {
        assert_eq!(
            classify(b"btc/a b/\xc3\xa9.csv").unwrap(),
            MemberPath::Strategy {
                strategy: "btc".into(),
                inside: inside(&["a b", "é.csv"])
            }
        );
        assert_eq!(classify(b"./btc/").unwrap().canonical(), "btc");
        assert_eq!(
            classify(b".results-backup/manifest.json").unwrap(),
            MemberPath::EmbeddedManifest
        );
    }

    #[test]
    fn refuses_every_escaping_shape() {
        for bad in [
            &b"/etc/passwd"[..],
            b"btc/../../x",
            b"..",
            b"btc\\..\\x",
            b"C:/x",
            b"c:x",
            b"",
            b".",
            b".results-backup/other",
            b"\xff\xfe",
        ] {
            assert!(classify(bad).is_err(), "{:?} should be refused", bad);
        }
    }

    #[test]
    fn links_must_stay_inside_the_strategy_folder() {
        assert!(check_link_target(&inside(&["latest"]), b"runs/run_3").is_ok());
        assert!(check_link_target(&inside(&["runs", "link"]), b"../metrics.json").is_ok());
        assert!(check_link_target(&inside(&["link"]), b"../other/x").is_err());
        assert!(check_link_target(&inside(&["link"]), b"/etc/passwd").is_err());
        assert!(check_link_target(&inside(&["a", "l"]), b"b/../../..").is_err());
        assert!(check_link_target(&inside(&["a", "l"]), b"x/../y").is_err());
        assert!(check_link_target(&inside(&["l"]), b"").is_err());
    }
}
