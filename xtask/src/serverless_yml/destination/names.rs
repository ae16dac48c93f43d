//! The names SQS, SNS and S3 refuse, in their own words: each becomes a folder of the step's
//! local state too (made safe all the same, `tools::files`).

/// SQS's queue names: letters, digits, `-` and `_`, 1 to 80 characters (`.fifo` at the end
/// of a FIFO queue's).
pub fn queue_name(name: &str) -> Option<String> {
    let stem = name.strip_suffix(".fifo").unwrap_or(name);
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    (stem.is_empty() || name.len() > 80 || !stem.chars().all(allowed)).then(|| {
        format!(
            "queue name {name:?}: SQS refuses it: \"Can only include alphanumeric characters, \
             hyphens, or underscores. 1 to 80 in length\""
        )
    })
}

/// SNS's topic names: letters, digits, `-` and `_`, 1 to 256 characters.
pub fn topic_name(name: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    (name.is_empty() || name.len() > 256 || !name.chars().all(allowed)).then(|| {
        format!(
            "topic name {name:?}: SNS refuses it: \"Topic names must be made up of only \
             uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must \
             be between 1 and 256 characters long\""
        )
    })
}

/// S3's bucket names (general purpose buckets): 3 to 63 lowercase letters, digits, `.` and
/// `-`, a letter or digit at each end, no `..`.
pub fn bucket_name(name: &str) -> Option<String> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-';
    let ends = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let fine = (3..=63).contains(&name.len())
        && name.chars().all(allowed)
        && ends(name.chars().next())
        && ends(name.chars().last())
        && !name.contains("..");
    (!fine).then(|| {
        format!(
            "bucket name {name:?}: S3 refuses it: \"Bucket names must be between 3 (min) and 63 \
             (max) characters long. Bucket names can consist only of lowercase letters, \
             numbers, periods (.), and hyphens (-). Bucket names must begin and end with a \
             letter or number\""
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQS API reference, CreateQueue (QueueName).
    #[test]
    fn queue_names_aws_refuses_are_refused() {
        assert_eq!(queue_name("SkippedRecords"), None);
        assert_eq!(queue_name("Skipped.fifo"), None);
        for name in ["../x", "a/b", "", &"q".repeat(81)] {
            assert!(queue_name(name).is_some(), "{name}");
        }
    }

    /// SNS API reference, CreateTopic (Name); S3 user guide, "General purpose bucket naming
    /// rules".
    #[test]
    fn topic_and_bucket_names_aws_refuses_are_refused() {
        assert_eq!(topic_name("Skipped_Records-1"), None);
        for name in ["", "a.b", "../x", &"t".repeat(257)] {
            assert!(topic_name(name).is_some(), "{name}");
        }
        assert_eq!(bucket_name("skipped-records.dev"), None);
        for name in [
            "ab", "Skipped", "-skipped", "skipped-", "a..b", "a_b", "../x",
        ] {
            assert!(bucket_name(name).is_some(), "{name}");
        }
        assert!(bucket_name(&"b".repeat(64)).is_some());
    }
}
