//! The vault: the instance's random data key, wrapped twice (by a key derived from the
//! operator's passphrase with Argon2id, and by a recovery key shown once at `init`), and the
//! keys derived from it for each purpose.
//!
//! Nothing here touches the database. The vault file holds only wrapped keys; the data key
//! lives in memory while the instance is unlocked and is zeroised when dropped.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::AppError;

/// The vault file's contents: wrapped keys and the parameters to unwrap them. No secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultFile {
    pub format: u32,
    pub kdf: KdfParams,
    pub by_passphrase: Wrapped,
    pub by_recovery_key: Wrapped,
    /// A short fingerprint of the data key, to tell instances apart without revealing it.
    pub key_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    pub algorithm: String,
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    pub salt: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wrapped {
    pub nonce: String,
    pub sealed_key: String,
}

/// Argon2id at 64 MiB and 3 passes: about a quarter of a second on one core, paid once per
/// unlock, and 64 MiB per guess for whoever tries passphrases against a seized vault file.
const KDF_MEMORY_KIB: u32 = 64 * 1024;
const KDF_ITERATIONS: u32 = 3;
const KDF_PARALLELISM: u32 = 1;

const WRAP_BY_PASSPHRASE: &[u8] = b"razam vault v1: data key wrapped by passphrase";
const WRAP_BY_RECOVERY: &[u8] = b"razam vault v1: data key wrapped by recovery key";

/// The instance's data key. Only lives in memory; zeroised on drop.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    fn generate() -> DataKey {
        let mut key = Zeroizing::new([0u8; 32]);
        OsRng.fill_bytes(key.as_mut());
        DataKey(key)
    }

    /// A key for one purpose, so that no two purposes ever share a key.
    pub fn derive(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(blake3::derive_key(purpose, self.0.as_ref()))
    }

    /// A second copy, for moving into a blocking task; zeroised on drop like the first.
    pub fn duplicate(&self) -> DataKey {
        DataKey(Zeroizing::new(*self.0))
    }

    fn id(&self) -> String {
        hex::encode(&blake3::derive_key("razam 2026 key id v1", self.0.as_ref())[..8])
    }
}

/// The recovery key: 256 random bits, shown once as 16 groups of 4 hex digits.
pub struct RecoveryKey(Zeroizing<[u8; 32]>);

impl RecoveryKey {
    pub fn display(&self) -> Zeroizing<String> {
        let hex = Zeroizing::new(hex::encode(self.0.as_ref()));
        let groups: Vec<&str> = (0..16).map(|i| &hex[i * 4..i * 4 + 4]).collect();
        Zeroizing::new(groups.join("-"))
    }

    /// Accepts the displayed form with or without dashes and spaces.
    pub fn parse(text: &str) -> Result<RecoveryKey, AppError> {
        let digits: Zeroizing<String> = Zeroizing::new(text.chars().filter(|c| c.is_ascii_hexdigit()).collect());
        let mut key = Zeroizing::new([0u8; 32]);
        if digits.len() != 64 || hex::decode_to_slice(digits.as_str(), key.as_mut()).is_err() {
            return Err(AppError::BadInput(
                "a recovery key is 64 hexadecimal digits, as printed by `razam init`".into(),
            ));
        }
        Ok(RecoveryKey(key))
    }

    fn wrapping_key(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(blake3::derive_key("razam 2026 recovery wrap v1", self.0.as_ref()))
    }
}

/// A new vault: a fresh data key wrapped by the passphrase and by a new recovery key.
pub fn create(passphrase: &str) -> Result<(VaultFile, DataKey, RecoveryKey), AppError> {
    let data_key = DataKey::generate();
    let mut recovery = Zeroizing::new([0u8; 32]);
    OsRng.fill_bytes(recovery.as_mut());
    let recovery = RecoveryKey(recovery);
    let vault = wrap(&data_key, passphrase, &recovery.wrapping_key())?;
    Ok((vault, data_key, recovery))
}

