use std::collections::{HashMap, HashSet};

use proptest::prelude::*;

use super::*;

fn key(text: &str) -> TransferKey {
    TransferKey::parse(text).unwrap()
}

fn movement(name: &str, debit: i64, credit: i64, amount: i64) -> Movement {
    Movement {
        key: key(name),
        debit_account: LedgerAccountId(debit),
        credit_account: LedgerAccountId(credit),
        amount: Fen(amount),
        code: "test.move".into(),
        reference: None,
    }
}

/// Account 1 is an unlimited source (a treasury), 2 and 3 may not be overdrawn (budgets,
/// vouchers), 4 is an unlimited sink (a provider's receivable).
fn book() -> LedgerBook {
    let mut book = LedgerBook::new();
    for (id, flags) in [
        (1, AccountFlags::NONE),
        (2, AccountFlags::NO_OVERDRAFT),
        (3, AccountFlags::NO_OVERDRAFT),
        (4, AccountFlags::NONE),
    ] {
        book.insert_account(LedgerAccount {
            id: LedgerAccountId(id),
            flags,
            balances: AccountBalances::default(),
        });
    }
    book
}

fn balances(book: &LedgerBook, id: i64) -> AccountBalances {
    book.account(LedgerAccountId(id)).unwrap().balances
}

#[test]
fn a_posted_transfer_moves_value_and_a_replay_of_its_key_moves_nothing() {
    let mut book = book();
    let fund = TransferRequest::Posted(movement("fund", 1, 2, 1_000));
    let first = book.apply(&fund, TransferId(1)).unwrap();
    assert!(matches!(first, TransferOutcome::Created(_)));
    let again = book.apply(&fund, TransferId(2)).unwrap();
    assert_eq!(
        again,
        TransferOutcome::AlreadyExists(first.transfer().clone())
    );
    assert_eq!(balances(&book, 2).credits_posted, 1_000);
    assert_eq!(balances(&book, 1).debits_posted, 1_000);
    let different = TransferRequest::Posted(movement("fund", 1, 2, 999));
    assert_eq!(
        book.apply(&different, TransferId(3)),
        Err(TransferRefusal::KeyReusedWithDifferentFields("fund".into()))
    );
}

#[test]
fn an_account_that_may_not_be_overdrawn_refuses_the_debit_and_reservations_count() {
    let mut book = book();
    book.apply(
        &TransferRequest::Posted(movement("fund", 1, 2, 500)),
        TransferId(1),
    )
    .unwrap();
    book.apply(
        &TransferRequest::Pending(movement("hold", 2, 4, 300)),
        TransferId(2),
    )
    .unwrap();
    assert_eq!(balances(&book, 2).available_credit(), 200);
    assert_eq!(
        book.apply(
            &TransferRequest::Posted(movement("spend", 2, 4, 201)),
            TransferId(3)
        ),
        Err(TransferRefusal::ExceedsCredits(2))
    );
    // The refusal changed nothing.
    assert_eq!(balances(&book, 2).debits_posted, 0);
    assert_eq!(balances(&book, 4).credits_posted, 0);
    book.apply(
        &TransferRequest::Posted(movement("spend", 2, 4, 200)),
        TransferId(3),
    )
    .unwrap();
    assert_eq!(balances(&book, 2).available_credit(), 0);
}

#[test]
fn posting_a_pending_transfer_for_less_releases_the_rest_and_it_cannot_be_resolved_twice() {
    let mut book = book();
    book.apply(
        &TransferRequest::Posted(movement("fund", 1, 2, 1_000)),
        TransferId(1),
    )
    .unwrap();
    book.apply(
        &TransferRequest::Pending(movement("hold", 2, 4, 600)),
        TransferId(2),
    )
    .unwrap();
    let post = TransferRequest::PostPending {
        key: key("post"),
        pending: key("hold"),
        amount: Some(Fen(450)),
        code: "test.post".into(),
    };
    let posted = book.apply(&post, TransferId(3)).unwrap();
    assert_eq!(posted.transfer().pending, Some(TransferId(2)));
    assert_eq!(posted.transfer().debit_account, LedgerAccountId(2));
    let voucher = balances(&book, 2);
    assert_eq!((voucher.debits_pending, voucher.debits_posted), (0, 450));
    assert_eq!(voucher.available_credit(), 550);
    assert_eq!(
        book.apply(
            &TransferRequest::VoidPending {
                key: key("void"),
                pending: key("hold"),
                code: "test.void".into()
            },
            TransferId(4)
        ),
        Err(TransferRefusal::PendingAlreadyPosted("hold".into()))
    );
    // Retrying the post itself is idempotent, not a second settlement.
    assert!(matches!(
        book.apply(&post, TransferId(5)),
        Ok(TransferOutcome::AlreadyExists(_))
    ));
    let too_much = TransferRequest::Pending(movement("hold2", 2, 4, 100));
    book.apply(&too_much, TransferId(6)).unwrap();
    assert_eq!(
        book.apply(
            &TransferRequest::PostPending {
                key: key("post2"),
                pending: key("hold2"),
                amount: Some(Fen(101)),
                code: "test.post".into()
            },
            TransferId(7)
        ),
        Err(TransferRefusal::ExceedsPendingAmount {
            pending_amount: 100
        })
    );
}

