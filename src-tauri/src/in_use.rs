//! The backups that queued or running jobs use (checks and restores of catalogued backups), so
//! retention never removes one from under a job. A job holds its backup from the moment it is
//! queued until its work is done.

use results_backup::ArchiveFileName;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
pub struct InUse {
    holders: Arc<Mutex<HashMap<String, usize>>>,
}

/// Released when dropped (the job's work ended, or it was never run).
pub struct Hold {
    holders: Arc<Mutex<HashMap<String, usize>>>,
    name: String,
}

impl InUse {
    pub fn hold(&self, backup_file: &str) -> Hold {
        if let Ok(mut holders) = self.holders.lock() {
            *holders.entry(backup_file.to_string()).or_default() += 1;
        }
        Hold {
            holders: Arc::clone(&self.holders),
            name: backup_file.to_string(),
        }
    }

    pub fn names(&self) -> Vec<ArchiveFileName> {
        self.holders
            .lock()
            .map(|holders| {
                holders
                    .keys()
                    .filter_map(|name| ArchiveFileName::new(name.as_str()).ok())
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        if let Ok(mut holders) = self.holders.lock() {
            if let Some(count) = holders.get_mut(&self.name) {
                *count -= 1;
                if *count == 0 {
                    holders.remove(&self.name);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_stays_in_use_until_its_last_job_lets_go() {
        let in_use = InUse::default();
        let name = "alpha_20260101_120000.tar.gz";
        let first = in_use.hold(name);
        let second = in_use.hold(name);
        assert_eq!(in_use.names().len(), 1);
        drop(first);
        assert_eq!(in_use.names().len(), 1, "the second job still uses it");
        drop(second);
        assert!(in_use.names().is_empty());
    }
}
