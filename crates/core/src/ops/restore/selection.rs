//! What a partial restore or a single-file extraction picked: paths inside the strategy folder,
//! checked as typed (relative, no `..`, each part one name) and, when a manifest is known
//! beforehand, against it, before anything is written.

use std::collections::BTreeSet;

use crate::archive::layout::relative_member_path;
use crate::error::{Error, Result};
use crate::limits::quoted;
use crate::store::manifest::Manifest;
use crate::sys::EntryKind;

/// The chosen paths, as parts below the strategy folder.
#[derive(Clone, Debug)]
pub(super) struct Selection {
    chosen: Vec<Vec<String>>,
    /// Only the chosen entries and the folders above them, nothing below (one file).
    exact: bool,
}

impl Selection {
    /// The selection `only` names, or `None` when it is empty (everything). `exact` leaves out
    /// what lies below a chosen folder.
    pub(super) fn parse(only: &[String], exact: bool) -> Result<Option<Selection>> {
        if only.is_empty() {
            return Ok(None);
        }
        let mut chosen = Vec::with_capacity(only.len());
        for text in only {
            let parts = relative_member_path(text).map_err(|reason| Error::InvalidSelection {
                path: quoted(text),
                reason,
            })?;
            chosen.push(parts);
        }
        chosen.sort();
        chosen.dedup();
        Ok(Some(Selection { chosen, exact }))
    }

    /// Whether the entry at `inside` (parts below the strategy folder; empty for the folder
    /// itself) is restored: a chosen entry, a folder leading to one, or (unless exact) anything
    /// below a chosen folder.
    pub(super) fn selects(&self, inside: &[String]) -> bool {
        self.chosen
            .iter()
            .any(|c| c.starts_with(inside) || (!self.exact && inside.starts_with(c)))
    }

    /// [`selects`](Self::selects) for a manifest path (`strategy/a/b`).
    pub(super) fn selects_path(&self, canonical: &str) -> bool {
        let inside: Vec<String> = canonical.split('/').skip(1).map(str::to_string).collect();
        self.selects(&inside)
    }

    pub(super) fn chosen(&self) -> &[Vec<String>] {
        &self.chosen
    }

    /// The chosen paths that no other chosen folder holds: what a partial restore places.
    pub(super) fn tops(&self) -> Vec<&[String]> {
        let mut tops: Vec<&[String]> = Vec::new();
        // Sorted, so a folder comes before what lies inside it.
        for parts in &self.chosen {
            if !tops.iter().any(|t| parts.starts_with(t)) {
                tops.push(parts);
            }
        }
        tops
    }

    /// Refuses a chosen path the manifest does not list, before anything is written.
    pub(super) fn check_against(&self, manifest: &Manifest) -> Result<()> {
        let listed: BTreeSet<&str> = manifest.entries.iter().map(|e| e.path.as_str()).collect();
        for parts in &self.chosen {
            let path = canonical(manifest.strategy.as_str(), parts);
            if !listed.contains(path.as_str()) {
                return Err(Error::InvalidSelection {
                    path: quoted(&parts.join("/")),
                    reason: "the backup holds no such file or folder".into(),
                });
            }
        }
        Ok(())
    }

    /// For one file: the manifest's entry must be a regular file.
    pub(super) fn check_is_file(parts: &[String], kind: Option<EntryKind>) -> Result<()> {
        let reason = match kind {
            Some(EntryKind::File) => return Ok(()),
            Some(EntryKind::Dir) => {
                "it is a folder; extract takes one file (restore --only takes folders)"
            }
            Some(EntryKind::Symlink) => "it is a link; extract takes one regular file",
            None => "the backup holds no such file",
        };
        Err(Error::InvalidSelection {
            path: quoted(&parts.join("/")),
            reason: reason.into(),
        })
    }
}

/// `strategy/a/b` from the strategy and the parts below it.
pub(super) fn canonical(strategy: &str, parts: &[String]) -> String {
    let mut path = strategy.to_string();
    for part in parts {
        path.push('/');
        path.push_str(part);
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> Vec<String> {
        text.split('/').map(str::to_string).collect()
    }

    #[test]
    fn typed_paths_are_checked_before_anything_else() {
        for bad in ["../x", "a/../../x", "/etc/passwd", "", ".", "a\\b", "C:/x"] {
            let error = Selection::parse(&[bad.to_string()], false).unwrap_err();
            assert_eq!(error.code(), "invalid_selection", "{bad}");
        }
        let selection = Selection::parse(&["runs/./a/".into(), "x.csv".into()], false)
            .unwrap()
            .unwrap();
        assert_eq!(selection.chosen(), &[parts("runs/a"), parts("x.csv")]);
        assert!(Selection::parse(&[], false).unwrap().is_none());
    }

    #[test]
    fn folders_leading_to_a_choice_and_what_lies_below_it_are_selected() {
        let selection = Selection::parse(&["runs/a".into()], false)
            .unwrap()
            .unwrap();
        assert!(selection.selects(&[]));
        assert!(selection.selects(&parts("runs")));
        assert!(selection.selects(&parts("runs/a")));
        assert!(selection.selects(&parts("runs/a/trades.csv")));
        assert!(!selection.selects(&parts("runs/b")));
        assert!(!selection.selects(&parts("report.html")));
        let exact = Selection::parse(&["runs/a".into()], true).unwrap().unwrap();
        assert!(!exact.selects(&parts("runs/a/trades.csv")));
        assert!(exact.selects_path("s/runs"));
    }

    #[test]
    fn tops_leave_out_what_a_chosen_folder_holds() {
        let selection = Selection::parse(
            &["runs/a/x.csv".into(), "runs".into(), "plot.png".into()],
            false,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            selection.tops(),
            vec![&parts("plot.png")[..], &parts("runs")[..]]
        );
    }
}
