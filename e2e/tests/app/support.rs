//! The E2E harness: a virtual X display, one real app per test driven through tauri-driver and
//! WebKitWebDriver, each with its own home, config and data folders, and the folder-picker seam.

// The test kit (trees, archive listings, corpora, backups made with the core), for every test
// module through `use crate::support::*`.
pub use results_backup_testkit::*;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Long enough for a slow CI machine, short enough that a broken flow fails in reasonable time.
pub const WAIT: Duration = Duration::from_secs(30);
/// The compression level of every configured app and of the backups made for it: fast.
pub const LEVEL: u32 = 1;
/// The screen is wider than the app window plus the drag source beside it.
const SCREEN: &str = "2400x1000x24";

/// One app at a time: they share the display and, for drag and drop, the mouse. Held for a whole
/// test, across awaits, hence tokio's mutex.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
static DISPLAY: OnceLock<String> = OnceLock::new();

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("e2e sits inside the workspace")
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

pub fn app_binary() -> PathBuf {
    let binary = target_dir().join("debug").join("results-backup-app");
    assert!(
        binary.is_file(),
        "{} is missing: build it first with `npm run build && cargo build --workspace --all-targets` (scripts/test does both)",
        binary.display()
    );
    binary
}

/// The command line, built beside the app by the same `cargo build --workspace`.
pub fn cli_binary() -> PathBuf {
    let binary = target_dir().join("debug").join("results-backup");
    assert!(
        binary.is_file(),
        "{} is missing: build it first",
        binary.display()
    );
    binary
}

fn tauri_driver() -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default();
    let installed = cargo_home.join("bin").join("tauri-driver");
    if installed.is_file() {
        installed
    } else {
        PathBuf::from("tauri-driver")
    }
}

