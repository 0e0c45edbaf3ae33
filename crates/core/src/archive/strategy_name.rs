//! The name of the one folder an archive holds: a strategy folder's name, one harmless path
//! component by the scan's rules.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::sys::name_rules::validated_string;
use crate::sys::{component_problem, NameError};

validated_string!(
    /// A strategy folder's name: one path component by the scan's rules.
    StrategyName
);

impl StrategyName {
    /// For a name the same rule already passed (an archive file name's stem).
    pub(crate) fn from_checked(name: String) -> Self {
        debug_assert!(component_problem(&name).is_none());
        StrategyName(name)
    }

    pub fn new(name: impl Into<String>) -> Result<Self, NameError> {
        let name = name.into();
        match component_problem(&name) {
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
    }
}
