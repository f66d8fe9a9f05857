//! The catalogue service's rules, each covered once.

use crate::support::test_app;

#[tokio::test]
async fn the_catalogue_service_starts() {
    let test = test_app().await;
    let _ = test.app.catalogue();
}