/// Starts Xvfb once per test process. A watchdog shell ends it when this process goes away,
/// so no display outlives the test run.
pub fn display() -> String {
    DISPLAY
        .get_or_init(|| {
            let script = format!(
                "Xvfb -displayfd 1 -screen 0 {SCREEN} -nolisten tcp & x=$!; \
                 while kill -0 {pid} 2>/dev/null; do sleep 1; done; kill $x",
                pid = std::process::id()
            );
            let mut watchdog = Command::new("sh")
                .args(["-c", &script])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb could not start (is the xvfb package installed?)");
            let stdout = watchdog.stdout.take().expect("Xvfb's stdout");
            let mut line = String::new();
            std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
                .expect("Xvfb reports its display number");
            let number = line.trim();
            assert!(!number.is_empty(), "Xvfb did not report a display number");
            // The watchdog keeps running in the background for the rest of the process.
            std::mem::forget(watchdog);
            format!(":{number}")
        })
        .clone()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

/// What the app finds on disk when it starts.
pub enum Setup {
    /// Nothing configured: first launch.
    Fresh,
    /// A settings file naming these folders (and compression [`LEVEL`] to keep tests fast).
    Configured { results: PathBuf, backups: PathBuf },
    /// The same, with more settings (`automatic`, `retention`) merged in.
    ConfiguredWith {
        results: PathBuf,
        backups: PathBuf,
        more: Value,
    },
}

pub struct App {
    pub client: Client,
    driver: Child,
    pub home: tempfile::TempDir,
    picks: PathBuf,
    /// What the mock notification daemon on the app's private session bus was asked to show.
    notifications_log: PathBuf,
    /// The address of that private bus, written by the launch script.
    bus_address_file: PathBuf,
    _serial: tokio::sync::MutexGuard<'static, ()>,
}

impl App {
    pub fn config_dir(&self) -> PathBuf {
        self.home.path().join("config")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.home.path().join("data")
    }

    pub fn settings_file(&self) -> PathBuf {
        self.config_dir()
            .join("results-backup")
            .join("settings.json")
    }

    pub async fn launch(setup: Setup) -> App {
        App::launch_with_env(setup, Vec::new()).await
    }

    /// The same, with more variables in the app's environment (the AWS_* of a test S3 server).
    pub async fn launch_with_env(setup: Setup, more_env: Vec<(&'static str, String)>) -> App {
        let serial = SERIAL.lock().await;
        let home = tempfile::Builder::new()
            .prefix("rb-e2e-")
            .tempdir()
            .expect("temp home");
        let config = home.path().join("config");
        let data = home.path().join("data");
        let runtime = home.path().join("runtime");
        for dir in [&config, &data, &runtime] {
            std::fs::create_dir_all(dir).expect("create home folders");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700));
        }
        let configured = match &setup {
            Setup::Fresh => None,
            Setup::Configured { results, backups } => Some((results, backups, json!({}))),
            Setup::ConfiguredWith {
                results,
                backups,
                more,
            } => Some((results, backups, more.clone())),
        };
        if let Some((results, backups, more)) = configured {
            let mut settings = json!({
                "format_version": 2,
                "results_dir": results,
                "backups_dir": backups,
                "compression_level": LEVEL,
            });
            if let (Some(doc), Value::Object(more)) = (settings.as_object_mut(), more) {
                doc.extend(more);
            }
            let file = config.join("results-backup").join("settings.json");
            std::fs::create_dir_all(file.parent().expect("parent")).expect("settings folder");
            std::fs::write(&file, serde_json::to_vec_pretty(&settings).expect("json"))
                .expect("write settings");
        }
        let picks = home.path().join("picks");
        std::fs::write(&picks, "").expect("picks file");

        let notifications_log = home.path().join("notifications.log");
        let bus_address_file = home.path().join("bus-address");

        let port = free_port();
        let native_port = free_port();
        become_subreaper();
        // Each app gets a private session bus (so single-instance and notifications of one test
        // never meet another's, nor the desktop's) with a mock notification daemon on it that
        // logs every notification. One process group for all of it: the bus and what it
        // activates, tauri-driver, the WebKitWebDriver it starts and the app; ending the group
        // ends them all (killing one alone orphans the others).
        let mut command = Command::new("sh");
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let driver = command
            .args(["-c", PRIVATE_BUS_SCRIPT, "sh"])
            .arg(tauri_driver())
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .env("RB_E2E_NOTIFICATIONS", &notifications_log)
            .env("RB_E2E_BUS", &bus_address_file)
            .env("DISPLAY", display())
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", &config)
            .env("XDG_DATA_HOME", &data)
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("RESULTS_BACKUP_E2E_PICKS", &picks)
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .env("NO_AT_BRIDGE", "1")
            .env_remove("RESULTS_BACKUP_RESULTS")
            .env_remove("RESULTS_BACKUP_BACKUPS")
            .env_remove("RESULTS_BACKUP_SETTINGS")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .envs(more_env)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "sh, dbus-daemon and tauri-driver could not start (scripts/test installs them)",
            );

        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "tauri:options".into(),
            json!({ "application": app_binary() }),
        );
        capabilities.insert("browserName".into(), json!("wry"));
        let url = format!("http://127.0.0.1:{port}");
        let client = until_ok(
            "could not start a WebDriver session with the app",
            || async {
                let connector = hyper_util::client::legacy::connect::HttpConnector::new();
                ClientBuilder::new(connector)
                    .capabilities(capabilities.clone())
                    .connect(&url)
                    .await
            },
        )
        .await;
        let app = App {
            client,
            driver,
            home,
            picks,
            notifications_log,
            bus_address_file,
            _serial: serial,
        };
        app.wait_for("body[data-ready=\"true\"]").await;
        app
    }

    /// An app whose settings file names these folders.
    pub async fn configured(results: &Path, backups: &Path) -> App {
        App::launch(Setup::Configured {
            results: results.to_path_buf(),
            backups: backups.to_path_buf(),
        })
        .await
    }

    /// The settings file as the command line would read it.
    pub fn settings(&self) -> Value {
        let bytes = std::fs::read(self.settings_file()).expect("the settings file exists");
        serde_json::from_slice(&bytes).expect("the settings file is JSON")
    }

    /// Opens a backup's details from the Backups view.
    pub async fn open_details(&self, file: &str) {
        self.click("nav-backups").await;
        self.click_css(&backup_row(file), file).await;
        self.by_id("details").await;
    }

    /// The next native folder dialog "picks" this folder (None: the analyst cancels).
    pub fn pick_next(&self, folder: Option<&Path>) {
        let text = folder.map(|f| f.display().to_string()).unwrap_or_default();
        std::fs::write(&self.picks, text).expect("write picks file");
    }

    /// In the open restore dialog: picks `destination` through the test picker and waits until
    /// the dialog shows it.
    pub async fn pick_restore_destination(&self, destination: &Path) {
        self.pick_next(Some(destination));
        self.click("restore-pick-destination").await;
        let name = destination
            .file_name()
            .expect("a destination folder with a name")
            .to_string_lossy()
            .into_owned();
        self.eventually("the dialog shows the picked folder", || async {
            self.text("restore-destination").await.contains(&name)
        })
        .await;
    }

    /// The first element `css` finds, once there is one. A lookup that lands while the view
    /// re-renders fails as "stale" (fantoccini's own wait gives up on that), so every failed
    /// lookup is tried again until [`WAIT`] runs out.
    pub async fn wait_for(&self, css: &str) -> Element {
        until_ok(&format!("{css} did not appear"), || {
            self.client.find(Locator::Css(css))
        })
        .await
    }

    pub async fn by_id(&self, testid: &str) -> Element {
        self.wait_for(&format!("[data-testid=\"{testid}\"]")).await
    }

    pub async fn all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
    }

    pub async fn click(&self, testid: &str) {
        self.click_css(&format!("[data-testid=\"{testid}\"]"), testid)
            .await;
    }

    /// Clicks the element `css` finds, finding it again when a click fails (the view re-rendered
    /// underneath, or the element was not yet interactable).
    pub async fn click_css(&self, css: &str, what: &str) {
        until_ok(&format!("could not click {what}"), || async {
            self.wait_for(css).await.click().await
        })
        .await;
    }

    pub async fn text(&self, testid: &str) -> String {
        self.text_of(&format!("[data-testid=\"{testid}\"]")).await
    }

    /// The text the element `css` finds shows, once it shows any. WebDriver reads only visible
    /// text, so a dialog still fading in (opacity 0) reads as empty; and the view may re-render
    /// between finding the element and reading it (a stale element). Both are asked again until
    /// [`WAIT`] runs out.
    pub async fn text_of(&self, css: &str) -> String {
        until_ok(&format!("text of {css}"), || async {
            match self.wait_for(css).await.text().await {
                Ok(text) if text.trim().is_empty() => Err("it shows no text".to_string()),
                Ok(text) => Ok(text),
                Err(error) => Err(error.to_string()),
            }
        })
        .await
    }

    /// Polls `check` until it holds, failing with `what` after [`WAIT`].
    pub async fn eventually<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let started = Instant::now();
        while !check().await {
            if started.elapsed() > WAIT {
                let _ = self.screenshot(&format!("failed-{}", slug(what))).await;
                panic!("timed out waiting until {what}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn count(&self, css: &str) -> usize {
        self.all(css).await.len()
    }

    /// Reads an attribute of an element already in hand; `None` also when it went stale, so
    /// use this only inside [`App::eventually`], which asks again.
    pub async fn attr(&self, element: &Element, name: &str) -> Option<String> {
        element.attr(name).await.ok().flatten()
    }

    /// Reads attribute `name` of the element `css` finds, finding it again when the view
    /// re-rendered between finding and reading (a stale element), until [`WAIT`] runs out.
    pub async fn attr_of(&self, css: &str, name: &str) -> Option<String> {
        until_ok(&format!("{name} of {css}"), || async {
            self.wait_for(css).await.attr(name).await
        })
        .await
    }

    /// Calls one of the app's commands straight from the webview, as a compromised page could.
    pub async fn invoke(&self, command: &str, args: Value) -> Result<Value, Value> {
        let script = r#"
            const [command, args, done] = arguments;
            window.__TAURI_INTERNALS__.invoke(command, args)
              .then(value => done({ ok: value === undefined ? null : value }))
              .catch(error => done({ err: error }));
        "#;
        let answer = self
            .client
            .execute_async(script, vec![json!(command), args])
            .await
            .expect("script runs");
        match answer.get("ok") {
            Some(value) => Ok(value.clone()),
            None => Err(answer.get("err").cloned().unwrap_or(Value::Null)),
        }
    }

    /// Saves what the window shows now under target/e2e-screenshots/<name>.png, taken from the
    /// X screen as a person would see it (WebKitWebDriver's own screenshot can stall under Xvfb).
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        tokio::time::sleep(Duration::from_millis(300)).await;
        screenshot_screen(name)
    }

    /// The notifications shown so far, as "title: body", from the mock daemon's log.
    pub fn notifications(&self) -> Vec<String> {
        let log = std::fs::read_to_string(&self.notifications_log).unwrap_or_default();
        log.lines()
            .filter(|line| line.contains(" Notify "))
            .map(notification_text)
            .collect()
    }

    /// Starts the app binary again as the analyst would, on the same desktop and session bus,
    /// and waits for it to end (it should hand over to the running app and exit at once).
    pub fn launch_again(&self) -> std::process::ExitStatus {
        let bus = std::fs::read_to_string(&self.bus_address_file).expect("the private bus address");
        let mut second = Command::new(app_binary())
            .env("DISPLAY", display())
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.config_dir())
            .env("XDG_DATA_HOME", self.data_dir())
            .env("XDG_CACHE_HOME", self.home.path().join("cache"))
            .env("XDG_RUNTIME_DIR", self.home.path().join("runtime"))
            .env("DBUS_SESSION_BUS_ADDRESS", bus.trim())
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .env("NO_AT_BRIDGE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the app a second time");
        for _ in 0..300 {
            if let Ok(Some(status)) = second.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = second.kill();
        let _ = second.wait();
        panic!("the second launch did not hand over and exit within 15 s");
    }

    /// Clicks the window's close button, as far as the app can tell: the window manager's
    /// WM_DELETE_WINDOW request (Xvfb has no window manager, so the test sends it).
    pub fn close_window_as_the_analyst(&self) {
        let found = Command::new("xdotool")
            .args(["search", "--name", "^Results Backup$"])
            .env("DISPLAY", display())
            .output()
            .expect("xdotool");
        let text = String::from_utf8_lossy(&found.stdout);
        let window = text
            .lines()
            .next()
            .expect("the app's window")
            .trim()
            .to_string();
        let status = Command::new("/usr/bin/python3")
            .arg(workspace_root().join("e2e").join("close_window.py"))
            .arg(&window)
            .env("DISPLAY", display())
            .status()
            .expect("python3 with python3-xlib (scripts/test installs it)");
        assert!(status.success(), "could not ask the window to close");
    }

    /// Whether the main window is mapped on the screen (hidden to the tray or shown).
    pub fn window_visible(&self) -> bool {
        Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", "^Results Backup$"])
            .env("DISPLAY", display())
            .output()
            .map(|out| out.status.success() && !out.stdout.is_empty())
            .unwrap_or(false)
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
        // Dropping ends every process the test started.
    }
}

