package gissim

import (
	"time"

	"github.com/gisgw/gisgw/wsdl"
)

// Latency models how long GIS takes over a business message and how it pushes back on a
// busy client, so that a benchmark sees what decides a real day: seconds per message, a
// minimum wait before any result, and EXP001000 when an organization has many messages in
// flight. The zero value adds nothing: Options.Delay alone decides, as before.
//
// A message's processing time is Delay + PerAction × actions for an import and Delay +
// PerItem × page items for an export (the page size for a period export, the number of
// GUIDs or numbers for a selection), never less than MinWait; every duration is multiplied
// by Scale. getState answers RequestState 1 during the first half of it, 2 during the
// second, then 3 with the result.
//
// EXP001000 (a SOAP Fault, soapenv:Server; the message is not accepted) is drawn for each
// valid business message at rate EXP001000, plus BusyRate for every message of the sender's
// organization in flight beyond Busy. A message is in flight from its Ack until getState
// first hands out its result. The draws come from the fault generator (Options.Seed).
type Latency struct {
	PerAction time.Duration // processing time per import action, added to Delay
	PerItem   time.Duration // processing time per exported sub-request of a page, added to Delay
	MinWait   time.Duration // no result is ready sooner after the Ack
	// Scale multiplies Delay, PerAction, PerItem and MinWait (0 = 1), so that a benchmark
	// runs GIS's times, and the client's official poll schedule scaled alike, fast.
	Scale     float64
	EXP001000 float64 // base rate of EXP001000 per business message
	Busy      int     // messages in flight per organization above which the rate rises (0 = no rise)
	BusyRate  float64 // rate added per message in flight beyond Busy
}

// scaled is d multiplied by the latency scale.
func (l Latency) scaled(d time.Duration) time.Duration {
	if l.Scale <= 0 || l.Scale == 1 {
		return d
	}
	return time.Duration(float64(d) * l.Scale)
}

// ProcessingTime is how long the simulator takes over an import of actions actions
// (export false) or an export page of that many items (export true), with delay as
// Options.Delay: the time from the Ack until getState answers RequestState 3.
func (l Latency) ProcessingTime(delay time.Duration, export bool, n int) time.Duration {
	per := l.PerAction
	if export {
		per = l.PerItem
	}
	return l.scaled(max(delay+time.Duration(n)*per, l.MinWait))
}

// EXPRate is the probability of EXP001000 for a business message sent while inFlight
// messages of its organization are in flight.
func (l Latency) EXPRate(inFlight int) float64 {
	r := l.EXP001000
	if l.Busy > 0 && inFlight > l.Busy {
		r += float64(inFlight-l.Busy) * l.BusyRate
	}
	return min(r, 1)
}

// exportItems is how many sub-requests the page of req holds for the latency model: the
// page size for a period export, else the number of GUIDs or numbers selected.
func exportItems(req *wsdl.ExportDSRsRequest, pageSize int) int {
	if n := len(req.SubrequestGUID) + len(req.RequestNumber); n > 0 {
		return n
	}
	return pageSize
}
