//! THE rules an archive member must obey, used by restore (which refuses the archive) and by
//! check (which reports the member as unsafe) alike, so the two can never disagree. They are
//! strict on purpose: an archive may come from anywhere (mailed, dragged in, planted on a shared
//! disk), so only the shape our own backups have is accepted: one strategy folder at the top,
//! plain relative names inside it, files, folders and links that stay inside, each once, and our
//! embedded manifest as the very last member.

use std::collections::{HashMap, HashSet};

use super::tar_read::{MemberHeader, MemberKind};
use super::{StrategyName, EMBEDDED_MANIFEST_PATH};
use crate::limits::{quoted, MAX_ENTRIES, MAX_MANIFEST_BYTES, MAX_NAME_BYTES, MAX_PATH_BYTES};
use crate::sys::{component_problem, EntryKind};

const MANIFEST_FOLDER: &str = ".results-backup";

/// What a member path is, by its shape alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberPath {
    /// `.results-backup/manifest.json`: our embedded manifest.
    EmbeddedManifest,
    /// `.results-backup/`: the folder that holds it.
    ManifestFolder,
    /// Something in a top-level folder; `inside` is empty for the folder itself.
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
            MemberPath::ManifestFolder => MANIFEST_FOLDER.to_string(),
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

/// Classifies a raw member path, or says in plain words why it is refused. Any platform's
/// separators count: a backslash or a drive prefix is refused everywhere, because the archive
/// may be restored on Windows.
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
        if part.len() > MAX_NAME_BYTES {
            return Err(format!(
                "has a name part longer than {MAX_NAME_BYTES} bytes"
            ));
        }
        if cfg!(windows) && part.contains(':') {
            return Err("contains \":\", which Windows treats as a stream name".into());
        }
    }
    match parts.as_slice() {
        [] => Err("names no file (it is only \".\")".into()),
        [MANIFEST_FOLDER] => Ok(MemberPath::ManifestFolder),
        [MANIFEST_FOLDER, "manifest.json"] => Ok(MemberPath::EmbeddedManifest),
        [MANIFEST_FOLDER, ..] => Err("is outside the strategy folder".into()),
        [strategy, rest @ ..] => Ok(MemberPath::Strategy {
            strategy: strategy.to_string(),
            inside: rest.iter().map(|s| s.to_string()).collect(),
        }),
    }
}

