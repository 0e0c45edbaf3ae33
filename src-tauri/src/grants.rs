//! What the analyst handed the app: folders picked in a native dialog, files dropped on the
//! window, folders a restore created. The webview may name only these paths (besides the
//! configured results and backups folders), so a compromised page cannot reach anything else.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Default)]
pub struct Grants {
    folders: Mutex<HashSet<PathBuf>>,
    files: Mutex<HashSet<PathBuf>>,
}

impl Grants {
    pub fn grant_folder(&self, path: &Path) {
        insert(&self.folders, path);
    }

    pub fn grant_file(&self, path: &Path) {
        insert(&self.files, path);
    }

    pub fn folder_allowed(&self, path: &Path) -> bool {
        contains(&self.folders, path)
    }

    pub fn file_allowed(&self, path: &Path) -> bool {
        contains(&self.files, path)
    }
}

/// Both the path as given and its canonical form, so a later symlink swap or a spelling with
/// `..` neither loses nor widens the grant.
fn forms(path: &Path) -> Vec<PathBuf> {
    let mut forms = vec![path.to_path_buf()];
    if let Ok(canonical) = std::fs::canonicalize(path) {
        forms.push(canonical);
    }
    forms
}

fn insert(set: &Mutex<HashSet<PathBuf>>, path: &Path) {
    let mut set = set.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    set.extend(forms(path));
}

fn contains(set: &Mutex<HashSet<PathBuf>>, path: &Path) -> bool {
    if !path.is_absolute()
        || path
            .components()
            .any(|c| c == std::path::Component::ParentDir)
    {
        return false;
    }
    let set = set.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !set.contains(path) {
        return false;
    }
    // The path itself was granted; if it now resolves elsewhere (a link put in its place), the
    // place it resolves to must have been granted too.
    match std::fs::canonicalize(path) {
        Ok(canonical) => set.contains(&canonical),
        Err(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_granted_absolute_paths_are_allowed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let picked = dir.path().join("picked");
        std::fs::create_dir(&picked).expect("mkdir");
        let grants = Grants::default();
        assert!(!grants.folder_allowed(&picked));
        grants.grant_folder(&picked);
        assert!(grants.folder_allowed(&picked));
        assert!(
            !grants.file_allowed(&picked),
            "folders and files are separate"
        );
        assert!(!grants.folder_allowed(dir.path()), "not the parent");
        assert!(!grants.folder_allowed(&picked.join("inner")), "not a child");
        assert!(!grants.folder_allowed(&picked.join("..").join("picked")));
        assert!(!grants.folder_allowed(Path::new("picked")), "relative");
    }

    #[cfg(unix)]
    #[test]
    fn a_granted_path_replaced_by_a_link_elsewhere_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let picked = dir.path().join("picked");
        let secret = dir.path().join("secret");
        std::fs::create_dir(&picked).expect("mkdir");
        std::fs::create_dir(&secret).expect("mkdir");
        let grants = Grants::default();
        grants.grant_folder(&picked);
        std::fs::remove_dir(&picked).expect("rmdir");
        std::os::unix::fs::symlink(&secret, &picked).expect("symlink");
        assert!(!grants.folder_allowed(&picked));
    }
}
