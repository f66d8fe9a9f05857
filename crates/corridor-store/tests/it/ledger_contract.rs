//! The ledger contract: transfers balance, limits hold under any concurrency, keys make
//! retries harmless, and a replay of the journal reproduces every stored balance.

use corridor_domain::ledger::{
    AccountFlags, LedgerAccountId, Movement, TransferKey, TransferKind, TransferOutcome,
    TransferRefusal, TransferRequest,
};
use corridor_domain::Fen;
use corridor_store::{AuditContext, NewLedgerAccount, PageRequest, Store};
use jiff::Timestamp;

fn key(text: &str) -> TransferKey {
    TransferKey::parse(text).unwrap()
}

fn posted(
    name: &str,
    debit: LedgerAccountId,
    credit: LedgerAccountId,
    fen: i64,
) -> TransferRequest {
    TransferRequest::Posted(movement(name, debit, credit, fen))
}

fn pending(
    name: &str,
    debit: LedgerAccountId,
    credit: LedgerAccountId,
    fen: i64,
) -> TransferRequest {
    TransferRequest::Pending(movement(name, debit, credit, fen))
}

fn movement(name: &str, debit: LedgerAccountId, credit: LedgerAccountId, fen: i64) -> Movement {
    Movement {
        key: key(name),
        debit_account: debit,
        credit_account: credit,
        amount: Fen(fen),
        code: "test.move".into(),
        reference: Some(format!("test:{name}")),
    }
}

fn post(name: &str, of: &str, fen: Option<i64>) -> TransferRequest {
    TransferRequest::PostPending {
        key: key(name),
        pending: key(of),
        amount: fen.map(Fen),
        code: "test.post".into(),
    }
}

fn void(name: &str, of: &str) -> TransferRequest {
    TransferRequest::VoidPending {
        key: key(name),
        pending: key(of),
        code: "test.void".into(),
    }
}

/// A treasury (unlimited), a voucher that may not be overdrawn, and a provider's receivable.
async fn accounts(store: &dyn Store) -> [LedgerAccountId; 3] {
    let new = |code: &str, owner: &str, flags| NewLedgerAccount {
        code: code.into(),
        owner: Some(owner.into()),
        label: format!("{code} of {owner}"),
        flags,
    };
    let ids = store
        .create_ledger_accounts(
            &[
                new("province_treasury", "province:31", AccountFlags::NONE),
                new("voucher", "voucher:1", AccountFlags::NO_OVERDRAFT),
                new("provider_receivable", "institution:7", AccountFlags::NONE),
            ],
            &AuditContext::default(),
        )
        .await
        .unwrap();
    [ids[0], ids[1], ids[2]]
}

fn now() -> Timestamp {
    "2030-01-07T00:00:00Z".parse().unwrap()
}

async fn balances(
    store: &dyn Store,
    id: LedgerAccountId,
) -> corridor_domain::ledger::AccountBalances {
    store
        .ledger_account(id)
        .await
        .unwrap()
        .unwrap()
        .account
        .balances
}

