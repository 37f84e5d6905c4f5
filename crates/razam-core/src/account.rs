//! What identifies an account, parsed once at the edge.

use std::fmt;

/// The name an account logs in with: 3 to 64 characters of lowercase Latin letters, digits,
/// `.`, `_` and `-`. Input is lowercased and trimmed first, so `Anna` and `anna` are one name.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str) -> Result<Username, AccountFieldError> {
        let name = input.trim().to_lowercase();
        let len = name.chars().count();
        if !(3..=64).contains(&len) {
            return Err(AccountFieldError::UsernameLength);
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        {
            return Err(AccountFieldError::UsernameCharacters);
        }
        Ok(Username(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Username {
    // A user name is personal data: keep it out of debug output and logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Username(…)")
    }
}

/// A person's name as shown to colleagues: 1 to 200 characters, no control characters.
#[derive(Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(input: &str) -> Result<DisplayName, AccountFieldError> {
        let name = input.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AccountFieldError::DisplayNameLength);
        }
        if name.chars().any(char::is_control) {
            return Err(AccountFieldError::ControlCharacters);
        }
        Ok(DisplayName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DisplayName(…)")
    }
}

/// An e-mail address, checked for shape only (one `@`, a dot in the domain, no spaces,
/// at most 254 characters); whether it reaches anyone is not ours to know.
#[derive(Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<EmailAddress, AccountFieldError> {
        let address = input.trim();
        let valid = address.len() <= 254
            && !address.chars().any(|c| c.is_whitespace() || c.is_control())
            && match address.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if valid {
            Ok(EmailAddress(address.to_owned()))
        } else {
            Err(AccountFieldError::Email)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EmailAddress(…)")
    }
}

/// A password being set: 12 to 1024 characters. Never printed.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(input: String) -> Result<NewPassword, AccountFieldError> {
        let len = input.chars().count();
        if len < 12 {
            return Err(AccountFieldError::PasswordTooShort);
        }
        if len > 1024 {
            return Err(AccountFieldError::PasswordTooLong);
        }
        Ok(NewPassword(input))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

/// Why an account field was refused. Each variant has a stable code the UI translates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountFieldError {
    #[error("a user name has 3 to 64 characters")]
    UsernameLength,
    #[error("a user name may hold only lowercase Latin letters, digits, '.', '_' and '-'")]
    UsernameCharacters,
    #[error("a display name has 1 to 200 characters")]
    DisplayNameLength,
    #[error("control characters are not allowed")]
    ControlCharacters,
    #[error("this is not an e-mail address")]
    Email,
    #[error("a password needs at least 12 characters")]
    PasswordTooShort,
    #[error("a password has at most 1024 characters")]
    PasswordTooLong,
}

impl AccountFieldError {
    /// A stable code, used as the translation key of the message.
    pub fn code(&self) -> &'static str {
        match self {
            AccountFieldError::UsernameLength => "username-length",
            AccountFieldError::UsernameCharacters => "username-characters",
            AccountFieldError::DisplayNameLength => "display-name-length",
            AccountFieldError::ControlCharacters => "control-characters",
            AccountFieldError::Email => "email-shape",
            AccountFieldError::PasswordTooShort => "password-too-short",
            AccountFieldError::PasswordTooLong => "password-too-long",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        let check = |input: &str, expected: Result<&str, AccountFieldError>| {
            assert_eq!(
                Username::parse(input).map(|u| u.as_str().to_owned()),
                expected.map(str::to_owned),
                "{input:?}"
            )
        };
        check("  Anna.K ", Ok("anna.k"));
        check("ab", Err(AccountFieldError::UsernameLength));
        check(&"a".repeat(65), Err(AccountFieldError::UsernameLength));
        check("анна", Err(AccountFieldError::UsernameCharacters));
        check("a b c", Err(AccountFieldError::UsernameCharacters));
    }

    #[test]
    fn display_names_take_any_script_but_no_control_characters() {
        assert_eq!(
            DisplayName::parse(" Аляксандр Ціханоўскі ").unwrap().as_str(),
            "Аляксандр Ціханоўскі"
        );
        assert_eq!(DisplayName::parse("a\u{7}b"), Err(AccountFieldError::ControlCharacters));
        assert_eq!(DisplayName::parse("   "), Err(AccountFieldError::DisplayNameLength));
    }

    #[test]
    fn email_addresses() {
        for good in ["a@b.by", "ales.b+razam@example.org"] {
            assert!(EmailAddress::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "a", "a@b", "a@@b.by", "a b@c.by", "@b.by", "a@.by", "a@b."] {
            assert_eq!(EmailAddress::parse(bad), Err(AccountFieldError::Email), "{bad}");
        }
    }

    #[test]
    fn passwords_are_never_printed() {
        let p = NewPassword::parse("correct horse battery".into()).unwrap();
        assert!(!format!("{p:?}").contains("horse"));
        assert_eq!(
            NewPassword::parse("short".into()).unwrap_err(),
            AccountFieldError::PasswordTooShort
        );
    }
}