impl Drop for App {
    /// Ends tauri-driver, the WebKitWebDriver it started and the app, even when a test failed.
    fn drop(&mut self) {
        end_process_group(&mut self.driver);
    }
}

/// The app's private session bus, started in the test's process group (`--nofork`, unlike
/// dbus-run-session's daemon, which leaves the group and outlives a killed test; so do the
/// accessibility bus and services it activates): then the mock notification daemon, the bus
/// address for second launches, and tauri-driver with the arguments given.
const PRIVATE_BUS_SCRIPT: &str = r#"rm -f "$RB_E2E_BUS"
dbus-daemon --session --nofork --print-address=3 3>"$RB_E2E_BUS.tmp" &
for _ in $(seq 200); do [ -s "$RB_E2E_BUS.tmp" ] && break; sleep 0.05; done
DBUS_SESSION_BUS_ADDRESS="$(head -n 1 "$RB_E2E_BUS.tmp")"
export DBUS_SESSION_BUS_ADDRESS
printf '%s' "$DBUS_SESSION_BUS_ADDRESS" > "$RB_E2E_BUS"
/usr/bin/python3 -m dbusmock --session -t notification_daemon -l "$RB_E2E_NOTIFICATIONS" >/dev/null 2>&1 &
exec "$@""#;

/// dbusmock logs `<time> Notify "app" 0 "icon" "summary" "body" ...`; keeps summary and body.
fn notification_text(line: &str) -> String {
    let quoted: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
    match (quoted.get(2), quoted.get(3)) {
        (Some(title), Some(body)) => format!("{title}: {body}"),
        _ => line.to_string(),
    }
}

