//! Reading typed values out of DynamoDB items, with errors that name what is wrong.

use std::collections::HashMap;
use std::str::FromStr;

use autoexpose_pipeline::StoreError;
use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;

/// One DynamoDB item.
pub(crate) type Item = HashMap<String, AttributeValue>;

/// DynamoDB's limit on one item, attribute names included.
pub(crate) const MAX_ITEM_BYTES: usize = 400 * 1024;

/// Typed accessors; `what` names the record in error messages.
pub(crate) trait ItemExt {
    /// A string attribute.
    fn string(&self, name: &str, what: &str) -> Result<String, StoreError>;
    /// A string attribute that may be absent.
    fn optional_string(&self, name: &str) -> Option<String>;
    /// A number attribute.
    fn number<T: FromStr>(&self, name: &str, what: &str) -> Result<T, StoreError>;
    /// A number attribute that may be absent.
    fn optional_number<T: FromStr>(&self, name: &str, what: &str) -> Result<Option<T>, StoreError>;
    /// A string attribute holding JSON.
    fn json<T: DeserializeOwned>(&self, name: &str, what: &str) -> Result<T, StoreError>;
}

fn corrupt(item: &Item, name: &str, what: &str, problem: &str) -> StoreError {
    let pk = item
        .get("pk")
        .and_then(|v| v.as_s().ok())
        .map_or("?", |s| s);
    let sk = item
        .get("sk")
        .and_then(|v| v.as_s().ok())
        .map_or("?", |s| s);
    StoreError::corrupt(
        format!("the {what} item (pk '{pk}', sk '{sk}')"),
        format!("attribute '{name}' {problem}"),
    )
}

impl ItemExt for Item {
    fn string(&self, name: &str, what: &str) -> Result<String, StoreError> {
        match self.get(name) {
            Some(AttributeValue::S(value)) => Ok(value.clone()),
            Some(_) => Err(corrupt(self, name, what, "is not a string")),
            None => Err(corrupt(self, name, what, "is missing")),
        }
    }

    fn optional_string(&self, name: &str) -> Option<String> {
        match self.get(name) {
            Some(AttributeValue::S(value)) => Some(value.clone()),
            _ => None,
        }
    }

    fn number<T: FromStr>(&self, name: &str, what: &str) -> Result<T, StoreError> {
        match self.get(name) {
            Some(AttributeValue::N(value)) => value
                .parse()
                .map_err(|_| corrupt(self, name, what, "is not a whole number")),
            Some(_) => Err(corrupt(self, name, what, "is not a number")),
            None => Err(corrupt(self, name, what, "is missing")),
        }
    }

    fn optional_number<T: FromStr>(&self, name: &str, what: &str) -> Result<Option<T>, StoreError> {
        match self.get(name) {
            None => Ok(None),
            Some(_) => self.number(name, what).map(Some),
        }
    }

    fn json<T: DeserializeOwned>(&self, name: &str, what: &str) -> Result<T, StoreError> {
        let text = self.string(name, what)?;
        serde_json::from_str(&text)
            .map_err(|e| corrupt(self, name, what, &format!("is not valid JSON for it: {e}")))
    }
}

/// The item, or an error naming it when it is over DynamoDB's 400 KB item limit.
pub(crate) fn checked_size(item: Item, what: &str) -> Result<Item, StoreError> {
    let size: usize = item
        .iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum();
    if size > MAX_ITEM_BYTES {
        return Err(StoreError::rejected(
            format!("storing {what}"),
            format!("it is {size} bytes, over DynamoDB's 400 KB item limit; it cannot be stored"),
        ));
    }
    Ok(item)
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) | AttributeValue::N(s) => s.len(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_over_the_limit_is_refused_with_its_name() {
        let mut item = Item::new();
        item.insert("data".into(), AttributeValue::S("x".repeat(MAX_ITEM_BYTES)));
        let err = checked_size(item, "workbook 'big'").expect_err("too big");
        assert!(err.to_string().contains("workbook 'big'"), "{err}");
    }

    #[test]
    fn missing_attribute_names_the_item_and_attribute() {
        let mut item = Item::new();
        item.insert("pk".into(), AttributeValue::S("RUNS#a".into()));
        item.insert("sk".into(), AttributeValue::S("RUN#1".into()));
        let err = item.string("data", "sync run").expect_err("missing");
        let message = err.to_string();
        assert!(
            message.contains("RUNS#a") && message.contains("'data'"),
            "{message}"
        );
    }
}