/// Unwraps the data key with the passphrase.
pub fn unlock(vault: &VaultFile, passphrase: &str) -> Result<DataKey, AppError> {
    check_format(vault)?;
    let salt = decode(&vault.kdf.salt)?;
    let kek = derive_from_passphrase(passphrase, &salt, &vault.kdf)?;
    unwrap(&vault.by_passphrase, &kek, WRAP_BY_PASSPHRASE).ok_or(AppError::WrongPassphrase)
}

/// Unwraps the data key with the recovery key.
pub fn unlock_with_recovery(vault: &VaultFile, recovery: &RecoveryKey) -> Result<DataKey, AppError> {
    check_format(vault)?;
    unwrap(&vault.by_recovery_key, &recovery.wrapping_key(), WRAP_BY_RECOVERY).ok_or(AppError::WrongRecoveryKey)
}

/// The same data key under a new passphrase; the recovery wrapping is kept as it is.
pub fn rekey(vault: &VaultFile, data_key: &DataKey, new_passphrase: &str) -> Result<VaultFile, AppError> {
    let (salt, kdf) = new_kdf();
    let kek = derive_from_passphrase(new_passphrase, &salt, &kdf)?;
    Ok(VaultFile {
        format: 1,
        kdf,
        by_passphrase: wrap_key(data_key, &kek, WRAP_BY_PASSPHRASE)?,
        by_recovery_key: vault.by_recovery_key.clone(),
        key_id: data_key.id(),
    })
}

fn wrap(data_key: &DataKey, passphrase: &str, recovery_kek: &[u8; 32]) -> Result<VaultFile, AppError> {
    let (salt, kdf) = new_kdf();
    let kek = derive_from_passphrase(passphrase, &salt, &kdf)?;
    Ok(VaultFile {
        format: 1,
        kdf,
        by_passphrase: wrap_key(data_key, &kek, WRAP_BY_PASSPHRASE)?,
        by_recovery_key: wrap_key(data_key, recovery_kek, WRAP_BY_RECOVERY)?,
        key_id: data_key.id(),
    })
}

fn new_kdf() -> (Vec<u8>, KdfParams) {
    let mut salt = vec![0u8; 16];
    OsRng.fill_bytes(&mut salt);
    let kdf = KdfParams {
        algorithm: "argon2id".into(),
        memory_kib: KDF_MEMORY_KIB,
        iterations: KDF_ITERATIONS,
        parallelism: KDF_PARALLELISM,
        salt: B64.encode(&salt),
    };
    (salt, kdf)
}

fn check_format(vault: &VaultFile) -> Result<(), AppError> {
    if vault.format != 1 || vault.kdf.algorithm != "argon2id" {
        return Err(AppError::Vault(format!(
            "vault format {} with {} is not one this razam knows",
            vault.format, vault.kdf.algorithm
        )));
    }
    Ok(())
}

fn derive_from_passphrase(passphrase: &str, salt: &[u8], kdf: &KdfParams) -> Result<Zeroizing<[u8; 32]>, AppError> {
    let params = Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
        .map_err(|e| AppError::Vault(format!("bad key derivation parameters: {e}")))?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, out.as_mut())
        .map_err(|e| AppError::Vault(format!("key derivation failed: {e}")))?;
    Ok(out)
}

fn wrap_key(data_key: &DataKey, kek: &[u8; 32], aad: &[u8]) -> Result<Wrapped, AppError> {
    let mut nonce = [0u8; 24];
    OsRng.fill_bytes(&mut nonce);
    let sealed = XChaCha20Poly1305::new(kek.into())
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: data_key.0.as_ref(),
                aad,
            },
        )
        .map_err(|_| AppError::Vault("could not wrap the data key".into()))?;
    Ok(Wrapped {
        nonce: B64.encode(nonce),
        sealed_key: B64.encode(sealed),
    })
}

fn unwrap(wrapped: &Wrapped, kek: &[u8; 32], aad: &[u8]) -> Option<DataKey> {
    let nonce = B64.decode(&wrapped.nonce).ok().filter(|n| n.len() == 24)?;
    let sealed = B64.decode(&wrapped.sealed_key).ok()?;
    let mut plain = XChaCha20Poly1305::new(kek.into())
        .decrypt(XNonce::from_slice(&nonce), Payload { msg: &sealed, aad })
        .ok()?;
    let mut key = Zeroizing::new([0u8; 32]);
    let ok = plain.len() == 32;
    if ok {
        key.copy_from_slice(&plain);
    }
    plain.zeroize();
    ok.then_some(DataKey(key))
}

