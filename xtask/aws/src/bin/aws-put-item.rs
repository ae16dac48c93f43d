//! `cargo xtask put-item --aws` runs this: one item, in DynamoDB JSON, put into the step's
//! table on AWS. Arguments: REGION TABLE ITEM, where TABLE is `=NAME` for a table named in
//! serverless.yml, or the prefix CloudFormation gives the names it makes (`STACK-Table-`).
//! The AWS SDK's default chain gives the credentials; `AWS_ENDPOINT_URL` is honoured.
//! Prints `put the item into TABLE`, or `unchanged TABLE` when the table already held
//! exactly this item (a write that changes nothing makes no stream record).

use std::collections::HashMap;
use std::process::ExitCode;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()).await {
        Ok((table, Written::Changed)) => {
            println!("put the item into {table}");
            ExitCode::SUCCESS
        }
        Ok((table, Written::Unchanged)) => {
            println!("unchanged {table}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Whether the write changed the table.
enum Written {
    Changed,
    Unchanged,
}

async fn run(args: Vec<String>) -> Result<(String, Written), String> {
    let [region, table, item] = <[String; 3]>::try_from(args)
        .map_err(|_| "usage: aws-put-item REGION TABLE ITEM".to_owned())?;
    let item: serde_dynamo::Item =
        serde_json::from_str(&item).map_err(|e| format!("the item is not DynamoDB JSON: {e}"))?;
    let item: HashMap<String, AttributeValue> = item.into();
    let config = aws_config::from_env()
        .region(aws_config::Region::new(region))
        .load()
        .await;
    let client = Client::new(&config);
    let table = match table.strip_prefix('=') {
        Some(name) => name.to_owned(),
        None => find_table(&client, &table).await?,
    };
    let old = client
        .put_item()
        .table_name(&table)
        .set_item(Some(item.clone()))
        .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
        .send()
        .await
        .map_err(|e| format!("PutItem on {table} failed: {}", short(&e)))?;
    let written = match old.attributes() {
        Some(old) if *old == item => Written::Unchanged,
        _ => Written::Changed,
    };
    Ok((table, written))
}

/// The one table whose name starts with `prefix`.
async fn find_table(client: &Client, prefix: &str) -> Result<String, String> {
    let mut found = Vec::new();
    let mut pages = client.list_tables().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| format!("listing the tables failed: {}", short(&e)))?;
        found.extend(
            page.table_names()
                .iter()
                .filter(|name| name.starts_with(prefix))
                .cloned(),
        );
    }
    match found.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!(
            "no table named {prefix}... in this account and region: is the stack deployed \
             (`cargo xtask deploy`), with this stage?"
        )),
        many => Err(format!(
            "several tables are named {prefix}...: {}",
            many.join(", ")
        )),
    }
}

/// An SDK error in one line: the error and its first two causes (the service's own message
/// is among them), not the whole chain.
fn short(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut cause = error.source();
    while let (Some(next), true) = (cause, parts.len() < 3) {
        parts.push(next.to_string());
        cause = next.source();
    }
    let line = parts.join(": ");
    line.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}
