//! Where passphrases and passwords come from: a file, an environment variable, or a prompt on
//! the terminal — never a command-line argument, which other users can read in `ps`.

use std::io::IsTerminal;
use std::path::Path;

use razam_app::AppError;
use zeroize::Zeroizing;

fn from_file(path: &Path) -> Result<Zeroizing<String>, AppError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AppError::BadInput(format!("cannot read {}: {e}", path.display())))?;
    // One trailing newline is how editors save files; it is not part of the secret.
    let trimmed = text.strip_suffix('\n').unwrap_or(&text);
    let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
    Ok(Zeroizing::new(trimmed.to_owned()))
}

fn prompt(label: &str) -> Result<Zeroizing<String>, AppError> {
    rpassword::prompt_password(format!("{label}: "))
        .map(Zeroizing::new)
        .map_err(|e| AppError::BadInput(format!("could not read from the terminal: {e}")))
}

/// Reads a secret from `file`, else the environment variable `env`, else the terminal (asked
/// twice when `confirm`). Without a terminal and without the other two, says how to give it.
pub fn read(label: &str, file: Option<&Path>, env: &str, confirm: bool) -> Result<Zeroizing<String>, AppError> {
    if let Some(path) = file {
        return from_file(path);
    }
    if let Ok(value) = std::env::var(env) {
        return Ok(Zeroizing::new(value));
    }
    if !std::io::stdin().is_terminal() {
        return Err(AppError::BadInput(format!(
            "no {label} given: use a prompt on a terminal, the {env} variable, or a file option"
        )));
    }
    let first = prompt(label)?;
    if confirm && *prompt(&format!("{label} (again)"))? != *first {
        return Err(AppError::BadInput(format!("the two {label}s differ")));
    }
    Ok(first)
}
