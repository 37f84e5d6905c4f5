//! Records stock movements through the app, as the pages and the API do (each movement one
//! transaction with its conditional stock UPDATE, its row and its audit entry), and prints
//! movements per second: sequential receipts, sequential dispatches, and dispatches from
//! `CONCURRENCY` tasks at once racing for the same level (docs/benchmarks.md, "In-kind aid").
//!
//! `cargo run --release -p razam-app --example aid_movements -- DIR N CONCURRENCY [POSTGRES_URL]`
//! makes a new instance in DIR (which must not exist) on SQLite, or on the PostgreSQL
//! database at the URL.

use std::sync::Arc;
use std::time::Instant;

use razam_app::aid::{Donor, ItemInput, MovementInput};
use razam_app::config::{Config, Overrides};
use razam_app::instance::{self};
use razam_app::{Actor, Unlock};
use razam_core::aid::Category;
use zeroize::Zeroizing;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: aid_movements DIR N CONCURRENCY [POSTGRES_URL]";
    let dir = std::path::PathBuf::from(args.get(1).ok_or(usage)?);
    let n: i64 = args.get(2).ok_or(usage)?.parse()?;
    let concurrency: i64 = args.get(3).ok_or(usage)?.parse()?;
    let passphrase = "aid movements benchmark passphrase";
    instance::init(&dir, passphrase, args.get(4).map(String::as_str)).await?;
    let config = Config::load(&dir, &Overrides::default())?;
    let app = Arc::new(instance::open(config, Unlock::Passphrase(Zeroizing::new(passphrase.into()))).await?);
    let cli = Actor::Cli;
    let item = app
        .create_aid_item(
            &cli,
            &ItemInput {
                name: "Canned beans".into(),
                category: Category::Food,
                unit: "pcs".into(),
                unit_value: None,
            },
        )
        .await?;
    let w = app.create_warehouse(&cli, "Hall", "Vilnius").await?;
    let shipment = app.create_shipment(&cli, None).await?;

    let t = Instant::now();
    for _ in 0..n {
        let m = MovementInput::Receipt {
            warehouse: w,
            item,
            quantity: 2,
            donor: Donor::default(),
            notes: String::new(),
        };
        app.record_movement(&cli, &m).await?;
    }
    let receipts = n as f64 / t.elapsed().as_secs_f64();

    let dispatch = MovementInput::Dispatch {
        from: w,
        shipment,
        item,
        quantity: 1,
    };
    let t = Instant::now();
    for _ in 0..n {
        app.record_movement(&cli, &dispatch).await?;
    }
    let sequential = n as f64 / t.elapsed().as_secs_f64();

    // n units are left; (n + n / 2) concurrent dispatches race for them.
    let attempts = n + n / 2;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let app = app.clone();
        let dispatch = dispatch.clone();
        let share = attempts / concurrency + i64::from(worker < attempts % concurrency);
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut refused) = (0i64, 0i64);
            for _ in 0..share {
                match app.record_movement(&Actor::Cli, &dispatch).await {
                    Ok(_) => ok += 1,
                    Err(razam_app::AppError::BadInput(_)) => refused += 1,
                    Err(e) => return Err(e),
                }
            }
            Ok((ok, refused))
        }));
    }
    let (mut ok, mut refused) = (0, 0);
    for task in tasks {
        let (o, r) = task.await??;
        ok += o;
        refused += r;
    }
    let concurrent = attempts as f64 / t.elapsed().as_secs_f64();
    let left: i64 = app.stock_levels(&cli).await?.iter().map(|l| l.quantity).sum();
    println!(
        "database={} n={n} receipts_per_s={receipts:.0} dispatches_per_s={sequential:.0} \
         concurrent_attempts_per_s={concurrent:.0} concurrency={concurrency} recorded={ok} refused={refused} left={left}",
        app.database_kind()
    );
    if ok != n || left != 0 {
        return Err(format!("stock rule broken: {ok} recorded of {n}, {left} left").into());
    }
    app.close().await;
    Ok(())
}
