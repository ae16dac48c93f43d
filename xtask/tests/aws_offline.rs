//! The AWS path, proven without AWS: the real Lambda zip, the real `serverless package` with
//! no credentials anywhere and the CloudFormation it writes, cfn-lint on it, and `deploy`
//! refusing to start without credentials.
#![allow(clippy::unwrap_used)] // test set-up: a failure should stop the test where it happens

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

use serde_json::{json, Value};
use support::aws::{empty_home, said, without_aws};
use xtask::project;

mod support;

/// A 16-character stage: the longest `cargo xtask deploy` makes.
const LONGEST_STAGE: &str = "abcdefghijklmnop";

fn xtask() -> Command {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
}

/// `cargo xtask build STEP`, once per step per test run; the zip's path.
fn built(step: &str) -> PathBuf {
    static BUILDS: Mutex<Vec<(String, PathBuf)>> = Mutex::new(Vec::new());
    let mut builds = BUILDS.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, zip)) = builds.iter().find(|(s, _)| s == step) {
        return zip.clone();
    }
    let output = xtask().args(["build", step]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8_lossy(&output.stdout);
    let path = printed.split(" (").next().unwrap().trim();
    let zip = PathBuf::from(path);
    assert!(printed.trim_end().ends_with(" MB)"), "{printed}");
    builds.push((step.to_owned(), zip.clone()));
    zip
}

/// `serverless package` of the step into target/, with no credentials; the template.
fn packaged(step: &str) -> (PathBuf, Value) {
    static TEMPLATES: OnceLock<Mutex<Vec<(String, PathBuf)>>> = OnceLock::new();
    let templates = TEMPLATES.get_or_init(|| Mutex::new(Vec::new()));
    let mut templates = templates.lock().unwrap_or_else(|p| p.into_inner());
    let path = match templates.iter().find(|(s, _)| s == step) {
        Some((_, path)) => path.clone(),
        None => {
            built(step);
            xtask::tools::node::ensure_osls().unwrap();
            let out = project::xtask_dir()
                .join("test-package")
                .join(format!("{step}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&out);
            let mut command = xtask();
            command
                .args([
                    "sls",
                    step,
                    "--",
                    "package",
                    "--stage",
                    LONGEST_STAGE,
                    "--package",
                ])
                .arg(&out);
            without_aws(&mut command, &empty_home("package"));
            let output = command.output().unwrap();
            assert!(
                output.status.success(),
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            let path = out.join("cloudformation-template-update-stack.json");
            templates.push((step.to_owned(), path.clone()));
            path
        }
    };
    let template = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    (path, template)
}

fn resources<'a>(template: &'a Value, kind: &str) -> Vec<(&'a str, &'a Value)> {
    template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, resource)| resource["Type"] == kind)
        .map(|(id, resource)| (id.as_str(), resource))
        .collect()
}

/// A `Fn::Join` of strings and the few pseudo parameters the framework uses, as deployed.
fn joined(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Object(map) if map.contains_key("Fn::Join") => {
            let parts = &map["Fn::Join"];
            let separator = parts[0].as_str().unwrap();
            parts[1]
                .as_array()
                .unwrap()
                .iter()
                .map(joined)
                .collect::<Vec<_>>()
                .join(separator)
        }
        Value::Object(map) if map.get("Ref") == Some(&json!("AWS::Region")) => {
            "us-east-1".to_owned()
        }
        other => panic!("cannot tell the name of {other}"),
    }
}

#[test]
fn the_lambda_zip_holds_one_bootstrap_for_amazon_linux_2023() {
    let zip = built("7-finish");
    let bootstrap = project::xtask_dir().join(format!("test-bootstrap-{}", std::process::id()));
    let listing = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             for i in z.infolist(): print(i.filename, oct(i.external_attr >> 16))\n\
             open(sys.argv[2], 'wb').write(z.read('bootstrap'))",
        ])
        .arg(&zip)
        .arg(&bootstrap)
        .output()
        .unwrap();
    assert!(
        listing.status.success(),
        "{}",
        String::from_utf8_lossy(&listing.stderr)
    );
    let entries: Vec<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let mode = u32::from_str_radix(entries[0].strip_prefix("bootstrap 0o").unwrap(), 8).unwrap();
    assert!(mode & 0o111 != 0, "bootstrap is not executable: {mode:o}");

    let elf = std::fs::read(&bootstrap).unwrap();
    let _ = std::fs::remove_file(&bootstrap);
    assert_eq!(&elf[..4], b"\x7fELF");
    let machine = u16::from_le_bytes([elf[18], elf[19]]);
    assert_eq!(
        machine, 0x3e,
        "not an x86_64 ELF (serverless.yml says architecture: x86_64)"
    );
    // The newest glibc symbol version it needs: Amazon Linux 2023 has 2.34.
    let newest = elf
        .windows(8)
        .enumerate()
        .filter(|(_, window)| *window == b"GLIBC_2.")
        .filter_map(|(at, _)| {
            let digits: String = elf[at + 8..]
                .iter()
                .take(4)
                .map(|b| *b as char)
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse::<u32>().ok()
        })
        .max()
        .unwrap();
    assert!(
        newest <= 34,
        "the bootstrap needs GLIBC_2.{newest}, Amazon Linux 2023 has 2.34"
    );
}

