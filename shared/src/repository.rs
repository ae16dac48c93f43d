use std::fmt;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;

use crate::User;

/// The users table. Its name comes from `TABLE_NAME` (serverless.yml sets it to the table
/// the stack creates); the endpoint, region and credentials come from the AWS SDK's usual
/// configuration, so `AWS_ENDPOINT_URL_DYNAMODB` points it at a local server.
#[derive(Debug, Clone)]
pub struct UserRepository {
    client: Client,
    table: String,
}

impl UserRepository {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The repository a deployed function uses, configured from its environment.
    pub async fn from_env() -> Result<Self, lambda_runtime::Error> {
        let table = std::env::var("TABLE_NAME").map_err(|_| {
            "TABLE_NAME is not set: serverless.yml sets it from the Table resource \
             (provider.environment.TABLE_NAME: !Ref Table)"
        })?;
        let config = aws_config::load_from_env().await;
        Ok(Self::new(Client::new(&config), table))
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Saves the user, replacing any user with the same id.
    pub async fn put(&self, user: &User) -> Result<(), RepositoryError> {
        let item = serde_dynamo::aws_sdk_dynamodb_1::to_item(user)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| RepositoryError::DynamoDb(e.into()))?;
        Ok(())
    }

    pub async fn get(&self, id: &str) -> Result<Option<User>, RepositoryError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(id.to_owned()))
            .send()
            .await
            .map_err(|e| RepositoryError::DynamoDb(e.into()))?;
        match output.item {
            Some(item) => Ok(Some(serde_dynamo::aws_sdk_dynamodb_1::from_item(item)?)),
            None => Ok(None),
        }
    }

    /// Deletes the user; deleting a user that does not exist is not an error.
    pub async fn delete(&self, id: &str) -> Result<(), RepositoryError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(id.to_owned()))
            .send()
            .await
            .map_err(|e| RepositoryError::DynamoDb(e.into()))?;
        Ok(())
    }
}

/// A failed table operation: the detail is for the log, never for the client.
#[derive(Debug)]
pub enum RepositoryError {
    DynamoDb(aws_sdk_dynamodb::Error),
    /// An item in the table (or a user to store) that does not convert.
    Conversion(serde_dynamo::Error),
}

impl From<serde_dynamo::Error> for RepositoryError {
    fn from(error: serde_dynamo::Error) -> Self {
        Self::Conversion(error)
    }
}

impl fmt::Display for RepositoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DynamoDb(error) => write!(f, "DynamoDB: {}", DisplayErrorContext(error)),
            Self::Conversion(error) => write!(f, "item conversion: {error}"),
        }
    }
}

impl std::error::Error for RepositoryError {}
