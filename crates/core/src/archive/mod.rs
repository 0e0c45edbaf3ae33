//! Archives: reading and writing tar (our own strict reader, the `tar` crate's writer), the gzip
//! block framing and parallel inflate, and `layout`, THE rules every member must obey, used by
//! check and restore alike. Nothing here knows about catalogs, settings or backups folders.

pub mod entry;
pub mod gzip_blocks;
pub mod gzip_write;
pub mod index;
pub mod layout;
pub mod read;
pub mod strategy_name;
pub mod tar_read;
pub mod tar_write;

pub use entry::ManifestEntry;
pub use index::{ArchiveIndex, IndexedMember, RandomAccess};
pub use layout::{Admitted, Layout};
pub use read::{archive_tracker, content_error, read_members, ArchiveFile, ArchiveStats};
pub use strategy_name::StrategyName;
pub use tar_read::{MemberHeader, MemberKind};

/// The archive member that holds the embedded manifest; always the archive's last member.
pub const EMBEDDED_MANIFEST_PATH: &str = ".results-backup/manifest.json";