/// Kills the process group `leader` heads and reaps every member. This process is a child
/// subreaper (set when the first app starts), so members orphaned by the leader's death come to
/// it instead of to init, where they would linger as zombies; each is reaped by its own id, so
/// no other child's exit status is taken.
fn end_process_group(leader: &mut Child) {
    use rustix::process::{kill_process_group, waitpid, Pid, Signal, WaitOptions};
    let Some(group) = Pid::from_raw(leader.id() as i32) else {
        return;
    };
    let members = group_members(leader.id());
    let _ = kill_process_group(group, Signal::KILL);
    let _ = leader.wait();
    for member in members.into_iter().filter(|&m| m != leader.id()) {
        let Some(pid) = Pid::from_raw(member as i32) else {
            continue;
        };
        for _ in 0..300 {
            match waitpid(Some(pid), WaitOptions::NOHANG) {
                Ok(Some(_)) => break,
                _ if !Path::new(&format!("/proc/{member}")).exists() => break,
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    }
}

/// The processes in process group `group`, from /proc.
fn group_members(group: u32) -> Vec<u32> {
    let mut members = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // Fields after the command name (which may hold spaces, inside parentheses).
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        if fields.get(2).and_then(|g| g.parse::<u32>().ok()) == Some(group) {
            members.push(pid);
        }
    }
    members
}

/// Orphans of the processes the tests start come to this process, to be reaped.
fn become_subreaper() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustix::process::set_child_subreaper(rustix::process::Pid::from_raw(1));
    });
}

