//! What keeps protection running when the window is closed: one running instance, the tray icon
//! and its menu, closing to the tray (explained once, in words), start at login (hidden) and
//! system notifications. Only the real app gets these; the command tests use the mock runtime.

use tauri::menu::{CheckMenuItem, CheckMenuItemBuilder, MenuBuilder, MenuItemBuilder};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Runtime, Window, WindowEvent};
use tauri_plugin_notification::NotificationExt;

use crate::app_state::AppState;
use crate::protection::Protection;

/// The argument the login item starts the app with: protection runs, no window appears.
pub const START_HIDDEN_ARG: &str = "--hidden";
pub const MAIN_WINDOW: &str = "main";
/// Tells the UI that the analyst closed the window for the first time while automatic backups
/// are on, so it can say in words what happens next.
pub const FIRST_CLOSE_EVENT: &str = "first-close";

const MENU_OPEN: &str = "tray-open";
const MENU_BACK_UP_NOW: &str = "tray-back-up-now";
const MENU_PAUSE: &str = "tray-pause";
const MENU_QUIT: &str = "tray-quit";

/// The plugins that make the app resident. Single instance comes first so that a second launch
/// hands over before anything else starts.
pub fn with_desktop_plugins<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            show_main_window(app);
        }))
        .plugin(tauri_plugin_notification::init())
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .args([START_HIDDEN_ARG])
                .build(),
        )
}

/// Whether this launch was the login item's (start hidden, keep protecting).
pub fn started_hidden() -> bool {
    std::env::args().any(|arg| arg == START_HIDDEN_ARG)
}

/// Shown until the tray menu's pause item changes; kept so the menu follows the settings.
pub struct TrayMenu<R: Runtime> {
    pause: CheckMenuItem<R>,
}

impl<R: Runtime> TrayMenu<R> {
    pub fn show_paused(&self, paused: bool) {
        let _ = self.pause.set_checked(paused);
    }
}

/// Builds the tray icon; the window is shown unless the login item started us.
pub fn set_up<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let open = MenuItemBuilder::with_id(MENU_OPEN, "Open Results Backup").build(app)?;
    let back_up_now = MenuItemBuilder::with_id(MENU_BACK_UP_NOW, "Back up now").build(app)?;
    let pause = CheckMenuItemBuilder::with_id(MENU_PAUSE, "Pause automatic backups")
        .checked(app.state::<Protection>().paused())
        .build(app)?;
    let quit = MenuItemBuilder::with_id(MENU_QUIT, "Quit").build(app)?;
    let menu = MenuBuilder::new(app)
        .items(&[&open, &back_up_now, &pause])
        .separator()
        .item(&quit)
        .build()?;
    let mut tray = TrayIconBuilder::with_id("results-backup")
        .menu(&menu)
        .tooltip("Results Backup")
        .on_menu_event(|app, event| on_tray_menu(app, event.id().as_ref()));
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    // A desktop without a tray (no StatusNotifier host, no appindicator library) still gets the
    // app: launching it again brings the window back.
    if let Err(error) = tray.build(app) {
        eprintln!("Results Backup: no tray icon on this desktop ({error}); launch the app again to open its window");
    }
    app.manage(TrayMenu { pause });
    if !started_hidden() {
        show_main_window(app);
    }
    Ok(())
}

fn on_tray_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    match id {
        MENU_OPEN => show_main_window(app),
        MENU_BACK_UP_NOW => app.state::<Protection>().back_up_now(app),
        MENU_PAUSE => {
            let protection = app.state::<Protection>();
            let paused = !protection.paused();
            if let Err(error) = protection.set_paused(app, paused) {
                notify(app, "Could not pause automatic backups", &error.message);
            }
            if let Some(menu) = app.try_state::<TrayMenu<R>>() {
                menu.show_paused(protection.paused());
            }
        }
        MENU_QUIT => app.exit(0),
        _ => {}
    }
}

/// Brings the one window back: from the tray, and when the analyst launches the app again.
pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Closing the window while automatic backups are on hides it: protection goes on in the tray.
/// The first time, the UI explains this and lets the analyst quit instead.
pub fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    let app = window.app_handle();
    let (Some(protection), Some(state)) =
        (app.try_state::<Protection>(), app.try_state::<AppState>())
    else {
        return;
    };
    if !protection.keeps_running_when_closed() {
        return;
    }
    api.prevent_close();
    if state.close_explained() {
        let _ = window.hide();
    } else {
        let _ = window.emit(FIRST_CLOSE_EVENT, ());
    }
}

/// A system notification; failures to show one are not the analyst's problem, so they are
/// dropped (the window shows the same state).
pub fn notify<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) {
    if app
        .try_state::<tauri_plugin_notification::Notification<R>>()
        .is_some()
    {
        let _ = app.notification().builder().title(title).body(body).show();
    }
}
