//! `cargo xtask setup`, then the step with no network at all: `check` and `deploy --local`
//! (a PUT through the API, its change in the stream function's log) inside a network
//! namespace that has only loopback (`unshare -n`, root on Linux). All of it with no Python:
//! a `python3` that is not there is first on PATH.
//!
//! Linux only: a network namespace is Linux's, and the stand-in `python3` is a shell script.
//! On macOS and Windows nothing stands for it; `setup` and the step run the same code there.
#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

use std::process::Command;

use xtask::project;

/// The learner's commands, run inside the namespace; xtask is this test's binary.
const OFFLINE: &str = r#"
set -u
ip link set lo up
"$XTASK" check 7-finish > check.out 2>&1; echo "check exit $?"
"$XTASK" deploy --local 7-finish --port "$PORT" > deploy.out 2>&1 &
deploy=$!
for _ in $(seq 1 600); do grep -q '^Ready' deploy.out && break; sleep 0.2; done
bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$PORT"
body="{\"name\": \"no network\"}"
printf "PUT /users/offline HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${#body}\r\nConnection: close\r\n\r\n%s" "$body" >&3
cat <&3' > put.out
grep -q 'Saved!' put.out && echo "PUT Saved!"
for _ in $(seq 1 100); do
  "$XTASK" logs stream 7-finish --local 2>/dev/null | grep -q '"id":"offline"' && break
  sleep 0.2
done
"$XTASK" logs stream 7-finish --local
kill -INT "$deploy"; wait "$deploy"; echo "deploy exit $?"
"#;

/// A directory whose `python3` and `python` are not found, to put first on PATH.
fn no_python(work: &std::path::Path) -> String {
    let bin = work.join("no-python");
    std::fs::create_dir_all(&bin).unwrap();
    for name in ["python3", "python"] {
        let path = bin.join(name);
        std::fs::write(&path, "#!/bin/sh\necho \"$0: not found\" >&2\nexit 127\n").unwrap();
        let mut permissions = std::fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
        std::fs::set_permissions(&path, permissions).unwrap();
    }
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn after_setup_the_step_works_with_no_network_and_no_python() {
    let work = project::xtask_dir().join(format!("offline-{}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let path = no_python(&work);
    let setup = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("setup")
        .env("PATH", &path)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&setup.stdout);
    assert!(
        setup.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&setup.stderr)
    );
    assert!(!said.contains("Python"), "{said}");
    assert!(said.contains("All set"), "{said}");

    let namespace = Command::new("unshare").args(["-n", "true"]).status();
    assert!(
        namespace.is_ok_and(|status| status.success()),
        "the offline half of this test needs a network namespace: run the tests as root \
         (`unshare -n`, from util-linux)"
    );
    let port = xtask::tools::server::free_port().unwrap();
    let output = Command::new("unshare")
        .args(["-n", "sh", "-c", OFFLINE])
        .current_dir(&work)
        .env("XTASK", env!("CARGO_BIN_EXE_xtask"))
        .env("PATH", &path)
        .env("PORT", port.to_string())
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    let files = |name: &str| std::fs::read_to_string(work.join(name)).unwrap_or_default();
    let (check, deploy) = (files("check.out"), files("deploy.out"));
    let _ = std::fs::remove_dir_all(&work);
    let context = format!("{printed}\n--- check:\n{check}\n--- deploy:\n{deploy}");
    assert!(printed.contains("check exit 0\n"), "{context}");
    assert!(check.contains("All done"), "{context}");
    assert!(printed.contains("PUT Saved!\n"), "{context}");
    assert!(
        printed.contains(
            r#"INSERT {"id":"offline"}: value is now {"id":"offline","name":"no network"}"#
        ),
        "{context}"
    );
    assert!(printed.contains("deploy exit 0\n"), "{context}");
}
