// Package store is the gisgw store: the organization's premises and court acts (imported
// from its own records), the sub-requests pulled from GIS ZhKKh, the decisions taken on them
// and an audit trail. One interface, Store, has two implementations: PostgreSQL
// (store/pgstore) and embedded SQLite (store/sqlitestore); store/storeopen picks one from the
// DSN, so that the packages that use the interface link no database driver.
//
// Every state change is one transaction that also writes its audit entry. Driver errors are
// translated at the boundary: a missing row matches domain.ErrNotFound, a lost race or a
// duplicate matches domain.ErrConflict, an out-of-date schema matches ErrStaleSchema.
package store

import (
	"context"
	"time"

	"github.com/gisgw/gisgw/responder/domain"
	"github.com/gisgw/gisgw/responder/store/internal/storecore"
)

// Store is everything gisgw keeps. Implementations are safe for concurrent use.
type Store interface {
	// CheckWritable proves that the database takes writes (for /readyz): it commits a small
	// write transaction. A database that is read-only or full gives an error matching
	// ErrNotWritable that says which; it recovers by itself once the database does.
	CheckWritable(ctx context.Context) error
	// Migrate applies pending schema migrations, each in its own transaction.
	Migrate(ctx context.Context) (MigrationResult, error)
	// SchemaVersion returns the schema version in the database and the one this build needs.
	SchemaVersion(ctx context.Context) (current, latest int, err error)
	// Close releases the connections.
	Close() error

	// ImportPremises upserts the premises of org by premise_id in one transaction; rows that
	// did not change are not rewritten. org is "" in single-organization stores.
	ImportPremises(ctx context.Context, org string, premises []domain.Premises) (ImportStats, error)
	// ImportCourtActs upserts the court acts of org by act_id in one transaction. An act's
	// debtors (keyed by Debtor.Key) and document are replaced as a whole when they differ.
	// Every act's premises must be stored (for org, or without an organization); otherwise
	// nothing is written and the error is a *MissingPremisesError. An act with a zero
	// BalanceOn has its balance as of the import date: that alone does not make a stored act
	// differ, and a written act gets today's date. A document's Hash and AttachmentGUID
	// survive a re-import when its Path and Size did not change.
	ImportCourtActs(ctx context.Context, org string, acts []domain.CourtAct) (ImportStats, error)
	// ImportCourtActsStream is ImportCourtActs over acts handed out in chunks by next (an
	// empty chunk ends them), in the same one transaction, so that a large file need not be
	// held in memory. An error from next rolls everything back and is returned as is
	// (wrapped). An act listed twice is an error matching ErrRepeatedAct; across chunks it
	// is found by a 64-bit hash of the id, so that memory stays small, and two different
	// ids sharing a hash (about one chance in 10^8 for a million acts) fail the same way
	// (ImportCourtActs checks its whole input exactly).
	ImportCourtActsStream(ctx context.Context, org string, next func() ([]domain.CourtAct, error)) (ImportStats, error)
	// MissingPremises returns the ids (in order, without repeats) that match no premises of
	// org or of no organization: the import's validation calls it before writing.
	MissingPremises(ctx context.Context, org string, ids []string) ([]string, error)
	// ImportAgreements upserts the repayment agreements and instalments of org by act_id and
	// agreement number in one transaction; rows that did not change are not rewritten. Every
	// agreement's court act must be stored for org; otherwise nothing is written and the
	// error is a *MissingActsError.
	ImportAgreements(ctx context.Context, org string, agreements []domain.Agreement) (ImportStats, error)
	// MissingCourtActs returns the ids (in order, without repeats) that match no court act of
	// org: the agreements import's validation calls it before writing.
	MissingCourtActs(ctx context.Context, org string, ids []string) ([]string, error)
	// SetDocumentAttachment records the AttachmentHASH and AttachmentGUID of the document of
	// court act actID of org once the file store has it, so it is never uploaded twice.
	SetDocumentAttachment(ctx context.Context, org, actID, hash, attachmentGUID string) error
	// DocumentAttachment returns what SetDocumentAttachment recorded (empty strings before).
	DocumentAttachment(ctx context.Context, org, actID string) (hash, attachmentGUID string, err error)

	// PremisesByHMObject, PremisesByHouse and PremisesByAddressKey return the premises of org
	// (or imported without an organization) by HMobjectGUID, by GIS or FIAS house GUID, and by
	// AddressKey of the address. An empty key matches nothing.
	PremisesByHMObject(ctx context.Context, org, hmObjectGUID string) ([]domain.Premises, error)
	PremisesByHouse(ctx context.Context, org, houseGUID string) ([]domain.Premises, error)
	PremisesByAddressKey(ctx context.Context, org, key string) ([]domain.Premises, error)
	// PremisesByHMObjects and PremisesByHouses are the batched forms of PremisesByHMObject
	// and PremisesByHouse, for the decide step: one query for many keys, and for each key the
	// premises its single lookup returns, in the same order. Keys without premises are absent.
	PremisesByHMObjects(ctx context.Context, org string, hmObjectGUIDs []string) (map[string][]domain.Premises, error)
	PremisesByHouses(ctx context.Context, org string, houseGUIDs []string) (map[string][]domain.Premises, error)
	// PremisesByAddressKeys is the batched form of PremisesByAddressKey.
	PremisesByAddressKeys(ctx context.Context, org string, keys []string) (map[string][]domain.Premises, error)
	// PremisesByHouseFlats returns, for each (house GUID, flat key), the premises of org (or
	// imported without an organization) in that house (GIS or FIAS GUID) whose flat number
	// has that match.FlatKey (stored per premises), in PremisesByHouse's order: a house-and-
	// flat request reads its flat, not the whole house. Keys without premises are absent.
	PremisesByHouseFlats(ctx context.Context, org string, keys []domain.HouseFlat) (map[domain.HouseFlat][]domain.Premises, error)
	// CourtActsByPremises returns the court acts at these premises ids with debtors (in file
	// order), document and agreements (by date, then number; nil when none), ordered by
	// premises id, organization, act id.
	CourtActsByPremises(ctx context.Context, premisesIDs []string) ([]domain.CourtAct, error)

	// UpsertSubRequests records pulled sub-requests, idempotent by GUID, and returns how many
	// were new. A stored sub-request never moves back along the pipeline; changed GIS fields
	// are refreshed (and audited).
	UpsertSubRequests(ctx context.Context, subs []domain.SubRequest) (inserted int, err error)
	GetSubRequest(ctx context.Context, guid string) (domain.SubRequest, error)
	// ListSubRequests returns sub-requests by deadline (ResponseDate, then GUID).
	ListSubRequests(ctx context.Context, f SubRequestFilter) ([]domain.SubRequest, error)
	// SubRequestStatuses returns the GUID, state and deadline of each of org's sub-requests
	// ("" for every organization), in no particular order. The daemon compares them on every
	// pull; whole rows, sorted, would cost each replica memory and time in proportion to the
	// store on every pull.
	SubRequestStatuses(ctx context.Context, org string) ([]SubRequestStatus, error)

	// SaveDecision stores the rules' decision (earlier ones are kept as history) and moves the
	// sub-request to newState (review or ready). ErrConflict once it is sending or done.
	SaveDecision(ctx context.Context, d domain.Decision, newState domain.State) error
	// SaveDecisions is SaveDecision for a batch (the pipeline's decide step), in one
	// transaction: all are stored, or, when any sub-request is unknown (ErrNotFound) or can no
	// longer be decided (ErrConflict), none.
	SaveDecisions(ctx context.Context, ups []domain.DecisionUpdate) error
	// GetDecision returns the current (latest) decision.
	GetDecision(ctx context.Context, guid string) (domain.Decision, error)
	// DecisionHistory returns every decision for a sub-request, oldest first.
	DecisionHistory(ctx context.Context, guid string) ([]domain.Decision, error)
	// ListReview returns the review queue of org ("" for all), by deadline.
	ListReview(ctx context.Context, org string) ([]ReviewItem, error)
	// RecordReview stores a person's decision with who, when and comment, and moves the
	// sub-request from review to ready, in one transaction; ErrConflict when it is not in
	// review, so that two deciders (two officers, an officer and the deadline rule) cannot
	// both record an answer.
	RecordReview(ctx context.Context, guid, who, comment string, d domain.Decision) error
	// ProposeCorrection stores the re-check's proposal (a decision marked as a correction that
	// waits for a person) as the current decision and returns an answered or auto-answered
	// sub-request to review with it (Correction proposed, LEGAL-RULES §10.7); ErrConflict
	// otherwise. In that review RecordReview approves a decision marked as a correction (ready,
	// Correction approved: the sent answer is revoked first) and takes any other as keeping the
	// answer GIS holds (back to answered or auto-answered, nothing sent).
	ProposeCorrection(ctx context.Context, d domain.Decision) error
	// SentDecision returns the answer GIS last accepted from gisgw for a sub-request;
	// ErrNotFound when gisgw sent none (answered elsewhere, or by GIS itself).
	SentDecision(ctx context.Context, guid string) (domain.Decision, error)
	// Rechecks lists org's answered and auto-answered sub-requests with no correction under
	// way, by deadline: what the re-check decides again.
	Rechecks(ctx context.Context, org string) ([]domain.SubRequest, error)
	// SetState is a compare-and-set of the state: ErrConflict when it is not from.
	SetState(ctx context.Context, guid string, from, to domain.State, actor, detail string) error
	// Audit returns a sub-request's history, oldest first ("" for store-wide entries such as
	// imports).
	Audit(ctx context.Context, guid string) ([]domain.AuditEntry, error)

	// The pipeline's port (pipeline.Store). Work is leased to an owner until an expiry; a
	// lease is free when it expired, so a crashed replica's work returns to the pool. Claims
	// skip rows other claims hold (PostgreSQL: FOR UPDATE SKIP LOCKED), so concurrent
	// claimers get disjoint sets.

	// ClaimForDecision leases up to limit sub-requests in state new, earliest deadline first.
	// SaveDecision ends the lease.
	ClaimForDecision(ctx context.Context, owner string, limit int, lease time.Duration) ([]domain.SubRequest, error)
	// ClaimReady leases up to limit ready sub-requests of org that have a decision, earliest
	// deadline first, and returns their current decisions.
	ClaimReady(ctx context.Context, org, owner string, limit int, lease time.Duration) ([]domain.Decision, error)
	// ClaimRevokes leases up to limit ready sub-requests of org whose approved correction
	// needs the sent answer revoked first (ClaimReady skips them), earliest deadline first.
	// CreateMessage with a Revoke action moves them to sending; FinishMessage makes a revoke
	// GIS accepted ready again (Correction revoked), for ClaimReady to send the new answer.
	ClaimRevokes(ctx context.Context, org, owner string, limit int, lease time.Duration) ([]string, error)
	// DeferReady puts ready sub-requests leased to owner aside when their answer cannot be
	// built now (a court act's file cannot be read, say): their lease ends at once,
	// ClaimReady skips them until until (a time of the caller's clock, compared with the
	// store's clock like settledBefore), and reason, in Russian for the officers, is kept on
	// the sub-request (BlockedReason, BlockedUntil) and audited when it changes, not on every
	// retry. ErrConflict, with nothing written, when any is not ready and leased to owner.
	// CreateMessage clears it, as does a pull that closes the sub-request.
	DeferReady(ctx context.Context, owner string, guids []string, until time.Time, reason string) error
	// CreateMessage stores m (pending, leased to owner) with its actions and moves every
	// sub-request in it from ready (leased to owner, of m's organization) to sending, in one
	// transaction; ErrConflict, with nothing written, when any is not.
	CreateMessage(ctx context.Context, owner string, m domain.Message, lease time.Duration) error
	// MarkMessageAcked records GIS's MessageGUID and makes a pending message acked, its
	// attempts counted anew (they count the polls since the Ack); again with the same GUID it
	// changes nothing, another GUID is ErrConflict.
	MarkMessageAcked(ctx context.Context, id, gisMessageGUID string) error
	// RecordAttempt counts a failed attempt, keeps its error text and time, and frees the
	// message's lease: a pending message is claimable again once the settle time from this
	// attempt passed, an acked one at once. A done message is left alone.
	RecordAttempt(ctx context.Context, id, errText string) error
	// RenewMessage extends owner's lease on an unfinished message; ErrConflict when owner no
	// longer holds it, nil for a done message.
	RenewMessage(ctx context.Context, id, owner string, lease time.Duration) error
	// ClaimMessages leases up to limit unfinished messages whose lease is free, oldest first,
	// with their actions: acked ones at once, pending ones when their last attempt (or their
	// creation) is before settledBefore.
	ClaimMessages(ctx context.Context, owner string, settledBefore time.Time, limit int, lease time.Duration) ([]domain.Message, error)
	// FinishMessage records the outcomes, moves each sub-request still sending to its
	// outcome's state (ready, without a lease, for a transient error or a missing outcome;
	// the GIS error is kept on failed and ready ones), and marks the message done, in one
	// transaction. Finishing a done message again changes nothing.
	FinishMessage(ctx context.Context, id string, outcomes []domain.Outcome) error
	// UnfinishedMessages counts the messages that are not done.
	UnfinishedMessages(ctx context.Context) (int, error)
	// Watermark is the date through which org was last pulled (zero: never).
	Watermark(ctx context.Context, org string) (time.Time, error)
	SetWatermark(ctx context.Context, org string, t time.Time) error
	// TryLockOrg makes the caller the only puller of org until unlock (PostgreSQL: a session
	// advisory lock, across processes; SQLite: within the process). ok is false while
	// another holds it.
	TryLockOrg(ctx context.Context, org string) (unlock func(), ok bool, err error)
	// OpenPastDeadline lists the open sub-requests of org (domain.State.Open, failed ones
	// included: the status refresh looks for GIS's automatic answer to them too) whose
	// deadline is before day, earliest first (limit ≤ 0: all).
	OpenPastDeadline(ctx context.Context, org string, day time.Time, limit int) ([]domain.SubRequest, error)

	// InventoryActs returns every court act of org ("" for all) with its debtors, agreements,
	// the address of its premises and its balance history (oldest first), ordered by
	// organization and act id: what the monthly inventory reads. ImportCourtActs adds a
	// history row in its own transaction for each new act and for each changed balance.
	InventoryActs(ctx context.Context, org string) ([]InventoryAct, error)

	// ClaimAlert records that alert kind (such as "failed:email") of sub-request guid is being
	// sent and reports whether this call recorded it: true only the first time, across
	// processes. ReleaseAlert forgets it again (the sending failed), so that it is retried.
	ClaimAlert(ctx context.Context, guid, kind string) (bool, error)
	ReleaseAlert(ctx context.Context, guid, kind string) error
}

