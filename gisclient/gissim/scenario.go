package gissim

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gisgw/gisgw/wsdl"
)

// scenarioHeader is the exact header line of a scenario CSV.
const scenarioHeader = "org_ppa_guid,subrequest_guid,request_guid,request_number,requester_guid," +
	"requester_name,house_guid,address_details,hm_object_guid,adress_type," +
	"fias_house_guid,address,period_from,period_to,sent_date,response_date"

// adressTypes are the adressType values the schema annotation lists.
const adressTypes = "Apartment, Room, House, HouseBlock"

func adressTypeOK(t string) bool {
	switch t {
	case "Apartment", "Room", "House", "HouseBlock":
		return true
	}
	return false
}

// maxScenarioRows bounds a scenario so that a wrong file cannot exhaust memory.
const maxScenarioRows = 1_000_000

// LoadScenario adds the sub-requests of a scenario CSV (comma-separated, UTF-8, the header
// the header exactly scenarioHeader, dates YYYY-MM-DD). Each row addresses its object either by
// house_guid (with optional address_details) or by hm_object_guid with adress_type; an
// empty response_date is sent_date + 5 working days. The file is loaded whole or not at
// all; an error names the line and the column.
func (s *Sim) LoadScenario(r io.Reader) error {
	scenarioColumns := strings.Split(scenarioHeader, ",")
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(scenarioColumns)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return errors.New("scenario: the file is empty; it needs the header line " + scenarioHeader)
	}
	if err != nil {
		return fmt.Errorf("scenario: %w", csvError(err))
	}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		if strings.TrimSpace(h) != scenarioColumns[i] {
			return fmt.Errorf("scenario: line 1, column %d: header %q, want %q (the header must be exactly %s)",
				i+1, truncate(h, 40), scenarioColumns[i], scenarioHeader)
		}
	}
	var rows []*subReq
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("scenario: %w", csvError(err))
		}
		line, _ := cr.FieldPos(0)
		if len(rows) >= maxScenarioRows {
			return fmt.Errorf("scenario: line %d: more than %d rows", line, maxScenarioRows)
		}
		sr, err := parseRow(rec)
		if err != nil {
			return fmt.Errorf("scenario: line %d, %w", line, err)
		}
		if prev, dup := seen[sr.key]; dup {
			return fmt.Errorf("scenario: line %d, column subrequest_guid: %s is already on line %d", line, sr.GUID, prev)
		}
		seen[sr.key] = line
		rows = append(rows, sr)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sr := range rows {
		if _, dup := s.subs[sr.key]; dup {
			return fmt.Errorf("scenario: line %d, column subrequest_guid: %s is already loaded", seen[sr.key], sr.GUID)
		}
	}
	for _, sr := range rows {
		s.subs[sr.key] = sr
	}
	s.settle()
	s.log.Info("scenario loaded", "subrequests", len(rows))
	return nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			return fmt.Errorf("line %d: %d columns expected (%s)", pe.Line, strings.Count(scenarioHeader, ",")+1, scenarioHeader)
		}
		return fmt.Errorf("line %d, column %d: %w", pe.Line, pe.Column, pe.Err)
	}
	return err
}

// columnError names the column of a bad value.
type columnError struct {
	col string
	msg string
}

func (e *columnError) Error() string { return "column " + e.col + ": " + e.msg }

