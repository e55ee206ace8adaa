package gissim

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gisgw/gisgw/responder/calendar"
	"github.com/gisgw/gisgw/wsdl"
)

// generateSpanDays is how far Generate spreads sent dates (about two months).
const generateSpanDays = 61

type genHouse struct {
	street  string
	number  string
	house   string // house GUID (GIS)
	fias    string
	hm      string // HMobjectGUID of the house itself
	flats   int
	hmFlats []string // HMobjectGUID per flat, lazily made
	hmRooms map[int]string
}

// Generate adds n sub-requests for org, random but reproducible with Options.Seed: sent
// dates spread over about two months from sentFrom, addressed half by HMobjectGUID (flats,
// rooms and whole houses) and half by houseGUID with address details ("кв. 12",
// "кв. 5, комн. 2") or none (the whole house).
func (s *Sim) Generate(n int, org string, sentFrom time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.generate(n, org, calendar.DateOf(sentFrom), generateSpanDays)
}

// GenerateRecent adds n sub-requests like Generate, sent over the days days up to and
// including the simulated today, never after it: with days about two weeks, some deadlines
// have passed (GIS answers those itself) and the rest are still ahead, as on a live stand.
func (s *Sim) GenerateRecent(n int, org string, days int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	days = max(days, 1)
	s.generate(n, org, s.todayLocked().AddDate(0, 0, -(days-1)), days)
}

// generate adds n sub-requests sent on start or one of the span-1 days after it; s.mu is held.
func (s *Sim) generate(n int, org string, start time.Time, span int) {
	if n <= 0 {
		return
	}
	rnd := s.genRnd
	streets := []string{
		"ул. Ленина", "ул. Гагарина", "пр-т Мира", "ул. Советская", "ул. Пушкина", "ул. Садовая",
		"ул. Октябрьская", "ул. Первомайская", "ул. Молодёжная", "ул. Школьная", "пер. Почтовый",
		"ул. Набережная", "ул. Заводская", "ул. Лесная", "ул. Труда",
	}
	requesterNames := []string{
		"Управление социальной защиты населения Центрального района",
		"Департамент социальной защиты населения города",
		"Центр социальных выплат",
	}
	guid := func() string { return randomGUID(rnd) }
	city := []string{"г. Вологда", "г. Тверь", "г. Киров", "г. Курск"}[rnd.IntN(4)]
	houses := make([]*genHouse, 10+rnd.IntN(10))
	for i := range houses {
		houses[i] = &genHouse{
			street:  streets[rnd.IntN(len(streets))],
			number:  fmt.Sprint(1 + rnd.IntN(120)),
			house:   guid(),
			fias:    guid(),
			hm:      guid(),
			flats:   12 + rnd.IntN(140),
			hmRooms: map[int]string{},
		}
		if rnd.IntN(4) == 0 {
			houses[i].number += "/" + fmt.Sprint(1+rnd.IntN(3))
		}
		houses[i].hmFlats = make([]string, houses[i].flats+1)
	}
	requesters := make([]struct{ name, guid string }, len(requesterNames))
	for i, name := range requesterNames {
		requesters[i].name, requesters[i].guid = name, guid()
	}
	added := 0
	for added < n {
		h := houses[rnd.IntN(len(houses))]
		req := requesters[rnd.IntN(len(requesters))]
		sent := start.AddDate(0, 0, rnd.IntN(span))
		p := SubRequest{
			OrgPPAGUID:    org,
			GUID:          guid(),
			RequestGUID:   guid(),
			RequestNumber: fmt.Sprintf("%d-%07d", sent.Year(), rnd.IntN(10_000_000)),
			RequesterGUID: req.guid,
			RequesterName: req.name,
			FIASHouseGUID: h.fias,
			SentDate:      sent,
			ResponseDate:  addWorkdays(sent, 5),
		}
		// The requested period: typically the months before the request.
		months := 3 + rnd.IntN(34)
		firstOfMonth := time.Date(sent.Year(), sent.Month(), 1, 0, 0, 0, 0, time.UTC)
		p.PeriodFrom = firstOfMonth.AddDate(0, -months, 0)
		p.PeriodTo = firstOfMonth.AddDate(0, 0, -1)
		base := city + ", " + h.street + ", д. " + h.number
		flat := 1 + rnd.IntN(h.flats)
		kind := rnd.IntN(10)
		switch {
		case kind < 4: // HMobjectGUID of a flat
			if h.hmFlats[flat] == "" {
				h.hmFlats[flat] = guid()
			}
			p.HMObjectGUID, p.AddressType = h.hmFlats[flat], "Apartment"
			p.Address = fmt.Sprintf("%s, кв. %d", base, flat)
		case kind == 4: // HMobjectGUID of a room
			if h.hmRooms[flat] == "" {
				h.hmRooms[flat] = guid()
			}
			p.HMObjectGUID, p.AddressType = h.hmRooms[flat], "Room"
			p.Address = fmt.Sprintf("%s, кв. %d, комн. 1", base, flat)
		case kind == 5: // HMobjectGUID of a house
			p.HMObjectGUID, p.AddressType, p.Address = h.hm, "House", base
		case kind < 9: // houseGUID + flat
			p.HouseGUID = h.house
			p.AddressDetails = fmt.Sprintf("кв. %d", flat)
			if rnd.IntN(5) == 0 {
				p.AddressDetails = fmt.Sprintf("кв. %d, комн. %d", flat, 1+rnd.IntN(3))
			}
			p.Address = base + ", " + p.AddressDetails
		default: // houseGUID, a private house: no details
			p.HouseGUID, p.Address = h.house, base
		}
		sr := &subReq{SubRequest: p, key: strings.ToLower(p.GUID), status: wsdl.ResponseStatusTypeNotSent}
		if _, dup := s.subs[sr.key]; dup {
			continue
		}
		s.subs[sr.key] = sr
		added++
	}
	s.settle()
	s.log.Info("sub-requests generated", "count", n, "from", start.Format(time.DateOnly))
}

// randomGUID is a version 4 GUID drawn from rnd, so that a seed reproduces it.
func randomGUID(rnd *rand.Rand) string {
	var u uuid.UUID
	binary.LittleEndian.PutUint64(u[:8], rnd.Uint64())
	binary.LittleEndian.PutUint64(u[8:], rnd.Uint64())
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u.String()
}
