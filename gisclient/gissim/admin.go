package gissim

import (
	"encoding/json"
	"net/http"
	"time"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (s *Sim) serveAnswers(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Answers())
}

func (s *Sim) serveStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

// clockJSON is the body of /sim/clock.
type clockJSON struct {
	Today string `json:"today"` // YYYY-MM-DD
	Error string `json:"error,omitempty"`
}

// serveClock returns the simulated date (GET) or sets it from ?date=YYYY-MM-DD (POST).
func (s *Sim) serveClock(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		v := r.URL.Query().Get("date")
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, clockJSON{
				Today: s.Today().Format(time.DateOnly),
				Error: "date must be given as ?date=YYYY-MM-DD, got " + truncate(v, 40),
			})
			return
		}
		s.SetToday(d)
		s.log.Info("simulated date set", "today", v)
	}
	writeJSON(w, http.StatusOK, clockJSON{Today: s.Today().Format(time.DateOnly)})
}
