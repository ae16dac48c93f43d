//! The deployment stage: by default the learner's login name, so that a room of learners can
//! share one AWS account, made valid and short enough for AWS's name limits.

use anyhow::{bail, Result};

/// Stack, role and function names carry the stage: 16 characters keep
/// `user-management-service-<stage>-<region>-lambdaRole` within IAM's 64.
pub const MAX_STAGE: usize = 16;

/// Logins that many people share (images, containers, CI): they would collide.
const GENERIC_LOGINS: [&str; 14] = [
    "root",
    "admin",
    "administrator",
    "user",
    "ec2-user",
    "ubuntu",
    "debian",
    "vscode",
    "codespace",
    "gitpod",
    "cloudshell-user",
    "runner",
    "node",
    "dev",
];

/// The stage to deploy to: `--stage` if given (checked), else one made from the login name.
pub fn resolve(given: Option<&str>) -> Result<String> {
    match given {
        Some(stage) => check(stage),
        None => from_login(&login_name()),
    }
}

fn login_name() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .unwrap_or_default()
}

/// A `--stage` the learner typed: used as is, or refused with the rule.
pub fn check(stage: &str) -> Result<String> {
    let valid = stage.len() <= MAX_STAGE
        && stage.starts_with(|c: char| c.is_ascii_alphabetic())
        && stage.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !valid {
        bail!(
            "--stage {stage:?} is not a valid stage: use letters, digits and hyphens, starting \
             with a letter, at most {MAX_STAGE} characters (for example --stage {})",
            from_login(stage).unwrap_or_else(|_| "alice".to_owned())
        );
    }
    Ok(stage.to_owned())
}

/// A stage made from a login name: lower case, other characters as hyphens, starting with a
/// letter, at most 16 characters. A generic login is refused: pass --stage.
pub fn from_login(login: &str) -> Result<String> {
    let lower = login.trim().to_ascii_lowercase();
    if GENERIC_LOGINS.contains(&lower.as_str()) || lower.is_empty() {
        let shown = if lower.is_empty() {
            "unknown".to_owned()
        } else {
            format!("{lower:?}")
        };
        bail!(
            "your login name ({shown}) is one that many people share, so it cannot name your \
             stage in a shared AWS account: pass one of your own, e.g. `cargo xtask deploy \
             --stage alice`"
        );
    }
    let mut stage = String::new();
    for c in lower.chars() {
        if c.is_ascii_alphanumeric() {
            stage.push(c);
        } else if !stage.ends_with('-') {
            stage.push('-');
        }
    }
    let mut stage = stage.trim_matches('-').to_owned();
    if !stage.starts_with(|c: char| c.is_ascii_alphabetic()) {
        stage.insert(0, 'u');
    }
    stage.truncate(MAX_STAGE);
    let stage = stage.trim_end_matches('-').to_owned();
    check(&stage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn awkward_logins_become_valid_stages() {
        assert_eq!(from_login("alice").unwrap(), "alice");
        assert_eq!(from_login("john.doe").unwrap(), "john-doe");
        assert_eq!(from_login("J_Doe").unwrap(), "j-doe");
        assert_eq!(from_login("42dev").unwrap(), "u42dev");
        assert_eq!(from_login("zoë").unwrap(), "zo");
        let forty = "a-very-long-login-name-of-forty-chars-xx";
        assert_eq!(forty.len(), 40);
        assert_eq!(from_login(forty).unwrap(), "a-very-long-logi");
        assert_eq!(from_login("abcdefghijklmno.p").unwrap(), "abcdefghijklmno");
    }

    #[test]
    fn generic_logins_are_refused_with_the_way_out() {
        for login in [
            "root",
            "ec2-user",
            "ubuntu",
            "vscode",
            "codespace",
            "Admin",
            "",
        ] {
            let error = from_login(login).unwrap_err().to_string();
            assert!(
                error.contains("cargo xtask deploy --stage alice"),
                "{login}: {error}"
            );
        }
    }

    #[test]
    fn a_given_stage_is_checked_not_changed() {
        assert_eq!(check("team-7").unwrap(), "team-7");
        for bad in ["7team", "john.doe", "seventeen-letters", "a b"] {
            let error = check(bad).unwrap_err().to_string();
            assert!(
                error.contains("letters, digits and hyphens, starting with a letter"),
                "{bad}: {error}"
            );
        }
    }
}