/// The parts of a path someone typed to name something inside a strategy folder
/// (`runs/run_003/trades.csv`): relative, `/`-separated, no `..`, no backslash or drive, each
/// part one name; `.` parts and repeated or trailing slashes are dropped. Nothing is looked up.
pub fn relative_member_path(text: &str) -> Result<Vec<String>, String> {
    if text.starts_with('/') || has_drive_prefix(text) {
        return Err("it is an absolute path; name it relative to the strategy folder".into());
    }
    if text.len() > MAX_PATH_BYTES {
        return Err(format!("it is longer than {MAX_PATH_BYTES} bytes"));
    }
    // The same rules as an archive member below a (stand-in) strategy folder.
    match classify(format!("s/{text}").as_bytes()).map_err(|reason| format!("it {reason}"))? {
        MemberPath::Strategy { inside, .. } if !inside.is_empty() => Ok(inside),
        _ => Err("it names nothing inside the strategy folder".into()),
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
    if text.contains('\0') {
        return Err("is a link whose target contains a NUL byte".into());
    }
    // Manifests are read without the tar reader's limit; restore could not create it.
    if text.len() > MAX_PATH_BYTES {
        return Err(format!(
            "is a link whose target is longer than {MAX_PATH_BYTES} bytes"
        ));
    }
    let shown = quoted(text);
    if text.starts_with('/') || text.contains('\\') || has_drive_prefix(text) {
        return Err(format!(
            "is a link to \"{shown}\", outside the strategy folder"
        ));
    }
    let depth = link_inside.len().saturating_sub(1);
    let mut climbs = 0usize;
    let mut named = false;
    for part in text.split('/').filter(|p| !p.is_empty() && *p != ".") {
        if part == ".." {
            if named {
                return Err(format!(
                    "is a link to \"{shown}\", which climbs with \"..\" after a folder name"
                ));
            }
            climbs += 1;
            if climbs > depth {
                return Err(format!(
                    "is a link to \"{shown}\", outside the strategy folder"
                ));
            }
        } else {
            named = true;
        }
    }
    Ok(())
}

/// A member the rules let through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admitted {
    /// `.results-backup/`: nothing to do.
    ManifestFolder,
    /// `.results-backup/manifest.json`, no larger than a manifest may be: read it.
    EmbeddedManifest,
    /// A folder, file or link in the strategy folder.
    Entry(AdmittedEntry),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdmittedEntry {
    /// `strategy/a/b`, as manifests name it.
    pub canonical: String,
    /// The parts below the strategy folder (empty for the folder itself).
    pub inside: Vec<String>,
    pub kind: EntryKind,
}

/// What the members seen so far say about the archive's shape.
#[derive(Debug, Default)]
pub struct Layout {
    /// The strategy a manifest read beforehand names, when there is one.
    expected: Option<StrategyName>,
    strategy: Option<StrategyName>,
    seen: HashSet<String>,
    /// Every path below the strategy folder the members made so far: nothing may lie under a
    /// link or a file, and no file or link may take the place of a folder (named, or implied by
    /// a member inside it).
    tree: Tree,
    manifest_seen: bool,
    /// The strategy folder's member and every path in `tree`: folders a member only implies are
    /// created by restore all the same, so they count (a member path thousands of folders deep
    /// is one member).
    entries: usize,
}

/// What a path below the strategy folder is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Folder,
    Link,
    File,
}

/// The paths below the strategy folder as a tree, one node per path (node 0 is the strategy
/// folder), so a member costs as much as its own path, however deep it lies.
#[derive(Debug)]
struct Tree {
    shapes: Vec<Shape>,
    children: Vec<HashMap<String, usize>>,
}

impl Default for Tree {
    fn default() -> Self {
        Tree {
            shapes: vec![Shape::Folder],
            children: vec![HashMap::new()],
        }
    }
}

impl Tree {
    fn child(&self, node: usize, name: &str) -> Option<usize> {
        self.children[node].get(name).copied()
    }

    fn add(&mut self, parent: usize, name: &str, shape: Shape) -> usize {
        let node = self.shapes.len();
        self.shapes.push(shape);
        self.children.push(HashMap::new());
        self.children[parent].insert(name.to_string(), node);
        node
    }
}

impl Layout {
    pub fn new(expected: Option<StrategyName>) -> Layout {
        Layout {
            expected,
            ..Layout::default()
        }
    }

    /// The strategy folder the archive holds, once a member named it.
    pub fn strategy(&self) -> Option<&StrategyName> {
        self.strategy.as_ref()
    }

    /// Lets `header` through, or says why restore refuses it (a phrase that follows the
    /// member's name: "is an absolute path").
    pub fn admit(&mut self, header: &MemberHeader) -> Result<Admitted, String> {
        if self.manifest_seen {
            return Err(
                "comes after the embedded manifest, which must be the archive's last member".into(),
            );
        }
        let member = classify(&header.raw_path)?;
        let canonical = member.canonical();
        if !self.seen.insert(canonical.clone()) {
            return Err("appears twice in the archive".into());
        }
        Ok(match member {
            MemberPath::ManifestFolder => {
                if header.kind != MemberKind::Dir {
                    return Err("stands where the manifest's folder belongs".into());
                }
                Admitted::ManifestFolder
            }
            MemberPath::EmbeddedManifest => {
                if header.kind != MemberKind::File {
                    return Err("stands where the embedded manifest belongs".into());
                }
                if header.size > MAX_MANIFEST_BYTES {
                    return Err(format!(
                        "claims {} bytes, more than a manifest may hold ({MAX_MANIFEST_BYTES})",
                        header.size
                    ));
                }
                self.manifest_seen = true;
                Admitted::EmbeddedManifest
            }
            MemberPath::Strategy { strategy, inside } => {
                self.check_strategy(&strategy)?;
                let kind = self.check_entry(header, &inside)?;
                Admitted::Entry(AdmittedEntry {
                    canonical,
                    inside,
                    kind,
                })
            }
        })
    }