// Value types of the interface; they live in an internal package so that the two
// implementations can use them without importing this package.
type (
	ImportStats          = storecore.ImportStats
	SubRequestFilter     = storecore.SubRequestFilter
	SubRequestStatus     = storecore.SubRequestStatus
	ReviewItem           = storecore.ReviewItem
	MigrationResult      = storecore.MigrationResult
	SchemaError          = storecore.SchemaError
	MissingPremisesError = storecore.MissingPremisesError
	MissingActsError     = storecore.MissingActsError
	ActPremises          = storecore.ActPremises
	Balance              = storecore.Balance
	InventoryAct         = storecore.InventoryAct
)

// ErrNotWritable matches the error of CheckWritable (and of any write) when the database
// is read-only or full.
var ErrNotWritable = storecore.ErrNotWritable

// ErrStaleSchema matches errors about a database whose schema is not the one this build
// needs; the error text tells the user to run `gisgw migrate --db DSN`.
var ErrStaleSchema = storecore.ErrStaleSchema

// ErrRepeatedAct matches the error of a court-acts import that lists an act twice (for
// ImportCourtActsStream, possibly two ids that share a 64-bit hash; see there).
var ErrRepeatedAct = storecore.ErrRepeatedAct

// ActChunk is the chunk size ImportCourtActs works in, and the one streaming callers of
// ImportCourtActsStream use.
const ActChunk = storecore.ActChunk
