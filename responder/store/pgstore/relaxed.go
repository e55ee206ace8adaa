package pgstore

// relaxedCommit, joined into a statement that commits on its own, makes its commit not wait
// for the WAL to reach the disk (SET LOCAL synchronous_commit = off); SaveDecisions sets the
// same. The decide step's writes (a claim's lease, the decisions) may be lost by a crash of
// the server, never half: the sub-requests are then new again and decided again. Nothing
// leaves the gisgw on them before a later write that waits for the disk (the send step's),
// and that one flushes the WAL up to itself, these commits included. Waiting for the disk
// twice per batch of 100 was most of the decide step's time.
const relaxedCommit = `(SELECT set_config('synchronous_commit', 'off', true)) AS relaxed`