    /// Every member must sit in the one strategy folder, the one a manifest names.
    fn check_strategy(&mut self, strategy: &str) -> Result<(), String> {
        if let Some(first) = &self.strategy {
            return if first == strategy {
                Ok(())
            } else {
                Err(format!(
                    "leaves the strategy folder \"{}\" (an archive holds one strategy)",
                    quoted(first)
                ))
            };
        }
        let name = StrategyName::new(strategy).map_err(|_| match component_problem(strategy) {
            Some(_) if strategy.starts_with('.') => {
                "is in a hidden folder, not a strategy folder".to_string()
            }
            Some(reason) => format!("is in a folder whose name {reason}"),
            None => "is in a folder with an unusable name".to_string(),
        })?;
        if let Some(expected) = &self.expected {
            if *expected != name {
                return Err(format!(
                    "is outside the strategy folder \"{}\" the manifest names",
                    quoted(expected)
                ));
            }
        }
        self.strategy = Some(name);
        Ok(())
    }

    fn check_entry(
        &mut self,
        header: &MemberHeader,
        inside: &[String],
    ) -> Result<EntryKind, String> {
        let kind = match header.kind {
            MemberKind::File => EntryKind::File,
            MemberKind::Dir => EntryKind::Dir,
            MemberKind::Symlink => EntryKind::Symlink,
            MemberKind::HardLink => {
                return Err("is a hard link, which backups never contain".into())
            }
            MemberKind::CharDevice | MemberKind::BlockDevice => {
                return Err("is a device file".into())
            }
            MemberKind::Fifo => return Err("is a FIFO (named pipe)".into()),
            MemberKind::Other(byte) => {
                return Err(format!(
                    "is an unsupported kind of entry (tar type {})",
                    quoted(&char::from(byte).to_string())
                ))
            }
        };
        if inside.is_empty() && kind != EntryKind::Dir {
            return Err(
                "stands at the top of the archive where the strategy folder belongs (a backup holds one folder)"
                    .into(),
            );
        }
        let Some((name, above)) = inside.split_last() else {
            // The strategy folder itself.
            self.room_for(1)?;
            self.entries += 1;
            return Ok(kind);
        };
        // The folders above it that exist: none may be a link or a file. Every path in the tree
        // has its folders above it there too, so the first one missing ends the walk.
        let mut node = 0;
        let mut existing = 0;
        for part in above {
            let Some(child) = self.tree.child(node, part) else {
                break;
            };
            match self.tree.shapes[child] {
                Shape::Link => {
                    return Err("lies inside a link, which could lead out of the folder".into())
                }
                Shape::File => return Err("lies inside a file".into()),
                Shape::Folder => {}
            }
            node = child;
            existing += 1;
        }
        let itself = if existing == above.len() {
            self.tree.child(node, name)
        } else {
            None
        };
        // (A file or link there already would have been the same member twice.)
        if kind != EntryKind::Dir && itself.is_some() {
            return Err("stands where the archive already has a folder".into());
        }
        self.room_for(above.len() - existing + usize::from(itself.is_none()))?;
        for part in &above[existing..] {
            node = self.tree.add(node, part, Shape::Folder);
            self.entries += 1;
        }
        let shape = match kind {
            EntryKind::Symlink => {
                let target = header.link_target.as_deref().unwrap_or_default();
                check_link_target(inside, target)?;
                Shape::Link
            }
            EntryKind::File => Shape::File,
            EntryKind::Dir => Shape::Folder,
        };
        if itself.is_none() {
            self.tree.add(node, name, shape);
            self.entries += 1;
        }
        Ok(kind)
    }

