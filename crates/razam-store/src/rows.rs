//! Reads written once for both databases: a statement's text and bound values ([`Sql`],
//! [`Value`]) and its columns by name ([`Cols`]). A read written this way runs through the
//! store's `read_rows`: sqlx on PostgreSQL, the direct connections (`direct`) on SQLite, and
//! maps its rows with the same function either way.
//!
//! Placeholders are `$1`, `$2`, … on both databases; a number may appear more than once.

use crate::StoreError;

/// A value bound to a statement.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    I64(i64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::I64(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Value {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Value {
        Value::Text(v)
    }
}

/// A statement built from pieces, its values numbered as they are bound.
#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub(crate) text: String,
    pub(crate) args: Vec<Value>,
}

impl Sql {
    pub(crate) fn new(text: impl Into<String>) -> Sql {
        Sql {
            text: text.into(),
            args: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends ` LIMIT n` with `n` written out, not bound: PostgreSQL plans a bound LIMIT as
    /// if it kept a tenth of the rows, so the plan it caches for the statement (a generic
    /// plan, see `postgres.rs`) sorts everything instead of walking an index and stopping.
    /// `n` is an integer, never text from outside, so writing it into the SQL is safe.
    pub(crate) fn limit(&mut self, n: i64) -> &mut Sql {
        self.text.push_str(" LIMIT ");
        self.text.push_str(&n.to_string());
        self
    }

    /// Appends the placeholder of a new bound value.
    pub(crate) fn bind(&mut self, value: impl Into<Value>) -> &mut Sql {
        self.args.push(value.into());
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    /// `v1, v2, …`: one placeholder per value.
    pub(crate) fn bind_list<V: Into<Value>>(&mut self, values: impl IntoIterator<Item = V>) -> &mut Sql {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.bind(v);
        }
        self
    }
}

/// A row's columns by name. The implementations give the optional forms; a NULL where a
/// value is required is a damaged row.
pub(crate) trait Cols {
    fn opt_i64(&self, name: &str) -> Result<Option<i64>, StoreError>;
    fn opt_text(&self, name: &str) -> Result<Option<String>, StoreError>;
    fn opt_blob(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// A yes or no: a boolean on PostgreSQL, 0 or 1 on SQLite.
    fn opt_flag(&self, name: &str) -> Result<Option<bool>, StoreError>;

    fn flag(&self, name: &str) -> Result<bool, StoreError> {
        self.opt_flag(name)?.ok_or_else(|| null(name))
    }

    fn i64(&self, name: &str) -> Result<i64, StoreError> {
        self.opt_i64(name)?.ok_or_else(|| null(name))
    }

    fn text(&self, name: &str) -> Result<String, StoreError> {
        self.opt_text(name)?.ok_or_else(|| null(name))
    }

    fn blob(&self, name: &str) -> Result<Vec<u8>, StoreError> {
        self.opt_blob(name)?.ok_or_else(|| null(name))
    }
}

fn null(name: &str) -> StoreError {
    StoreError::Damaged(format!("the column {name} is empty where a value is required"))
}

/// sqlx's rows, by its own decoding.
macro_rules! sqlx_cols {
    ($row:ty) => {
        impl Cols for $row {
            fn opt_i64(&self, name: &str) -> Result<Option<i64>, StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }
            fn opt_text(&self, name: &str) -> Result<Option<String>, StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }
            fn opt_blob(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }
            fn opt_flag(&self, name: &str) -> Result<Option<bool>, StoreError> {
                Ok(sqlx::Row::try_get(self, name)?)
            }
        }
    };
}

sqlx_cols!(sqlx::postgres::PgRow);
sqlx_cols!(sqlx::sqlite::SqliteRow);

impl Cols for rusqlite::Row<'_> {
    fn opt_i64(&self, name: &str) -> Result<Option<i64>, StoreError> {
        self.get(name).map_err(crate::direct::error)
    }
    fn opt_text(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.get(name).map_err(crate::direct::error)
    }
    fn opt_blob(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(name).map_err(crate::direct::error)
    }
    fn opt_flag(&self, name: &str) -> Result<Option<bool>, StoreError> {
        self.get(name).map_err(crate::direct::error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_binding_order() {
        let mut q = Sql::new("SELECT x FROM t WHERE a = ");
        q.bind(7).push(" AND b IN (").bind_list(["p", "q"]).push(")");
        assert_eq!(q.text, "SELECT x FROM t WHERE a = $1 AND b IN ($2, $3)");
        assert!(matches!(q.args[..], [Value::I64(7), Value::Text(ref p), Value::Text(ref r)] if p == "p" && r == "q"));
    }
}
