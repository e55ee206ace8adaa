package gissim_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gisgw/gisgw/gisclient/gissim"
)

const goodRow = "6f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f,0b7e3a10-5c21-4d8e-9f3a-2a6b1c0d9e01,8c2f4e61-7a3b-4c9d-8e1f-3b7c2d1e0f01,2026-0041187,3d9a7c52-1e4b-4f6a-9c8d-5e2f1a0b7c01,УСЗН,a3f0c7e2-4b1d-4c5e-9f6a-1b2c3d4e5f60,кв. 1,,,5d8e1b2a-7c3f-4e9d-8a1b-2c3d4e5f6a70,\"г. Москва, ул. Ленина, д. 10, кв. 1\",2023-11-01,2026-10-31,2026-11-02,\n"

// field replaces columns of goodRow: pairs of a 0-based column and its new value.
func field(pairs ...any) string {
	// The address is quoted and contains commas: split on the quotes first.
	before, rest, _ := strings.Cut(strings.TrimSuffix(goodRow, "\n"), `"`)
	addr, after, _ := strings.Cut(rest, `"`)
	f := strings.Split(strings.TrimSuffix(before, ","), ",")
	f = append(f, `"`+addr+`"`)
	f = append(f, strings.Split(strings.TrimPrefix(after, ","), ",")...)
	for i := 0; i+1 < len(pairs); i += 2 {
		f[pairs[i].(int)] = pairs[i+1].(string)
	}
	return strings.Join(f, ",") + "\n"
}

func TestLoadScenario(t *testing.T) {
	t.Parallel()
	s := gissim.New(gissim.Options{})
	if err := s.LoadScenario(strings.NewReader("\ufeff" + csvHeader + goodRow + field(1, "0b7e3a10-5c21-4d8e-9f3a-2a6b1c0d9e02") +
		field(15, "2026-11-30"))); err == nil || !strings.Contains(err.Error(), "line 4, column subrequest_guid") {
		t.Fatalf("a repeated subrequest_guid: %v", err)
	}
	if n := len(s.SubRequests()); n != 0 {
		t.Fatalf("a failed load left %d sub-requests", n)
	}
	if err := s.LoadScenario(strings.NewReader("\ufeff" + csvHeader + goodRow)); err != nil {
		t.Fatal(err)
	}
	got := s.SubRequests()
	if len(got) != 1 {
		t.Fatalf("%d sub-requests, want 1", len(got))
	}
	sr := got[0]
	// 2026-11-02 is a Monday; 4 November is a holiday: 3, 5, 6, 9, 10.
	if sr.ResponseDate.Format(time.DateOnly) != "2026-11-10" || sr.AddressDetails != "кв. 1" || sr.Address != "г. Москва, ул. Ленина, д. 10, кв. 1" ||
		sr.PeriodFrom.Format(time.DateOnly) != "2023-11-01" || sr.HouseGUID == "" || sr.HMObjectGUID != "" {
		t.Errorf("loaded %+v", sr)
	}
	if err := s.LoadScenario(strings.NewReader(csvHeader + goodRow)); err == nil || !strings.Contains(err.Error(), "already loaded") {
		t.Errorf("loading the same sub-request twice: %v", err)
	}
}

func TestLoadScenarioErrors(t *testing.T) {
	t.Parallel()
	hm := func(guid, typ, details string) string { return field(6, "", 7, details, 8, guid, 9, typ) }
	tests := []struct {
		name string
		csv  string
		want []string // substrings of the error
	}{
		{"empty file", "", []string{"empty", "header"}},
		{"wrong header", strings.Replace(csvHeader, "adress_type", "address_type", 1) + goodRow, []string{"line 1", "column 10", `want "adress_type"`}},
		{"short header", "org_ppa_guid,subrequest_guid\n", []string{"line 1", "columns expected"}},
		{"missing column", csvHeader + goodRow + strings.Replace(goodRow, ",кв. 1,", ",", 1), []string{"line 3", "columns expected"}},
		{"bad quote", csvHeader + `a,"b` + "\n", []string{"line 2"}},
		{"org not a GUID", csvHeader + field(0, "org-1"), []string{"line 2", "column org_ppa_guid", `"org-1"`}},
		{"no subrequest GUID", csvHeader + field(1, ""), []string{"line 2", "column subrequest_guid", "required"}},
		{"long request number", csvHeader + field(3, strings.Repeat("9", 31)), []string{"line 2", "column request_number"}},
		{"no requester", csvHeader + field(5, ""), []string{"column requester_name"}},
		{"no object", csvHeader + field(6, ""), []string{"line 2", "column house_guid", "hm_object_guid"}},
		{"both objects", csvHeader + field(8, "e1d2c3b4-a5f6-4789-9abc-def012345678"), []string{"column hm_object_guid", "not both"}},
		{"HM object without type", csvHeader + hm("e1d2c3b4-a5f6-4789-9abc-def012345678", "", ""), []string{"column adress_type"}},
		{"HM object with a flat", csvHeader + hm("e1d2c3b4-a5f6-4789-9abc-def012345678", "Apartment", "кв. 7"), []string{"column address_details"}},
		{"type with a house GUID", csvHeader + field(9, "Apartment"), []string{"column adress_type", "only with hm_object_guid"}},
		{"bad FIAS GUID", csvHeader + field(10, "x"), []string{"column fias_house_guid"}},
		{"no address", csvHeader + field(11, ""), []string{"column address"}},
		{"bad period date", csvHeader + field(12, "01.11.2023"), []string{"line 2", "column period_from", "YYYY-MM-DD"}},
		{"period backwards", csvHeader + field(13, "2020-01-01"), []string{"column period_to"}},
		{"bad sent date", csvHeader + field(14, "2026-02-30"), []string{"column sent_date"}},
		{"deadline before sending", csvHeader + field(15, "2026-11-01"), []string{"column response_date", "before sent_date"}},
		{"bad row after good rows", csvHeader + goodRow + field(1, "0b7e3a10-5c21-4d8e-9f3a-2a6b1c0d9e02") + field(1, "0b7e3a10-5c21-4d8e-9f3a-2a6b1c0d9e09", 14, ""), []string{"line 4", "column sent_date"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := gissim.New(gissim.Options{})
			err := s.LoadScenario(strings.NewReader(tc.csv))
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if n := len(s.SubRequests()); n != 0 {
				t.Errorf("a failed load left %d sub-requests", n)
			}
		})
	}
}