pub async fn transfers_move_value_and_retries_move_nothing(store: &dyn Store) {
    let [treasury, voucher, provider] = accounts(store).await;
    let context = AuditContext::default();
    let batch = [
        posted("issue", treasury, voucher, 10_000),
        pending("hold-1", voucher, provider, 6_000),
        post("use-1", "hold-1", Some(4_500)),
        pending("hold-2", voucher, provider, 3_000),
        // Only 10,000 - 4,500 - 3,000 = 2,500 is left.
        pending("hold-3", voucher, provider, 2_501),
        void("cancel-2", "hold-2"),
        void("cancel-2-again", "hold-2"),
    ];
    let outcomes = store
        .create_transfers(&batch, now(), &context)
        .await
        .unwrap();
    let refusals: Vec<Option<TransferRefusal>> = outcomes
        .iter()
        .map(|outcome| outcome.as_ref().err().cloned())
        .collect();
    assert_eq!(
        refusals,
        vec![
            None,
            None,
            None,
            None,
            Some(TransferRefusal::ExceedsCredits(voucher.0)),
            None,
            Some(TransferRefusal::PendingAlreadyVoided("hold-2".into())),
        ]
    );
    let voucher_balances = balances(store, voucher).await;
    assert_eq!(voucher_balances.credits_posted, 10_000);
    assert_eq!(voucher_balances.debits_posted, 4_500);
    assert_eq!(voucher_balances.debits_pending, 0);
    assert_eq!(voucher_balances.available_credit(), 5_500);
    assert_eq!(balances(store, provider).await.credits_posted, 4_500);
    assert_eq!(balances(store, treasury).await.debits_posted, 10_000);

    // The accepted transfers again: each answers as already made, and nothing moves. (A
    // refused transfer is not remembered: sent again, it is judged again.)
    let accepted: Vec<TransferRequest> = batch
        .iter()
        .zip(&outcomes)
        .filter(|(_, outcome)| outcome.is_ok())
        .map(|(request, _)| request.clone())
        .collect();
    let again = store
        .create_transfers(&accepted, now(), &context)
        .await
        .unwrap();
    let first_time: Vec<_> = outcomes
        .iter()
        .filter_map(|outcome| outcome.as_ref().ok())
        .collect();
    for (first, second) in first_time.iter().zip(&again) {
        assert_eq!(
            second,
            &Ok(TransferOutcome::AlreadyExists(first.transfer().clone()))
        );
    }
    assert_eq!(balances(store, voucher).await, voucher_balances);
    // A key reused for something else is refused.
    let reused = store
        .create_transfers(&[posted("issue", treasury, voucher, 1)], now(), &context)
        .await
        .unwrap();
    assert_eq!(
        reused[0],
        Err(TransferRefusal::KeyReusedWithDifferentFields(
            "issue".into()
        ))
    );

    let history = store
        .transfers_of_account(voucher, PageRequest::default())
        .await
        .unwrap();
    assert_eq!(history.total, 5);
    let kinds: Vec<TransferKind> = history
        .items
        .iter()
        .map(|record| record.transfer.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            TransferKind::VoidPending,
            TransferKind::Pending,
            TransferKind::PostPending,
            TransferKind::Pending,
            TransferKind::Posted
        ]
    );
    let for_hold = store.transfers_by_reference("test:hold-1").await.unwrap();
    assert_eq!(
        for_hold.len(),
        2,
        "the post carries its pending transfer's reference"
    );
    assert_eq!(for_hold[1].transfer.amount, Fen(4_500));

    let reconciliation = store.reconcile_ledger().await.unwrap();
    assert!(reconciliation.is_consistent(), "{reconciliation:?}");
    assert_eq!(reconciliation.transfers, 5);
    assert_eq!(reconciliation.open_pending_transfers, 0);
    assert_eq!(reconciliation.totals.debits_posted, 14_500);
    assert_eq!(store.count_overdrawn_accounts().await.unwrap(), 0);
    let audit = store.audit_events(PageRequest::default()).await.unwrap();
    assert!(audit
        .items
        .iter()
        .any(|event| event.action == "ledger.transfers_created"));
    assert!(store
        .ledger_account_by_owner("voucher", "voucher:1")
        .await
        .unwrap()
        .is_some_and(|record| record.account.id == voucher));
}

pub async fn concurrent_spenders_never_overspend(store: &dyn Store) {
    let [treasury, voucher, provider] = accounts(store).await;
    let context = AuditContext::default();
    store
        .create_transfers(
            &[posted("issue", treasury, voucher, 100_000)],
            now(),
            &context,
        )
        .await
        .unwrap();
    // 64 clients each hold, then settle or release, in batches that race for one voucher.
    let clients = (0..64).map(|client| {
        let context = context.clone();
        async move {
            let holds: Vec<TransferRequest> = (0..5)
                .map(|index| {
                    pending(
                        &format!("hold-{client}-{index}"),
                        voucher,
                        provider,
                        700 + 37 * ((client + index) % 11),
                    )
                })
                .collect();
            let held = store
                .create_transfers(&holds, now(), &context)
                .await
                .unwrap();
            let settle: Vec<TransferRequest> = held
                .iter()
                .enumerate()
                .filter(|(_, outcome)| outcome.is_ok())
                .map(|(index, _)| {
                    let of = format!("hold-{client}-{index}");
                    if index % 2 == 0 {
                        post(&format!("use-{client}-{index}"), &of, Some(500))
                    } else {
                        void(&format!("cancel-{client}-{index}"), &of)
                    }
                })
                .collect();
            store
                .create_transfers(&settle, now(), &context)
                .await
                .unwrap();
            held.iter().filter(|outcome| outcome.is_ok()).count()
        }
    });
    let accepted: usize = futures_util::future::join_all(clients)
        .await
        .into_iter()
        .sum();
    assert!(accepted > 50, "only {accepted} holds were accepted");
    assert!(
        accepted < 320,
        "every hold was accepted, so the test raced nothing"
    );
    let voucher_balances = balances(store, voucher).await;
    assert!(voucher_balances.debits_posted + voucher_balances.debits_pending <= 100_000);
    assert_eq!(voucher_balances.debits_pending, 0);
    assert_eq!(store.count_overdrawn_accounts().await.unwrap(), 0);
    let reconciliation = store.reconcile_ledger().await.unwrap();
    assert!(reconciliation.is_consistent(), "{reconciliation:?}");
}