#[test]
fn the_finished_step_packages_a_stream_with_batch_failures_and_limits() {
    let (_, template) = packaged("7-finish");
    let tables = resources(&template, "AWS::DynamoDB::Table");
    assert_eq!(tables.len(), 1);
    assert_eq!(
        tables[0].1["Properties"]["StreamSpecification"]["StreamViewType"],
        "NEW_AND_OLD_IMAGES"
    );

    let mappings = resources(&template, "AWS::Lambda::EventSourceMapping");
    assert_eq!(mappings.len(), 1);
    let mapping = &mappings[0].1["Properties"];
    assert_eq!(
        mapping["EventSourceArn"],
        json!({"Fn::GetAtt": ["Table", "StreamArn"]})
    );
    assert_eq!(
        mapping["FunctionName"],
        json!({"Fn::GetAtt": ["StreamLambdaFunction", "Arn"]})
    );
    assert_eq!(
        mapping["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    assert!(
        mapping["MaximumRetryAttempts"]
            .as_u64()
            .is_some_and(|n| n <= 10),
        "{mapping}"
    );
    assert_eq!(mapping["BisectBatchOnFunctionError"], true);

    let functions = resources(&template, "AWS::Lambda::Function");
    let handlers: BTreeSet<&str> = functions
        .iter()
        .map(|(_, f)| f["Properties"]["Handler"].as_str().unwrap())
        .collect();
    assert_eq!(
        handlers,
        xtask::HANDLER_NAMES.into_iter().collect(),
        "every handler the binary knows is used"
    );
}

#[test]
fn both_steps_package_lambda_functions_the_binary_can_run_within_aws_limits() {
    for step in ["6-streams", "7-finish"] {
        let (_, template) = packaged(step);
        for (id, function) in resources(&template, "AWS::Lambda::Function") {
            let properties = &function["Properties"];
            assert_eq!(properties["Runtime"], "provided.al2023", "{step} {id}");
            let handler = properties["Handler"].as_str().unwrap();
            assert!(
                xtask::HANDLER_NAMES.contains(&handler),
                "{step} {id}: unknown handler {handler}"
            );
            let name = joined(&properties["FunctionName"]);
            assert!(
                name.contains(LONGEST_STAGE) && name.len() <= 64,
                "{step} {id}: {name}"
            );
        }
        let roles = resources(&template, "AWS::IAM::Role");
        assert_eq!(roles.len(), 1);
        let role = &roles[0].1["Properties"];
        let role_name = joined(&role["RoleName"]);
        assert!(
            role_name.len() <= 64,
            "{step}: role name {role_name} is over IAM's 64"
        );
        // The table statement: exactly the three actions the API uses, on the table only.
        let statements: Vec<&Value> = role["Policies"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|policy| policy["PolicyDocument"]["Statement"].as_array().unwrap())
            .collect();
        let on_table: Vec<&&Value> = statements
            .iter()
            .filter(|s| {
                s["Resource"] == json!({"Fn::GetAtt": ["Table", "Arn"]})
                    || s["Resource"] == json!([{"Fn::GetAtt": ["Table", "Arn"]}])
            })
            .collect();
        assert_eq!(on_table.len(), 1, "{step}: {statements:?}");
        let actions: BTreeSet<&str> = on_table[0]["Action"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            BTreeSet::from([
                "dynamodb:PutItem",
                "dynamodb:GetItem",
                "dynamodb:DeleteItem"
            ]),
            "{step}"
        );
        assert!(
            !statements
                .iter()
                .any(|s| s["Action"].to_string().contains("dynamodb:*")),
            "{step}: a wildcard DynamoDB permission"
        );
        let stack = format!("user-management-service-{LONGEST_STAGE}");
        assert!(stack.len() <= 128);
    }
}

#[test]
fn the_exercise_packages_no_stream_until_the_learner_adds_it() {
    let (_, template) = packaged("6-streams");
    let tables = resources(&template, "AWS::DynamoDB::Table");
    // As committed it has none; once a learner has added one, the template has it.
    let yml = std::fs::read_to_string(project::root().join("6-streams/serverless.yml")).unwrap();
    let asked = yml.contains("StreamSpecification");
    assert_eq!(
        tables[0].1["Properties"]
            .get("StreamSpecification")
            .is_some(),
        asked
    );
    let mappings = resources(&template, "AWS::Lambda::EventSourceMapping");
    assert_eq!(
        !mappings.is_empty(),
        asked && yml.contains("type: dynamodb")
    );
}

#[test]
fn cfn_lint_finds_no_errors_in_either_template() {
    let cfn_lint = xtask::tools::python::ensure(xtask::tools::python::CFN_LINT).unwrap();
    for step in ["6-streams", "7-finish"] {
        let (path, _) = packaged(step);
        let output = Command::new(&cfn_lint).arg(&path).output().unwrap();
        // cfn-lint's exit code is a bit field: 2 means errors (4 warnings, 8 notes).
        let code = output.status.code().unwrap();
        assert_eq!(
            code & 2,
            0,
            "{step}:\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
}

fn deploy_without_credentials(user: &str, stage: Option<&str>) -> Output {
    deploy_as(user, stage, &[])
}

/// `cargo xtask deploy 7-finish` as `user`, with only the given AWS variables.
fn deploy_as(user: &str, stage: Option<&str>, aws: &[(&str, &str)]) -> Output {
    let mut command = xtask();
    command.args(["deploy", "7-finish"]).env("USER", user);
    if let Some(stage) = stage {
        command.args(["--stage", stage]);
    }
    without_aws(&mut command, &empty_home(&format!("deploy-{user}")));
    command.envs(aws.iter().copied());
    command.output().unwrap()
}

/// Keys that the SDK's chain finds; nothing is sent anywhere with them.
const DUMMY_KEYS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
    ("AWS_SECRET_ACCESS_KEY", "example"),
];

#[test]
fn deploy_without_credentials_stops_before_the_framework_and_names_local() {
    let output = deploy_without_credentials("john.doe", None);
    let stderr = said(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    // Credentials come first: without them the stage does not matter.
    assert!(
        stderr.starts_with("error: no AWS credentials found"),
        "{stderr}"
    );
    // One line from the SDK, not a page of its error chain.
    let found = stderr.lines().next().unwrap();
    assert!(found.len() < 300, "{found}");
    assert!(stderr.contains("cargo xtask deploy --local"), "{stderr}");
    // Fast means: it stopped before the minutes-long parts, the Lambda build and the framework.
    assert!(
        !stderr.contains("building")
            && !stderr.contains("Serverless")
            && !stderr.contains("installing"),
        "{stderr}"
    );
}

#[test]
fn deploy_refuses_a_shared_login_without_a_stage() {
    let output = deploy_as("root", None, &DUMMY_KEYS);
    let stderr = said(&output);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr.starts_with("credentials found (access key ...MPLE)\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("\nerror: your login name (\"root\") is one that many people share"),
        "{stderr}"
    );
    let output = deploy_as("root", Some("john.doe"), &DUMMY_KEYS);
    let stderr = said(&output);
    assert!(
        stderr.contains("\nerror: --stage \"john.doe\" is not a valid stage"),
        "{stderr}"
    );
    assert!(stderr.contains("--stage john-doe"), "{stderr}");
}

/// `put-item --aws` finds the stack's table by the name CloudFormation gives it and writes the
/// item there. The "account" is a moto server: the AWS SDK honours `AWS_ENDPOINT_URL`.
#[test]
fn put_item_on_aws_writes_into_the_stacks_table() {
    let moto = support::moto::MotoServer::start(
        project::xtask_dir().join(format!("put-item-aws-moto-{}.log", std::process::id())),
    )
    .unwrap();
    let dynamodb = xtask::tools::local_dynamodb::LocalDynamoDb::new(moto.endpoint(), "us-east-1");
    // Another stage's table must not be taken for ours.
    for table in [
        "user-management-service-tester-Table-1A2B3C4D5E6F",
        "user-management-service-other-Table-9Z8Y7X",
    ] {
        dynamodb.create_users_table(table).unwrap();
    }
    let item = r#"{"id": {"S": "bad-1"}, "name": {"N": "42"}}"#;
    let mut command = xtask();
    command.args(["put-item", "--aws", "--stage", "tester", item, "7-finish"]);
    without_aws(&mut command, &empty_home("put-item-aws"));
    let output = command
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_ENDPOINT_URL", moto.endpoint())
        .output()
        .unwrap();
    let stderr = said(&output);
    assert!(output.status.success(), "{stderr}");
    assert!(
        String::from_utf8_lossy(&output.stdout)
            .contains("put the item into user-management-service-tester-Table-1A2B3C4D5E6F"),
        "{stderr}"
    );
    let got = dynamodb
        .call(
            "DynamoDB_20120810.GetItem",
            &json!({"TableName": "user-management-service-tester-Table-1A2B3C4D5E6F",
                    "Key": {"id": {"S": "bad-1"}}}),
        )
        .unwrap();
    assert_eq!(got["Item"]["name"], json!({"N": "42"}));
}

#[test]
fn put_item_with_a_bad_item_says_what_is_wrong() {
    let output = xtask()
        .args(["put-item", r#"{"name": {"S": "x"}}"#, "7-finish"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim_end(),
        "error: the item has no `id`, the table's key: add one, e.g. \"id\": {\"S\": \"bad-1\"}"
    );
}
