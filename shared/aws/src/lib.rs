//! AWS adapters: the DynamoDB store, S3 artifacts and Secrets Manager secrets.
