//! Changes announced between servers: `pg_notify` in each write's statement or transaction,
//! and the connection of each server that listens for the others'.

use std::time::Duration;

use deadpool_postgres::GenericClient;
use tokio_postgres::{AsyncMessage, NoTls};

use super::{CHANNEL, pg};
use crate::tracking::store::{StoreChange, StoreError};

/// Announce a change to the other servers (sent when the transaction commits).
pub(super) async fn notify(
    client: &impl GenericClient,
    origin: &str,
    what: &str,
    at: &str,
) -> Result<(), StoreError> {
    client
        .execute(
            "SELECT pg_notify($1, $2)",
            &[&CHANNEL, &format!("{origin} {what}")],
        )
        .await
        .map_err(pg(at))?;
    Ok(())
}

/// Listen for other servers' changes and pass them on, for the life of the runtime; after a
/// lost connection it connects again and passes on [`StoreChange::All`] (notifications sent
/// meanwhile are lost).
pub(super) async fn listen(
    config: tokio_postgres::Config,
    at: String,
    origin: String,
    changes: std::sync::mpsc::Sender<StoreChange>,
) {
    let mut first = true;
    loop {
        match config.connect(NoTls).await {
            Ok((client, mut connection)) => {
                let (found, mut messages) = tokio::sync::mpsc::unbounded_channel();
                let driver = tokio::spawn(async move {
                    while let Some(message) =
                        std::future::poll_fn(|cx| connection.poll_message(cx)).await
                    {
                        match message {
                            Ok(AsyncMessage::Notification(n)) => {
                                if found.send(n.payload().to_string()).is_err() {
                                    return;
                                }
                            }
                            Ok(_) => {}
                            Err(e) => {
                                tracing::warn!(error = %e, "lost the connection that listens for other servers' changes");
                                return;
                            }
                        }
                    }
                });
                match client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
                    Ok(()) => {
                        tracing::debug!(store = %at, "listening for other servers' changes");
                        if !first && changes.send(StoreChange::All).is_err() {
                            return;
                        }
                        while let Some(payload) = messages.recv().await {
                            let Some((from, what)) = payload.split_once(' ') else {
                                continue;
                            };
                            if from == origin {
                                continue;
                            }
                            let change = match what.split_once(' ') {
                                Some(("item", id)) => StoreChange::Item(id.to_string()),
                                _ if what == "sync" => StoreChange::Synced,
                                _ => StoreChange::All,
                            };
                            if changes.send(change).is_err() {
                                return;
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(store = %at, error = %e, "could not listen for other servers' changes")
                    }
                }
                driver.abort();
            }
            Err(e) => {
                tracing::debug!(store = %at, error = %e, "cannot listen for other servers' changes yet")
            }
        }
        // Whatever happened, changes may have been missed from here on.
        first = false;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