func TestDemoScenario(t *testing.T) {
	t.Parallel()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "scenarios", "demo.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := gissim.New(gissim.Options{})
	// Set the date first: loading settles overdue sub-requests against the current date.
	s.SetToday(day("2026-11-20"))
	if err := s.LoadScenario(f); err != nil {
		t.Fatal(err)
	}
	subs := s.SubRequests()
	if len(subs) < 18 || len(subs) > 25 {
		t.Errorf("%d sub-requests, want about 20", len(subs))
	}
	forms := map[string]int{}
	statuses := map[string]int{}
	for _, sr := range subs {
		if sr.OrgPPAGUID != orgA {
			t.Errorf("%s belongs to %s, want the demo organization", sr.GUID, sr.OrgPPAGUID)
		}
		if sr.SentDate.Year() != 2026 || sr.SentDate.Month() != time.November {
			t.Errorf("%s sent %s, want November 2026", sr.GUID, sr.SentDate.Format(time.DateOnly))
		}
		switch {
		case sr.HMObjectGUID != "":
			forms["hm:"+sr.AddressType]++
		case sr.AddressDetails != "":
			forms["house+details"]++
		default:
			forms["house"]++
		}
		statuses[sr.ResponseStatus]++
	}
	for _, f := range []string{"hm:Apartment", "hm:Room", "hm:House", "house+details", "house"} {
		if forms[f] == 0 {
			t.Errorf("no sub-request addressed as %s (%v)", f, forms)
		}
	}
	// On 2026-11-20 the two sent on 2 November are overdue, the rest open.
	if statuses["AutoGenerated"] != 2 || statuses["NotSent"] != len(subs)-2 {
		t.Errorf("statuses on 2026-11-20: %v", statuses)
	}
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	from := day("2026-09-01")
	gen := func(seed int64) []gissim.SubRequest {
		s := gissim.New(gissim.Options{Seed: seed})
		s.SetToday(from)
		s.Generate(300, orgA, from)
		return s.SubRequests()
	}
	a, b, c := gen(5), gen(5), gen(6)
	if !slices.EqualFunc(a, b, func(x, y gissim.SubRequest) bool { return x == y }) {
		t.Error("the same seed generated different sub-requests")
	}
	if slices.EqualFunc(a, c, func(x, y gissim.SubRequest) bool { return x.GUID == y.GUID }) {
		t.Error("different seeds generated the same sub-requests")
	}
	if len(a) != 300 {
		t.Fatalf("%d sub-requests, want 300", len(a))
	}
	forms := map[string]int{}
	guids := map[string]bool{}
	for _, sr := range a {
		guids[sr.GUID] = true
		switch {
		case sr.HMObjectGUID != "" && sr.HouseGUID == "" && sr.AddressType != "":
			forms["hm"]++
		case sr.HouseGUID != "" && strings.HasPrefix(sr.AddressDetails, "кв. "):
			forms["house+flat"]++
		case sr.HouseGUID != "" && sr.AddressDetails == "":
			forms["house"]++
		default:
			t.Errorf("inconsistent addressing: %+v", sr)
		}
		if sr.SentDate.Before(from) || !sr.SentDate.Before(from.AddDate(0, 2, 1)) {
			t.Errorf("sent %s, outside about two months from %s", sr.SentDate.Format(time.DateOnly), from.Format(time.DateOnly))
		}
		if d := sr.ResponseDate.Sub(sr.SentDate); d < 5*24*time.Hour || d > 15*24*time.Hour || sr.ResponseDate.Weekday() == time.Saturday || sr.ResponseDate.Weekday() == time.Sunday {
			t.Errorf("deadline %s for %s is not 5 working days later", sr.ResponseDate.Format(time.DateOnly), sr.SentDate.Format(time.DateOnly))
		}
		if !sr.PeriodFrom.Before(sr.PeriodTo) || !sr.PeriodTo.Before(sr.SentDate) || sr.Address == "" || sr.OrgPPAGUID != orgA || sr.RequestNumber == "" {
			t.Errorf("implausible sub-request %+v", sr)
		}
	}
	if len(guids) != 300 {
		t.Errorf("%d distinct GUIDs, want 300", len(guids))
	}
	for _, f := range []string{"hm", "house+flat", "house"} {
		if forms[f] < 15 {
			t.Errorf("addressing mix %v: too few %s", forms, f)
		}
	}
}
