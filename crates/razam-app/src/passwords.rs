//! Account password hashes: Argon2id at OWASP's recommended cost (19 MiB, 2 passes), computed
//! on a blocking thread so a login never stalls the async runtime.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use crate::AppError;

/// Argon2id memory per password hash, in KiB (19 MiB).
pub const MEMORY_KIB: u32 = 19 * 1024;
/// Argon2id passes per password hash.
pub const PASSES: u32 = 2;
/// Argon2id lanes per password hash.
pub const LANES: u32 = 1;

fn argon2() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).map_err(|e| AppError::Vault(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

pub async fn hash(password: Zeroizing<String>) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()?
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Vault(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| AppError::Vault(format!("password hashing stopped: {e}")))?
}

pub async fn verify(password: Zeroizing<String>, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        argon2().is_ok_and(|a| a.verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}
