//! The cost of a password check with the Argon2id parameters logins use (bench/login.sh):
//! the time of one check on one core (what each offline guess costs an attacker holding a
//! stolen hash on a core like ours) and the checks per second with every core busy (the most
//! logins per second the server can answer).
//!
//!     cargo run --release -p razam-app --example login_cost -- [CHECKS]

use std::time::Instant;

use razam_app::passwords;
use zeroize::Zeroizing;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let checks: usize = std::env::args().nth(1).map_or(Ok(40), |a| a.parse())?;
    let hash = passwords::hash(Zeroizing::new("a guessed password".to_owned())).await?;
    println!(
        "argon2id m={} KiB t={} p={}",
        passwords::MEMORY_KIB,
        passwords::PASSES,
        passwords::LANES
    );
    // One at a time: the time per guess.
    let mut times = Vec::with_capacity(checks);
    for n in 0..checks {
        let t = Instant::now();
        let ok = passwords::verify(Zeroizing::new(format!("guess {n}")), hash.clone()).await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(!ok);
    }
    times.sort_by(f64::total_cmp);
    println!("sequential_checks {checks}");
    println!("ms_per_check_median {:.1}", times[checks / 2]);
    println!("ms_per_check_min {:.1}", times[0]);
    // All at once: the throughput the blocking pool gets out of every core.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let t = Instant::now();
    let tasks: Vec<_> = (0..checks)
        .map(|n| tokio::spawn(passwords::verify(Zeroizing::new(format!("guess {n}")), hash.clone())))
        .collect();
    for task in tasks {
        task.await?;
    }
    let seconds = t.elapsed().as_secs_f64();
    println!("cores {cores}");
    println!("parallel_checks_per_second {:.1}", checks as f64 / seconds);
    Ok(())
}
