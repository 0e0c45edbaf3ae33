//! The name of the one folder an archive holds: a strategy folder's name, one harmless path
//! component by the scan's rules.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::limits::MAX_STRATEGY_NAME_BYTES;
use crate::sys::name_rules::validated_string;
use crate::sys::{component_problem, NameError};

validated_string!(
    /// A strategy folder's name: one path component by the scan's rules, short enough that the
    /// names built from it (its backups, their sidecars, a restored copy) are one name too.
    StrategyName
);

impl StrategyName {
    /// The longest strategy name made from `text`, a name the component rule already passed
    /// (an archive file name's stem): cut at a character boundary when it is too long.
    pub(crate) fn from_checked(text: &str) -> Self {
        let mut end = text.len().min(MAX_STRATEGY_NAME_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        debug_assert!(component_problem(&text[..end]).is_none());
        StrategyName(text[..end].to_string())
    }

    pub fn new(name: impl Into<String>) -> Result<Self, NameError> {
        let name = name.into();
        let problem = component_problem(&name).or_else(|| {
            (name.len() > MAX_STRATEGY_NAME_BYTES).then_some(
                "is longer than 220 bytes, so the names of its backups would not fit on the disk",
            )
        });
        match problem {
            None => Ok(StrategyName(name)),
            Some(reason) => Err(NameError {
                what: "strategy name",
                value: name,
                reason,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategy_names_are_single_visible_components() {
        for good in ["btc_sma", "a b", "é", "x..y"] {
            assert!(StrategyName::new(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            ".",
            "..",
            ".hidden",
            "a/b",
            "a\\b",
            "x/../../../.ssh",
            "a\0b",
            "red\u{1b}[31m",
            "new\nline",
        ] {
            assert!(StrategyName::new(bad).is_err(), "{bad:?}");
        }
        assert!(StrategyName::new("x".repeat(256)).is_err());
        assert!(StrategyName::new("x".repeat(220)).is_ok());
        assert!(StrategyName::new("x".repeat(221)).is_err());
        assert_eq!(StrategyName::from_checked(&"é".repeat(200)).len(), 220);
    }
}
