//! `Settings::from_json` on any bytes, never panicking. Accepted settings are written back as
//! `Settings::save` writes them and must read back the same; resolving locations from them must
//! not panic either.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use results_backup::{Locations, Overrides, Settings};

fuzz_target!(|data: &[u8]| {
    let origin = Path::new("/fuzz/settings.json");
    let Ok(settings) = Settings::from_json(data, origin) else {
        return;
    };
    let mut saved = settings.clone();
    saved.format_version = 1;
    let written = serde_json::to_vec_pretty(&saved).expect("settings serialize");
    let again = Settings::from_json(&written, origin).unwrap_or_else(|e| {
        panic!(
            "accepted settings, written back, are refused: {e}\n{}",
            String::from_utf8_lossy(&written)
        )
    });
    assert_eq!(saved, again);
    let locations = Locations::resolve_from(&Overrides::default(), |_| None, &settings)
        .expect("accepted settings resolve");
    if let Some(results) = &settings.results_dir {
        assert_eq!(&locations.results, results);
    }
    if let Some(level) = settings.compression_level {
        assert_eq!(locations.level, level);
    }
});