pub async fn ledger_inputs_are_checked(store: &dyn Store) {
    let [treasury, voucher, _] = accounts(store).await;
    let context = AuditContext::default();
    let outcomes = store
        .create_transfers(
            &[
                posted("zero", treasury, voucher, 0),
                posted("self", voucher, voucher, 5),
                posted("nowhere", treasury, LedgerAccountId(999_999), 5),
                void("void-nothing", "never-made"),
            ],
            now(),
            &context,
        )
        .await
        .unwrap();
    let slugs: Vec<&str> = outcomes
        .iter()
        .map(|outcome| outcome.as_ref().unwrap_err().slug())
        .collect();
    assert_eq!(
        slugs,
        [
            "amount-not-positive",
            "same-account",
            "account-not-found",
            "pending-not-found"
        ]
    );
    // Nothing of the refused batch was written.
    assert_eq!(store.reconcile_ledger().await.unwrap().transfers, 0);
    // A second account with the same code and owner is refused.
    let duplicate = store
        .create_ledger_accounts(
            &[NewLedgerAccount {
                code: "voucher".into(),
                owner: Some("voucher:1".into()),
                label: "again".into(),
                flags: AccountFlags::NO_OVERDRAFT,
            }],
            &context,
        )
        .await;
    assert!(
        matches!(duplicate, Err(corridor_store::StoreError::Conflict(_))),
        "{duplicate:?}"
    );
}

/// Edits a cached balance behind the store's back (allowed by the CHECKs, since the treasury
/// has no limit) and tries to overdraw the voucher's cache (refused by its CHECK); the
/// replay must report the first, and the database must refuse the second.
pub async fn tampering_is_refused_or_found(
    store: &dyn Store,
    raw: impl Fn(
        &'static str,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<u64, String>> + '_>>,
) {
    let [treasury, voucher, _] = accounts(store).await;
    store
        .create_transfers(
            &[posted("issue", treasury, voucher, 1_000)],
            now(),
            &AuditContext::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        store.reconcile_ledger().await.unwrap().mismatched_accounts,
        vec![]
    );
    let overdraw =
        raw("UPDATE ledger_accounts SET debits_posted = credits_posted + 1 WHERE code = 'voucher'")
            .await;
    assert!(overdraw.is_err(), "the CHECK let a voucher be overdrawn");
    let edited = raw("UPDATE ledger_accounts SET debits_posted = debits_posted + 5 WHERE code = 'province_treasury'").await;
    assert_eq!(edited, Ok(1));
    let reconciliation = store.reconcile_ledger().await.unwrap();
    assert!(!reconciliation.is_consistent());
    assert_eq!(reconciliation.mismatched_accounts.len(), 1);
    assert_eq!(reconciliation.mismatched_accounts[0].0, treasury);
    // A transfer row written behind the store's back that overdraws the voucher is seen by
    // the independent count, even though the cached balances never changed.
    let forged = raw("INSERT INTO ledger_transfers (transfer_key, kind, debit_account_id, credit_account_id, amount, code, created_at) \
        SELECT 'forged', 'posted', v.id, t.id, 5000, 'test.forged', (SELECT created_at FROM ledger_accounts LIMIT 1) \
        FROM ledger_accounts v, ledger_accounts t WHERE v.code = 'voucher' AND t.code = 'province_treasury'").await;
    assert_eq!(forged, Ok(1));
    assert_eq!(store.count_overdrawn_accounts().await.unwrap(), 1);
    assert!(store.reconcile_ledger().await.unwrap().fault.is_some());
}