#[test]
fn malformed_requests_are_refused_with_their_reason() {
    let mut book = book();
    let cases = [
        (movement("a", 1, 2, 0), TransferRefusal::AmountNotPositive),
        (movement("b", 2, 2, 5), TransferRefusal::SameAccount),
        (movement("c", 1, 9, 5), TransferRefusal::AccountNotFound(9)),
    ];
    for (request, refusal) in cases {
        assert_eq!(
            book.apply(&TransferRequest::Posted(request), TransferId(1)),
            Err(refusal)
        );
    }
    let mut bad_code = movement("d", 1, 2, 5);
    bad_code.code = "Not A Code".into();
    assert_eq!(
        book.apply(&TransferRequest::Posted(bad_code), TransferId(1)),
        Err(TransferRefusal::InvalidCode)
    );
    assert_eq!(
        book.apply(
            &TransferRequest::VoidPending {
                key: key("e"),
                pending: key("nothing"),
                code: "test.void".into()
            },
            TransferId(1)
        ),
        Err(TransferRefusal::PendingNotFound("nothing".into()))
    );
    assert!(TransferKey::parse("").is_err());
    assert!(TransferKey::parse("has space").is_err());
    assert!(TransferKey::parse(&"k".repeat(101)).is_err());
    assert!(AccountFlags::from_bits(3).is_err());
    assert_eq!(
        AccountFlags::from_bits(AccountFlags::NO_OVERDRAFT.to_bits()).unwrap(),
        AccountFlags::NO_OVERDRAFT
    );
}

#[test]
fn replay_refuses_a_ledger_whose_history_breaks_a_limit() {
    let mut replay = LedgerReplay::new([
        (LedgerAccountId(1), AccountFlags::NONE),
        (LedgerAccountId(2), AccountFlags::NO_OVERDRAFT),
    ]);
    let spend_first = ReplayedTransfer {
        id: TransferId(1),
        kind: TransferKind::Posted,
        debit_account: LedgerAccountId(2),
        credit_account: LedgerAccountId(1),
        amount: 10,
        pending: None,
    };
    assert!(matches!(
        replay.apply(&spend_first),
        Err(ReplayFault::Refused {
            transfer: 1,
            refusal: TransferRefusal::ExceedsCredits(2)
        })
    ));
    let void_of_nothing = ReplayedTransfer {
        id: TransferId(2),
        kind: TransferKind::VoidPending,
        pending: Some(TransferId(1)),
        ..spend_first
    };
    assert!(matches!(
        replay.apply(&void_of_nothing),
        Err(ReplayFault::NotAnOpenPending { .. })
    ));
}

