//! What the tests that drive an outside Python library share: a child process run to its end
//! under a deadline, and a virtual environment under `target/` with pinned packages from PyPI,
//! made on the first run and reused while it still imports them. Included with
//! `#[path = "sdk/python.rs"] mod python;` by `bluebutton_sdk.rs` and `authlib.rs`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CREATE_TIMEOUT: Duration = Duration::from_secs(300);
const INSTALL_TIMEOUT: Duration = Duration::from_secs(15 * 60);
const CHECK_TIMEOUT: Duration = Duration::from_secs(120);

/// Output of a finished child process.
pub struct Finished {
    pub success: bool,
    pub status: String,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Runs `command` to completion, killing it after `timeout` (a test failure).
pub fn run(mut command: Command, timeout: Duration) -> Finished {
    let description = format!("{command:?}");
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {description}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{description} did not finish within {timeout:?}\nstdout:\n{}\nstderr:\n{}",
                stdout.join().unwrap(),
                stderr.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Finished {
        success: status.success(),
        status: status.to_string(),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
        elapsed: started.elapsed(),
    }
}

/// A virtual environment the test needs, and how to tell it is ready.
pub struct Venv<'a> {
    /// Its folder under `target/`.
    pub dir: &'a str,
    /// What pip installs (pinned).
    pub packages: &'a [&'a str],
    /// Python that prints the library's version when everything imports.
    pub check: &'a str,
    /// The version `check` must print.
    pub version: &'a str,
    /// For the failure messages: what needs it.
    pub needed_by: &'a str,
}

impl Venv<'_> {
    /// The environment's interpreter, with the packages installed: reused when it already
    /// works, otherwise (re)created. A failure here fails the test; it is never skipped.
    pub fn ensure(&self) -> PathBuf {
        let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("target")
            .join(self.dir);
        let python = if cfg!(windows) {
            venv.join("Scripts").join("python.exe")
        } else {
            venv.join("bin").join("python")
        };
        if self.installed(&python) {
            eprintln!("reusing {}", venv.display());
            return python;
        }
        let interpreter = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
        eprintln!("creating {} with {interpreter}", venv.display());
        std::fs::create_dir_all(venv.parent().unwrap()).expect("create target/");
        let mut create = Command::new(&interpreter);
        create.args(["-m", "venv", "--clear"]).arg(&venv);
        let done = run(create, CREATE_TIMEOUT);
        assert!(
            done.success,
            "`{interpreter} -m venv --clear {}` failed ({}): {} needs Python 3 with the venv \
             module\nstdout:\n{}\nstderr:\n{}",
            venv.display(),
            done.status,
            self.needed_by,
            done.stdout,
            done.stderr
        );
        let mut install = Command::new(&python);
        install
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
            ])
            .args(self.packages);
        let done = run(install, INSTALL_TIMEOUT);
        assert!(
            done.success,
            "`pip install {:?}` into {} failed ({}): {} needs PyPI once\nstdout:\n{}\nstderr:\n{}",
            self.packages,
            venv.display(),
            done.status,
            self.needed_by,
            done.stdout,
            done.stderr
        );
        assert!(
            self.installed(&python),
            "{:?} were installed into {} but the check does not report version {}",
            self.packages,
            venv.display(),
            self.version
        );
        python
    }

    fn installed(&self, python: &Path) -> bool {
        if !python.exists() {
            return false;
        }
        let mut check = Command::new(python);
        check.args(["-c", self.check]);
        let done = run(check, CHECK_TIMEOUT);
        done.success && done.stdout.trim() == self.version
    }
}