    /// Refuses a member that would make more than `MAX_ENTRIES` entries with the `new` ones it
    /// adds, before anything is added.
    fn room_for(&self, new: usize) -> Result<(), String> {
        if self.entries + new > MAX_ENTRIES {
            return Err(format!(
                "is one entry too many: a backup holds at most {MAX_ENTRIES}"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inside(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| s.to_string()).collect()
    }

    fn member(path: &str, kind: MemberKind) -> MemberHeader {
        MemberHeader {
            raw_path: path.as_bytes().to_vec(),
            kind,
            size: 0,
            mode: 0o644,
            mtime: 0,
            link_target: None,
        }
    }

    fn link(path: &str, target: &str) -> MemberHeader {
        MemberHeader {
            link_target: Some(target.as_bytes().to_vec()),
            ..member(path, MemberKind::Symlink)
        }
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

    #[test]
    fn the_top_of_the_archive_is_one_strategy_folder() {
        let mut layout = Layout::new(None);
        let error = layout
            .admit(&member("report.html", MemberKind::File))
            .unwrap_err();
        assert!(error.contains("top of the archive"), "{error}");
        let mut layout = Layout::new(None);
        let error = layout.admit(&link("rl", ".")).unwrap_err();
        assert!(error.contains("top of the archive"), "{error}");
    }

    #[test]
    fn nothing_lies_under_a_link_or_a_file() {
        let mut layout = Layout::new(None);
        layout.admit(&member("s/", MemberKind::Dir)).unwrap();
        layout.admit(&link("s/rl", ".")).unwrap();
        assert!(layout
            .admit(&member("s/rl/through.txt", MemberKind::File))
            .is_err());
        layout.admit(&member("s/f", MemberKind::File)).unwrap();
        assert!(layout.admit(&member("s/f/g", MemberKind::File)).is_err());
        layout
            .admit(&member("s/d/inner", MemberKind::File))
            .unwrap();
        assert!(
            layout.admit(&member("s/d", MemberKind::File)).is_err(),
            "a folder already"
        );
        let mut layout = Layout::new(None);
        layout
            .admit(&member("s/d/inner", MemberKind::File))
            .unwrap();
        layout.admit(&member("s/d/", MemberKind::Dir)).unwrap();
    }

    #[test]
    fn the_manifest_comes_once_and_last() {
        let mut layout = Layout::new(None);
        layout.admit(&member("s/", MemberKind::Dir)).unwrap();
        let manifest = member(".results-backup/manifest.json", MemberKind::File);
        assert_eq!(layout.admit(&manifest).unwrap(), Admitted::EmbeddedManifest);
        assert!(layout.admit(&manifest).is_err());
        assert!(layout.admit(&member("s/late", MemberKind::File)).is_err());
        let mut huge = manifest.clone();
        huge.size = 1 << 30;
        assert!(Layout::new(None).admit(&huge).is_err());
    }

    #[test]
    fn one_strategy_the_manifest_names_with_a_valid_name() {
        let mut layout = Layout::new(Some(StrategyName::new("s").unwrap()));
        assert!(layout.admit(&member("t/", MemberKind::Dir)).is_err());
        let mut layout = Layout::new(None);
        assert!(layout.admit(&member(".hidden/", MemberKind::Dir)).is_err());
        assert!(layout
            .admit(&member("a\u{1b}[2J/", MemberKind::Dir))
            .is_err());
        layout.admit(&member("s/", MemberKind::Dir)).unwrap();
        assert!(layout.admit(&member("t/x", MemberKind::File)).is_err());
        assert!(
            layout.admit(&member("s/", MemberKind::Dir)).is_err(),
            "twice"
        );
    }
}