/// One step of a random workload over the four accounts of [`book`].
#[derive(Debug, Clone)]
enum Step {
    Posted {
        debit: i64,
        credit: i64,
        amount: i64,
    },
    Pending {
        debit: i64,
        credit: i64,
        amount: i64,
    },
    Post {
        pending: usize,
        amount: Option<i64>,
    },
    Void {
        pending: usize,
    },
    /// Sends an earlier request again with its key.
    Retry {
        earlier: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let account = 1i64..=4;
    prop_oneof![
        (account.clone(), account.clone(), 1i64..400).prop_map(|(debit, credit, amount)| {
            Step::Posted {
                debit,
                credit,
                amount,
            }
        }),
        (account.clone(), account, 1i64..400).prop_map(|(debit, credit, amount)| {
            Step::Pending {
                debit,
                credit,
                amount,
            }
        }),
        (0usize..64, proptest::option::of(1i64..400))
            .prop_map(|(pending, amount)| Step::Post { pending, amount }),
        (0usize..64).prop_map(|pending| Step::Void { pending }),
        (0usize..64).prop_map(|earlier| Step::Retry { earlier }),
    ]
}

/// The balances the created transfers imply, summed directly: a second derivation that shares
/// no code with the book.
fn summed_balances(created: &[Transfer]) -> HashMap<i64, AccountBalances> {
    let resolved: HashSet<TransferId> = created.iter().filter_map(|t| t.pending).collect();
    let mut sums: HashMap<i64, AccountBalances> = HashMap::new();
    for transfer in created {
        let amount = transfer.amount.0;
        match transfer.kind {
            TransferKind::Posted | TransferKind::PostPending => {
                sums.entry(transfer.debit_account.0)
                    .or_default()
                    .debits_posted += amount;
                sums.entry(transfer.credit_account.0)
                    .or_default()
                    .credits_posted += amount;
            }
            TransferKind::Pending if !resolved.contains(&transfer.id) => {
                sums.entry(transfer.debit_account.0)
                    .or_default()
                    .debits_pending += amount;
                sums.entry(transfer.credit_account.0)
                    .or_default()
                    .credits_pending += amount;
            }
            TransferKind::Pending | TransferKind::VoidPending => {}
        }
    }
    sums
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Any interleaving of transfers, holds, posts, voids and retries keeps every invariant:
    /// no limited account is overdrawn at any step, debits equal credits, every pending
    /// transfer is resolved at most once, a refusal changes nothing, and the balances equal
    /// both a direct sum of the transfers and a replay of them.
    #[test]
    fn any_interleaving_keeps_every_invariant(steps in proptest::collection::vec(step(), 1..120)) {
        let mut book = book();
        // Fund account 3 so that some spending from it succeeds.
        book.apply(&TransferRequest::Posted(movement("seed", 1, 3, 1_000)), TransferId(1)).unwrap();
        let mut requests: Vec<TransferRequest> = Vec::new();
        let mut created: Vec<Transfer> = vec![book.transfers_by_key[&key("seed")].clone()];
        let mut pending_keys: Vec<TransferKey> = Vec::new();
        for (index, step) in steps.iter().enumerate() {
            let name = format!("t{index}");
            let request = match step {
                Step::Posted { debit, credit, amount } => TransferRequest::Posted(movement(&name, *debit, *credit, *amount)),
                Step::Pending { debit, credit, amount } => {
                    pending_keys.push(key(&name));
                    TransferRequest::Pending(movement(&name, *debit, *credit, *amount))
                }
                Step::Post { pending, amount } if !pending_keys.is_empty() => TransferRequest::PostPending {
                    key: key(&name),
                    pending: pending_keys[pending % pending_keys.len()].clone(),
                    amount: amount.map(Fen),
                    code: "test.post".into(),
                },
                Step::Void { pending } if !pending_keys.is_empty() => TransferRequest::VoidPending {
                    key: key(&name),
                    pending: pending_keys[pending % pending_keys.len()].clone(),
                    code: "test.void".into(),
                },
                Step::Retry { earlier } if !requests.is_empty() => requests[earlier % requests.len()].clone(),
                _ => continue,
            };
            let before: Vec<AccountBalances> = (1..=4).map(|id| balances(&book, id)).collect();
            let id = TransferId(index as i64 + 2);
            match book.apply(&request, id) {
                Ok(TransferOutcome::Created(transfer)) => {
                    prop_assert_eq!(transfer.id, id);
                    created.push(transfer);
                }
                Ok(TransferOutcome::AlreadyExists(transfer)) => {
                    prop_assert!(created.contains(&transfer));
                    let after: Vec<AccountBalances> = (1..=4).map(|id| balances(&book, id)).collect();
                    prop_assert_eq!(&before, &after, "a retry moved value");
                }
                Err(_) => {
                    let after: Vec<AccountBalances> = (1..=4).map(|id| balances(&book, id)).collect();
                    prop_assert_eq!(&before, &after, "a refusal moved value");
                }
            }
            requests.push(request);
            let mut totals = AccountBalances::default();
            for id in 1..=4 {
                let account = book.account(LedgerAccountId(id)).unwrap();
                prop_assert!(account.balances.keep(account.flags), "account {id} broke its limit: {:?}", account.balances);
                totals.debits_pending += account.balances.debits_pending;
                totals.debits_posted += account.balances.debits_posted;
                totals.credits_pending += account.balances.credits_pending;
                totals.credits_posted += account.balances.credits_posted;
            }
            prop_assert_eq!(totals.debits_posted, totals.credits_posted);
            prop_assert_eq!(totals.debits_pending, totals.credits_pending);
        }
        let resolutions: Vec<TransferId> = created.iter().filter_map(|t| t.pending).collect();
        let distinct: HashSet<&TransferId> = resolutions.iter().collect();
        prop_assert_eq!(resolutions.len(), distinct.len(), "a pending transfer was resolved twice");

        let sums = summed_balances(&created);
        let mut replay = LedgerReplay::new(
            (1..=4).map(|id| (LedgerAccountId(id), book.account(LedgerAccountId(id)).unwrap().flags)),
        );
        for transfer in &created {
            replay.apply(&ReplayedTransfer {
                id: transfer.id,
                kind: transfer.kind,
                debit_account: transfer.debit_account,
                credit_account: transfer.credit_account,
                amount: transfer.amount.0,
                pending: transfer.pending,
            }).unwrap();
        }
        for id in 1..=4 {
            let expected = sums.get(&id).copied().unwrap_or_default();
            prop_assert_eq!(balances(&book, id), expected);
            prop_assert_eq!(replay.balances_of(LedgerAccountId(id)).unwrap(), expected);
        }
    }
}