fn slug(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(60)
        .collect()
}

/// A results folder and a backups folder inside the app's private home, with these strategies
/// (the kit's small seeded corpus: a few files, a subfolder and a link).
pub fn folders(app_home: &Path, strategies: &[&str]) -> (PathBuf, PathBuf) {
    let results = app_home.join("results");
    let backups = app_home.join("backups");
    std::fs::create_dir_all(&results).expect("results folder");
    for (seed, strategy) in strategies.iter().enumerate() {
        build_small_strategy(&results, strategy, seed as u64);
    }
    (results, backups)
}

/// A backup of `strategy` made in another backups folder, of which only the archive travelled
/// (mailed, copied from a share) into `<scratch>/inbox`: its file name and where it is now.
pub fn archive_made_elsewhere(scratch: &Path, results: &Path, strategy: &str) -> (String, PathBuf) {
    let elsewhere = scratch.join("made elsewhere");
    let file = back_up_with_core(results, &elsewhere, strategy, LEVEL);
    let inbox = scratch.join("inbox");
    std::fs::create_dir_all(&inbox).expect("inbox");
    let travelled = inbox.join(&file);
    std::fs::copy(elsewhere.join(&file), &travelled).expect("copy the archive");
    (file, travelled)
}

/// Runs `attempt` until it succeeds, every 100 ms for at most [`WAIT`], then fails with `what`
/// and the last error. WebDriver calls fail transiently while the view re-renders.
async fn until_ok<T, E, F, Fut>(what: &str, mut attempt: F) -> T
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let started = Instant::now();
    loop {
        match attempt().await {
            Ok(value) => return value,
            Err(error) if started.elapsed() > WAIT => panic!("{what}: {error}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// CSS for a strategy row by name.
pub fn strategy_row(name: &str) -> String {
    format!("[data-testid=\"strategy-row\"][data-strategy=\"{name}\"]")
}

/// CSS for a backup row by file name.
pub fn backup_row(file: &str) -> String {
    format!("[data-testid=\"backup-row\"][data-backup-file=\"{file}\"]")
}

/// A real OS drag and drop: a GTK3 drag source window offering `file` sits right of the app
/// window, and xdotool drags from it into the app with the button held, in many small steps
/// (the recipe in e2e/drag_source.py). `while_hovering` runs with the file over the window.
pub async fn drag_file_onto_app<F, Fut>(file: &Path, while_hovering: F)
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    use std::io::BufRead;
    let display = display();
    let mut source = Command::new("/usr/bin/python3")
        .arg(workspace_root().join("e2e").join("drag_source.py"))
        .arg(file)
        .args(["1400", "200"])
        .env("DISPLAY", &display)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the drag source starts (python3-gi, gir1.2-gtk-3.0)");
    let mut lines = std::io::BufReader::new(source.stdout.take().expect("stdout")).lines();
    let geometry: Vec<i64> = loop {
        let line = lines
            .next()
            .expect("the drag source reports READY")
            .expect("read drag source output");
        if let Some(rest) = line.strip_prefix("READY ") {
            break rest
                .split_whitespace()
                .map(|n| n.parse().expect("a number"))
                .collect();
        }
    };
    let (cx, cy) = (geometry[0] + geometry[2] / 2, geometry[1] + geometry[3] / 2);
    // A point inside the app window, which sits at (0, 0) without a window manager.
    let (tx, ty) = (550, 420);
    let xdotool = |args: &[String]| {
        let status = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &display)
            .status()
            .expect("xdotool runs");
        assert!(status.success(), "xdotool {args:?}");
    };
    let pause = |ms| tokio::time::sleep(Duration::from_millis(ms));
    xdotool(&["mousemove".into(), cx.to_string(), cy.to_string()]);
    pause(100).await;
    xdotool(&["mousedown".into(), "1".into()]);
    pause(100).await;
    let steps = 20;
    for i in 1..=steps {
        let x = cx + (tx - cx) * i / steps;
        let y = cy + (ty - cy) * i / steps;
        xdotool(&["mousemove".into(), x.to_string(), y.to_string()]);
        pause(50).await;
    }
    pause(300).await;
    while_hovering().await;
    xdotool(&["mouseup".into(), "1".into()]);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if let Ok(Some(_)) = source.try_wait() {
            return;
        }
        pause(100).await;
    }
    let _ = source.kill();
    let _ = source.wait();
}

/// A screenshot of the whole virtual screen (what a person would see, drag overlay included).
pub fn screenshot_screen(name: &str) -> PathBuf {
    let folder = target_dir().join("e2e-screenshots");
    std::fs::create_dir_all(&folder).expect("screenshot folder");
    let path = folder.join(format!("{name}.png"));
    let _ = Command::new("import")
        .args(["-window", "root", "-crop", "1100x760+0+0"])
        .arg(&path)
        .env("DISPLAY", display())
        .status();
    path
}
