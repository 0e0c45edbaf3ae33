//! `Manifest::from_json` on any bytes, never panicking. A manifest it accepts is written back the
//! way backup writes it (`to_json`) and must then be read back unchanged: what one run writes,
//! the next must accept.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use results_backup::Manifest;

fuzz_target!(|data: &[u8]| {
    let origin = Path::new("/fuzz/manifest.json");
    let Ok(manifest) = Manifest::from_json(data, origin) else {
        return;
    };
    assert!(manifest.agrees_with(&manifest));
    let written = manifest.to_json();
    let again = Manifest::from_json(&written, origin).unwrap_or_else(|e| {
        panic!(
            "an accepted manifest, written back, is refused: {e}\n{}",
            String::from_utf8_lossy(&written)
        )
    });
    assert_eq!(manifest, again);
});