fn decode(text: &str) -> Result<Vec<u8>, AppError> {
    B64.decode(text)
        .map_err(|_| AppError::Vault("the vault file is damaged (bad base64)".into()))
}

/// Seals and opens small values (fields) under one key with XChaCha20-Poly1305.
///
/// Layout: version byte `1`, 24-byte random nonce, ciphertext with tag. The context string
/// (e.g. `accounts.display_name`) is authenticated, so a sealed value cannot be moved into
/// another field unnoticed.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    pub fn new(key: &[u8; 32]) -> Sealer {
        Sealer {
            cipher: XChaCha20Poly1305::new(key.into()),
        }
    }

    pub fn seal(&self, context: &str, plain: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; 24];
        OsRng.fill_bytes(&mut nonce);
        let mut out = Vec::with_capacity(1 + 24 + plain.len() + 16);
        out.push(1);
        out.extend_from_slice(&nonce);
        // Encryption with a valid key and nonce cannot fail; an empty vector would fail to open.
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .unwrap_or_default();
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, AppError> {
        if sealed.len() < 1 + 24 + 16 || sealed[0] != 1 {
            return Err(AppError::Vault(format!("a sealed {context} is damaged")));
        }
        self.cipher
            .decrypt(
                XNonce::from_slice(&sealed[1..25]),
                Payload {
                    msg: &sealed[25..],
                    aad: context.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| AppError::Vault(format!("a sealed {context} does not open with this instance's key")))
    }

    /// Opens a sealed JSON value.
    pub fn open_json<T: for<'de> serde::Deserialize<'de>>(&self, context: &str, sealed: &[u8]) -> Result<T, AppError> {
        let plain = self.open(context, sealed)?;
        serde_json::from_slice(&plain).map_err(|e| AppError::Vault(format!("a sealed record does not parse: {e}")))
    }

    pub fn open_string(&self, context: &str, sealed: &[u8]) -> Result<String, AppError> {
        let plain = self.open(context, sealed)?;
        String::from_utf8(plain.to_vec()).map_err(|_| AppError::Vault(format!("a sealed {context} is not text")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_passphrase_and_the_recovery_key_each_unlock_the_same_data_key() {
        let (vault, key, recovery) = create("a long passphrase").unwrap();
        let by_pass = unlock(&vault, "a long passphrase").unwrap();
        let shown = recovery.display();
        let by_recovery = unlock_with_recovery(&vault, &RecoveryKey::parse(&shown).unwrap()).unwrap();
        assert_eq!(by_pass.0.as_ref(), key.0.as_ref());
        assert_eq!(by_recovery.0.as_ref(), key.0.as_ref());
        assert!(matches!(unlock(&vault, "wrong"), Err(AppError::WrongPassphrase)));
    }

    #[test]
    fn rekey_keeps_the_data_key_and_drops_the_old_passphrase() {
        let (vault, key, _) = create("old passphrase").unwrap();
        let vault2 = rekey(&vault, &key, "new passphrase").unwrap();
        assert_eq!(unlock(&vault2, "new passphrase").unwrap().0.as_ref(), key.0.as_ref());
        assert!(matches!(
            unlock(&vault2, "old passphrase"),
            Err(AppError::WrongPassphrase)
        ));
        assert_eq!(vault2.key_id, vault.key_id);
    }

    #[test]
    fn a_sealed_field_opens_only_in_its_own_context() {
        let sealer = Sealer::new(&[9; 32]);
        let sealed = sealer.seal("accounts.email", b"ales@example.org");
        assert_eq!(
            sealer.open_string("accounts.email", &sealed).unwrap(),
            "ales@example.org"
        );
        assert!(sealer.open("accounts.display_name", &sealed).is_err());
        let mut flipped = sealed.clone();
        flipped[30] ^= 1;
        assert!(sealer.open("accounts.email", &flipped).is_err());
        assert!(!sealed.windows(5).any(|w| w == b"ales@"));
    }
}