func parseRow(rec []string) (*subReq, error) {
	v := map[string]string{}
	for i, c := range strings.Split(scenarioHeader, ",") {
		v[c] = strings.TrimSpace(rec[i])
	}
	bad := func(col, format string, args ...any) error {
		return &columnError{col: col, msg: fmt.Sprintf(format, args...)}
	}
	guid := func(col string, required bool) (string, error) {
		g := v[col]
		if g == "" {
			if required {
				return "", bad(col, "a GUID is required")
			}
			return "", nil
		}
		if !wsdl.IsGUID(g) {
			return "", bad(col, "%q is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", truncate(g, 60))
		}
		return g, nil
	}
	date := func(col string) (time.Time, error) {
		d, err := time.Parse(time.DateOnly, v[col])
		if err != nil {
			return time.Time{}, bad(col, "%q is not a date YYYY-MM-DD", truncate(v[col], 40))
		}
		return d, nil
	}
	var (
		sr  = &subReq{status: wsdl.ResponseStatusTypeNotSent}
		err error
	)
	p := &sr.SubRequest
	for _, f := range []struct {
		col      string
		dst      *string
		required bool
	}{
		{"org_ppa_guid", &p.OrgPPAGUID, true},
		{"subrequest_guid", &p.GUID, true},
		{"request_guid", &p.RequestGUID, true},
		{"requester_guid", &p.RequesterGUID, true},
		{"house_guid", &p.HouseGUID, false},
		{"hm_object_guid", &p.HMObjectGUID, false},
		{"fias_house_guid", &p.FIASHouseGUID, false},
	} {
		if *f.dst, err = guid(f.col, f.required); err != nil {
			return nil, err
		}
	}
	p.RequestNumber = v["request_number"]
	if l := utf8.RuneCountInString(p.RequestNumber); l < 1 || l > 30 {
		return nil, bad("request_number", "%d characters, want 1 to 30", l)
	}
	if p.RequesterName = v["requester_name"]; p.RequesterName == "" {
		return nil, bad("requester_name", "the name of the requesting body is required")
	}
	p.AddressDetails, p.AddressType = v["address_details"], v["adress_type"]
	switch {
	case p.HouseGUID == "" && p.HMObjectGUID == "":
		return nil, bad("house_guid", "give house_guid or hm_object_guid")
	case p.HouseGUID != "" && p.HMObjectGUID != "":
		return nil, bad("hm_object_guid", "give house_guid or hm_object_guid, not both")
	case p.HMObjectGUID != "" && !adressTypeOK(p.AddressType):
		return nil, bad("adress_type", "%q; with hm_object_guid it is one of %s", truncate(p.AddressType, 40), adressTypes)
	case p.HMObjectGUID != "" && p.AddressDetails != "":
		return nil, bad("address_details", "only with house_guid (requests addressed by hm_object_guid carry no address details)")
	case p.HouseGUID != "" && p.AddressType != "":
		return nil, bad("adress_type", "only with hm_object_guid")
	case utf8.RuneCountInString(p.AddressDetails) > 255:
		return nil, bad("address_details", "longer than 255 characters")
	}
	if p.Address = v["address"]; p.Address == "" || utf8.RuneCountInString(p.Address) > 4000 {
		return nil, bad("address", "the address line is required (at most 4000 characters)")
	}
	if p.PeriodFrom, err = date("period_from"); err != nil {
		return nil, err
	}
	if p.PeriodTo, err = date("period_to"); err != nil {
		return nil, err
	}
	if p.PeriodTo.Before(p.PeriodFrom) {
		return nil, bad("period_to", "%s is before period_from", v["period_to"])
	}
	if p.SentDate, err = date("sent_date"); err != nil {
		return nil, err
	}
	if v["response_date"] == "" {
		p.ResponseDate = addWorkdays(p.SentDate, 5)
	} else {
		if p.ResponseDate, err = date("response_date"); err != nil {
			return nil, err
		}
		if p.ResponseDate.Before(p.SentDate) {
			return nil, bad("response_date", "%s is before sent_date", v["response_date"])
		}
	}
	sr.key = strings.ToLower(p.GUID)
	return sr, nil
}

// addWorkdays is d plus n working days: Monday to Friday except the fixed federal holidays
// (ТК ст. 112). Approximate on purpose: it ignores the annual transfers of days off, which
// the project's real calendar handles; scenarios that depend on them give response_date.
func addWorkdays(d time.Time, n int) time.Time {
	for n > 0 {
		d = d.AddDate(0, 0, 1)
		if isWorkday(d) {
			n--
		}
	}
	return d
}

func isWorkday(d time.Time) bool {
	switch d.Weekday() {
	case time.Saturday, time.Sunday:
		return false
	}
	switch m, day := d.Month(), d.Day(); {
	case m == time.January && day <= 8,
		m == time.February && day == 23,
		m == time.March && day == 8,
		m == time.May && (day == 1 || day == 9),
		m == time.June && day == 12,
		m == time.November && day == 4:
		return false
	}
	return true
}
